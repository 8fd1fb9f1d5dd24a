/**
 * Snapshot history and energy at product scale, in one process: 30 days of 5 devices polled every 10 s (1.3M
 * snapshots of 32 NUT variables) appended through `SnapshotStore.append` and `RollupStore.add`, flushed every
 * simulated hour, retention applied every simulated day (`retention_days` 7, as the product does). Then, on fresh
 * stores over the same directory: time to open, the longest event-loop stall during open, retention and queries,
 * resident memory, and p50/p99 of `latest()`, 24 h of one device (limit 1000) and a month of energy by day.
 *
 *   npx tsx bench/store.ts [--days 30] [--devices 5] [--interval-s 10] [--retention-days 7] [--runs 200] [--keep]
 *   npx tsx bench/store.ts --reuse <dir kept by --keep>   (measure only, in a process that generated nothing)
 */
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { RollupStore } from "../src/store/rollup-store";
import { SnapshotStore } from "../src/store/snapshot-store";
import { percentile, printTable, round, writeResult } from "./stats";
import { DAY, dirBytes, generateHistory, simulatedDevices } from "./support/history";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const DAYS = option("days", 30);
const DEVICES = option("devices", 5);
const INTERVAL_S = option("interval-s", 10);
const RETENTION_DAYS = option("retention-days", 7);
const MAX_SNAPSHOTS = option("max-snapshots", 100_000);
const RUNS = option("runs", 200);
const KEEP = process.argv.includes("--keep");
const REUSE = process.argv.includes("--reuse") ? process.argv[process.argv.indexOf("--reuse") + 1] : undefined;
/** The simulated "now": the end of the generated history. */
const END = Date.UTC(2025, 0, 31, 0, 0, 0);

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function mb(bytes: number): number {
  return round(bytes / 1024 / 1024, 1);
}

/** The longest event-loop stall, two ways: a 1 ms interval's drift and `monitorEventLoopDelay` (resolution 1). */
class StallProbe {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private maxDrift = 0;
  private readonly histogram = monitorEventLoopDelay({ resolution: 1 });

  start(): void {
    this.maxDrift = 0;
    this.last = performance.now();
    this.histogram.reset();
    this.histogram.enable();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.maxDrift = Math.max(this.maxDrift, now - this.last - 1);
      this.last = now;
    }, 1);
  }

  /** Stops and returns the longest stall in ms (the larger of both measures). */
  async stop(): Promise<{ drift_ms: number; eld_max_ms: number }> {
    await new Promise((resolve) => setTimeout(resolve, 5)); // let the probe see the end of the phase
    if (this.timer) clearInterval(this.timer);
    this.histogram.disable();
    return { drift_ms: round(this.maxDrift, 1), eld_max_ms: round(this.histogram.max / 1e6 - 1, 1) };
  }
}

async function timed<T>(runs: number, task: (i: number) => T | Promise<T>) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await task(i);
    samples.push(performance.now() - t0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  samples.sort((a, b) => a - b);
  return {
    runs,
    p50_ms: round(percentile(samples, 50)),
    p99_ms: round(percentile(samples, 99)),
    max_ms: round(samples[samples.length - 1] as number),
  };
}

