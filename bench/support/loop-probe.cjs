// Preloaded into a benchmarked process (NODE_OPTIONS="--require <this file>"), so Node-RED is measured from the
// inside without changing it: the event loop's delay (monitorEventLoopDelay at 1 ms resolution) and resident
// memory (sampled every 100 ms). Every 500 ms, and on exit, it writes a JSON summary to $ARGUS_PROBE_FILE
// (write + rename, so a reader never sees half a file).
//
// Phases: SIGWINCH closes the current phase and opens the next one, and writes the summary at once (not SIGUSR2:
// Node-RED exits on it, for nodemon; SIGWINCH is ignored by default, so a stray one harms nothing). The benchmark
// signals, then waits until the file lists the new phase, so the longest stall is attributed to what it was doing
// (starting the server, retention, a query load) rather than to a 500 ms window that straddles two of them.
// Each phase also reports its longest garbage-collection pause, the usual suspect for a stall in code that yields,
// and its longest stall ON CPU: a 1 ms timer compares how late it fired with how much CPU the process used
// meanwhile. On a shared machine the loop is also late when the OS runs someone else; that part is not the code's,
// and min(lateness, CPU used) leaves it out (an upper bound still: GC helper threads count as CPU too).
//
// With $ARGUS_PROBE_CPU_PROFILE set, a CPU profile of the whole process is written there on exit (`--cpu-prof` is
// not allowed in NODE_OPTIONS; the inspector's profiler is, from inside).
"use strict";
const inspector = require("node:inspector");
const { monitorEventLoopDelay, performance, PerformanceObserver } = require("node:perf_hooks");
const { renameSync, writeFileSync } = require("node:fs");
const { setInterval } = require("node:timers");

const RESOLUTION_MS = 1;
const MB = 1024 * 1024;

/** A histogram's delays minus the sampling interval itself: what the loop was late by, in ms. */
function stalls(histogram) {
  const late = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  const round = (ms) => Math.round(ms * 10) / 10;
  if (histogram.count === 0) return { max_ms: 0, p99_ms: 0 };
  return { max_ms: round(late(histogram.max)), p99_ms: round(late(histogram.percentile(99))) };
}

function startProbe(file) {
  const whole = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  whole.enable();
  const closed = [];
  let phase = openPhase(0);
  let rssMax = 0;

  function openPhase(index) {
    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    return { index, started_at: Date.now(), histogram, rssMax: 0, gcMax: 0, gcMs: 0, onCpuMax: 0 };
  }

  function describe(p, endedAt) {
    return {
      index: p.index,
      started_at: p.started_at,
      ended_at: endedAt,
      ...stalls(p.histogram),
      on_cpu_max_ms: Math.round(p.onCpuMax * 10) / 10,
      rss_max_mb: Math.round((p.rssMax / MB) * 10) / 10,
      gc_max_ms: Math.round(p.gcMax * 10) / 10,
      gc_total_ms: Math.round(p.gcMs),
    };
  }

  function sampleRss() {
    const rss = process.memoryUsage.rss();
    rssMax = Math.max(rssMax, rss);
    phase.rssMax = Math.max(phase.rssMax, rss);
    return rss;
  }

  function write() {
    const rss = sampleRss();
    const memory = process.memoryUsage();
    const summary = {
      pid: process.pid,
      written_at: Date.now(),
      rss_mb: Math.round((rss / MB) * 10) / 10,
      rss_max_mb: Math.round((rssMax / MB) * 10) / 10,
      heap_used_mb: Math.round((memory.heapUsed / MB) * 10) / 10,
      external_mb: Math.round((memory.external / MB) * 10) / 10,
      whole: stalls(whole),
      phases: [...closed, describe(phase, null)],
    };
    const temporary = `${file}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(summary));
      renameSync(temporary, file);
    } catch {
      // The benchmark may already have removed its folder; the probe must never take the process down.
    }
  }

  function nextPhase() {
    phase.histogram.disable();
    closed.push(describe(phase, Date.now()));
    phase = openPhase(phase.index + 1);
    write();
  }

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      phase.gcMax = Math.max(phase.gcMax, entry.duration);
      phase.gcMs += entry.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  const cpuMs = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  let lastWall = performance.now();
  let lastCpu = cpuMs();
  setInterval(() => {
    const wall = performance.now();
    const cpu = cpuMs();
    const late = wall - lastWall - RESOLUTION_MS;
    phase.onCpuMax = Math.max(phase.onCpuMax, Math.min(late, cpu - lastCpu));
    lastWall = wall;
    lastCpu = cpu;
  }, RESOLUTION_MS).unref();
  setInterval(sampleRss, 100).unref();
  setInterval(write, 500).unref();
  process.on("SIGWINCH", nextPhase);
  process.on("exit", write);
  write();
}

/** Samples every 200 us from now; the profile is written when the process exits (the inspector answers in line). */
function startCpuProfile(file) {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  process.on("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}

if (process.env.ARGUS_PROBE_FILE) startProbe(process.env.ARGUS_PROBE_FILE);
if (process.env.ARGUS_PROBE_CPU_PROFILE) startCpuProfile(process.env.ARGUS_PROBE_CPU_PROFILE);