async function main(): Promise<void> {
  gc();
  const rssAtStart = process.memoryUsage().rss; // node + tsx + the modules, before any data
  const root = REUSE ?? (await fsp.mkdtemp(path.join(os.tmpdir(), "argus-bench-store-")));
  const snapshotsDir = path.join(root, "snapshots");
  const rollupsDir = path.join(root, "rollups");
  const devices = simulatedDevices(DEVICES);
  const limits = { retention_days: RETENTION_DAYS, max_snapshots: MAX_SNAPSHOTS };
  const options = { intervalMs: INTERVAL_S * 1000, now: () => END };
  console.log(`store bench: ${DAYS} days x ${DEVICES} devices every ${INTERVAL_S} s, retention ${RETENTION_DAYS} d`);
  console.log(`data in ${root}`);

  // ---- generate through the real append path --------------------------------------------------------------
  // With --reuse the history is already there: nothing is generated (0 days).
  const generated = await generateHistory(root, devices, {
    days: REUSE === undefined ? DAYS : 0,
    intervalS: INTERVAL_S,
    retentionDays: RETENTION_DAYS,
    maxSnapshots: MAX_SNAPSHOTS,
    end: END,
    progress: (line) => console.log(line),
  });
  const { appended, generateS } = generated;
  const generatedStats = generated.stats;
  const disk = await dirBytes(snapshotsDir);
  const rollupDisk = await dirBytes(rollupsDir);

  // ---- measure, on fresh stores over the same files ---------------------------------------------------------
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const rssBefore = process.memoryUsage().rss;
  const probe = new StallProbe();

  probe.start();
  let t0 = performance.now();
  const store = new SnapshotStore(root);
  await store.open();
  const openSnapshotsMs = performance.now() - t0;
  t0 = performance.now();
  const rollups = new RollupStore(root, options);
  await rollups.open();
  const openRollupsMs = performance.now() - t0;
  await store.counted();
  const countedMs = performance.now() - t0 + openSnapshotsMs;
  const openStall = await probe.stop();
  gc();
  const memoryAfterOpen = process.memoryUsage();

  probe.start();
  t0 = performance.now();
  const retention = await store.applyRetention(limits, END + DAY); // the next day's run: one day of files goes
  await rollups.applyRetention(limits, END + DAY);
  const retentionMs = performance.now() - t0;
  const retentionStall = await probe.stop();

  const latest = await timed(RUNS, () => {
    if (store.latest().length !== DEVICES) throw new Error("latest: a device is missing");
  });

  probe.start();
  let returned = 0;
  const day = await timed(RUNS, async (i) => {
    const page = await store.query({
      device_id: `ups-${(i % DEVICES) + 1}`,
      since: END - DAY,
      until: END,
      limit: 1000,
    });
    returned = page.items.length;
  });
  const dayStall = await probe.stop();
  if (returned !== 1000) throw new Error(`24 h query returned ${returned}`);

  probe.start();
  let pages = 0;
  let paged = 0;
  const fullDay = await timed(20, async (i) => {
    let cursor: string | null = null;
    paged = 0;
    pages = 0;
    do {
      const page: Awaited<ReturnType<SnapshotStore["query"]>> = await store.query({
        device_id: `ups-${(i % DEVICES) + 1}`,
        since: END - DAY,
        until: END,
        limit: 1000,
        cursor,
      });
      paged += page.items.length;
      pages++;
      cursor = page.next_cursor;
    } while (cursor !== null);
  });
  const fullDayStall = await probe.stop();

  probe.start();
  const allDevices = await timed(RUNS, () => store.query({ limit: 100 }));
  const allStall = await probe.stop();

  probe.start();
  let energyKwh = 0;
  const energy = await timed(RUNS, () => {
    const report = rollups.energy({ since: END - 30 * DAY, until: END, bucket: "day" });
    energyKwh = report.total_kwh;
  });
  const energyStall = await probe.stop();
  const rssEnd = process.memoryUsage().rss;

  await store.close();
  await rollups.close();
  if (!KEEP && REUSE === undefined) await fsp.rm(root, { recursive: true, force: true });

  const result = {
    config: {
      days: DAYS,
      devices: DEVICES,
      interval_s: INTERVAL_S,
      retention_days: RETENTION_DAYS,
      max_snapshots: MAX_SNAPSHOTS,
      runs: RUNS,
      node: process.version,
      cpus: os.cpus().length,
      generated_in_this_process: REUSE === undefined,
    },
    generate: {
      snapshots_appended: appended,
      seconds: round(generateS, 1),
      appends_per_s: Math.round(appended / generateS),
      snapshots_kept: generatedStats.snapshots,
      files: disk.files,
      disk_mb: mb(disk.bytes),
      bytes_per_snapshot: Math.round(disk.bytes / generatedStats.snapshots),
      rollup_files: rollupDisk.files,
      rollup_disk_mb: mb(rollupDisk.bytes),
    },
    open: {
      snapshots_ms: round(openSnapshotsMs, 1),
      rollups_ms: round(openRollupsMs, 1),
      until_every_file_counted_ms: round(countedMs, 1),
      longest_stall_ms: openStall,
      snapshots: store.stats().snapshots,
    },
    memory: {
      rss_before_open_mb: mb(rssBefore),
      rss_after_open_mb: mb(memoryAfterOpen.rss),
      heap_used_after_open_mb: mb(memoryAfterOpen.heapUsed),
      rss_end_mb: mb(rssEnd),
      heap_total_after_open_mb: mb(memoryAfterOpen.heapTotal),
      external_after_open_mb: mb(memoryAfterOpen.external),
      rss_at_start_mb: mb(rssAtStart),
    },
    retention: { ms: round(retentionMs, 1), ...retention, longest_stall_ms: retentionStall },
    latest,
    query_24h_one_device_limit_1000: { ...day, longest_stall_ms: dayStall },
    query_24h_one_device_all_pages: { ...fullDay, pages, items: paged, longest_stall_ms: fullDayStall },
    query_all_devices_limit_100: { ...allDevices, longest_stall_ms: allStall },
    energy_month_by_day: { ...energy, total_kwh: energyKwh, longest_stall_ms: energyStall },
  };

  printTable("generation", [result.generate]);
  const stall = (s: { drift_ms: number; eld_max_ms: number }) => Math.max(s.drift_ms, s.eld_max_ms);
  printTable("measured (same process, fresh stores)", [
    { what: "open snapshots + rollups", ms: round(openSnapshotsMs + openRollupsMs, 1), stall_ms: stall(openStall) },
    { what: "  ... and every file counted", ms: round(countedMs, 1) },
    { what: "retention (1 day of files)", ms: round(retentionMs, 1), stall_ms: stall(retentionStall) },
    { what: "latest()", p50_ms: latest.p50_ms, p99_ms: latest.p99_ms, max_ms: latest.max_ms },
    { what: "24 h, 1 device, limit 1000", ...day, stall_ms: stall(dayStall) },
    { what: `24 h, 1 device, ${pages} pages`, ...fullDay, stall_ms: stall(fullDayStall) },
    { what: "all devices, limit 100", ...allDevices, stall_ms: stall(allStall) },
    { what: "energy, 30 days by day", ...energy, stall_ms: stall(energyStall) },
  ]);
  printTable("memory", [result.memory]);
  console.log(`\nwritten ${writeResult(REUSE === undefined ? "store" : "store-reuse", result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
