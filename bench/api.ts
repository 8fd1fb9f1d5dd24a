/**
 * The server benchmark of issue 3, against a real Node-RED: 30 days of 5 UPSes polled every 10 s are written into a
 * data folder the way the product writes them (bench/support/history.ts, retention_days 7 applied as it goes),
 * then a Node-RED with this package (the built dist/) gets a flow with an `argus-server` on that folder, and one
 * run measures:
 *   - time from deploy to `GET /api/health` answering 200, and until every stored file is counted;
 *   - the longest event-loop stall inside Node-RED while starting, during retention (retention_days 7 -> 6 through
 *     `PUT /api/config`, which deletes one day file per device) and under each query load, from a preloaded probe
 *     (bench/support/loop-probe.cjs via NODE_OPTIONS) that needs no change to Node-RED or to the product;
 *   - Node-RED's resident memory idle (empty flow) and after the server started on that history;
 *   - p50/p99 of `GET /api/snapshots` (24 h of one device, limit 1000), `GET /api/snapshots/latest` and
 *     `GET /api/energy` (a month by day), one keep-alive connection, from a second process;
 *   - requests/s of `GET /api/health` from a second process over several keep-alive connections, against the same
 *     load on Node-RED's own smallest admin route (`GET /auth/login`, `{}` without adminAuth) as the reference.
 *
 * Node-RED loads a frozen copy of the package (dist/ as built, package.json, node_modules linked), so a rebuild
 * while the benchmark runs cannot swap the code under it.
 *
 *   npm run build && npx tsx bench/api.ts [--load-s 10] [--connections 10] [--days 30] [--keep] [--dist <dir>]
 *     [--cpu-profile <file.cpuprofile>]   (a CPU profile of Node-RED over the whole run, written when it stops)
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { call } from "../test/support/http";
import { NodeRedProcess } from "../test/support/node-red-process";
import { waitFor } from "../test/support/wait";
import { printTable, round, writeResult } from "./stats";
import { DAY, HOUR, dirBytes, generateHistory, simulatedDevices } from "./support/history";
import { runLoad, type LoadResult } from "./support/load";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const DAYS = option("days", 30);
const DEVICES = option("devices", 5);
const INTERVAL_S = option("interval-s", 10);
const RETENTION_DAYS = option("retention-days", 7);
const MAX_SNAPSHOTS = 100_000;
const LOAD_S = option("load-s", 10);
const CONNECTIONS = option("connections", 10);
const KEEP = process.argv.includes("--keep");
const ROOT = path.resolve(__dirname, "..");
const DIST = process.argv.includes("--dist")
  ? path.resolve(process.argv[process.argv.indexOf("--dist") + 1] ?? "")
  : path.join(ROOT, "dist");
const PROBE = path.join(__dirname, "support", "loop-probe.cjs");
const CPU_PROFILE = process.argv.includes("--cpu-profile")
  ? path.resolve(process.argv[process.argv.indexOf("--cpu-profile") + 1] ?? "")
  : undefined;
const KEY = randomBytes(32).toString("base64url");
const SERVER_ID = "argus-bench-server";

const GOALS = { stall_ms: 100, rss_mb: 150, latest_p99_ms: 5, history_p99_ms: 50, health_per_s: 3000 };

// ---- the probe inside Node-RED ------------------------------------------------------------------------------------

interface ProbePhase {
  index: number;
  started_at: number;
  ended_at: number | null;
  max_ms: number;
  p99_ms: number;
  on_cpu_max_ms: number;
  rss_max_mb: number;
  gc_max_ms: number;
  gc_total_ms: number;
}

interface ProbeSummary {
  pid: number;
  written_at: number;
  rss_mb: number;
  rss_max_mb: number;
  heap_used_mb: number;
  external_mb: number;
  whole: { max_ms: number; p99_ms: number };
  phases: ProbePhase[];
}

/** Reads the probe's file and moves it to the next phase (SIGWINCH), waiting until the probe has done so. */
class Probe {
  readonly names: string[] = [];

  constructor(
    private readonly file: string,
    private readonly pid: number,
    first: string,
  ) {
    this.names.push(first);
  }

  async read(): Promise<ProbeSummary> {
    return JSON.parse(await fsp.readFile(this.file, "utf8")) as ProbeSummary;
  }

  /** Ends the current phase and starts `next`; returns the summary written at that moment (its RSS is now's). */
  async mark(next: string): Promise<ProbeSummary> {
    const before = (await waitFor(() => this.read(), { what: "the probe's first summary" })).phases.length;
    process.kill(this.pid, "SIGWINCH");
    const summary = await waitFor(
      async () => {
        const current = await this.read();
        return current.phases.length > before ? current : null;
      },
      { what: "the probe to start a new phase" },
    );
    this.names.push(next);
    return summary as ProbeSummary; // waitFor returns only truthy values
  }
}

// ---- the history --------------------------------------------------------------------------------------------------

/** Lines per stored snapshot file: how many snapshots the server should count once it has read every file. */
async function linesByFile(snapshotsDir: string): Promise<Map<string, number>> {
  const lines = new Map<string, number>();
  for (const device of await fsp.readdir(snapshotsDir)) {
    for (const name of await fsp.readdir(path.join(snapshotsDir, device))) {
      const file = path.join(snapshotsDir, device, name);
      const data = await fsp.readFile(file);
      let count = 0;
      for (let at = data.indexOf(10); at >= 0; at = data.indexOf(10, at + 1)) count++;
      lines.set(file, count);
    }
  }
  return lines;
}

const exists = (file: string) =>
  fsp.stat(file).then(
    () => true,
    () => false,
  );

/** Snapshots in the files that still exist (retention deletes whole files). */
async function storedNow(lines: Map<string, number>): Promise<number> {
  let total = 0;
  for (const [file, count] of lines) if (await exists(file)) total += count;
  return total;
}

async function makeHistory(dataDir: string, end: number) {
  console.log(`history: ${DAYS} days x ${DEVICES} devices every ${INTERVAL_S} s, retention ${RETENTION_DAYS} d`);
  console.log(`data in ${dataDir}`);
  const generated = await generateHistory(dataDir, simulatedDevices(DEVICES), {
    days: DAYS,
    intervalS: INTERVAL_S,
    retentionDays: RETENTION_DAYS,
    maxSnapshots: MAX_SNAPSHOTS,
    end,
    progress: (line) => console.log(line),
  });
  const snapshots = await dirBytes(path.join(dataDir, "snapshots"));
  const rollups = await dirBytes(path.join(dataDir, "rollups"));
  const lines = await linesByFile(path.join(dataDir, "snapshots"));
  const onDisk = await storedNow(lines);
  if (onDisk !== generated.stats.snapshots) {
    throw new Error(`writer says ${generated.stats.snapshots} snapshots, files hold ${onDisk}`);
  }
  return {
    lines,
    summary: {
      snapshots_appended: generated.appended,
      seconds: round(generated.generateS, 1),
      snapshots_kept: onDisk,
      snapshot_files: snapshots.files,
      snapshot_disk_mb: round(snapshots.bytes / 1024 / 1024, 1),
      rollup_files: rollups.files,
      rollup_disk_mb: round(rollups.bytes / 1024 / 1024, 1),
    },
  };
}

// ---- Node-RED ---------------------------------------------------------------------------------------------------

/** A copy of the package as built (dist/ and package.json, the dependencies linked) for Node-RED to load. */
async function freezePackage(into: string): Promise<string> {
  const manifest = JSON.parse(await fsp.readFile(path.join(ROOT, "package.json"), "utf8")) as {
    "node-red": { nodes: Record<string, string> };
  };
  await fsp.mkdir(into, { recursive: true });
  await fsp.cp(DIST, path.join(into, "dist"), { recursive: true });
  await fsp.writeFile(path.join(into, "package.json"), JSON.stringify(manifest, null, 2));
  await fsp.symlink(path.join(ROOT, "node_modules"), path.join(into, "node_modules"), "dir");
  for (const file of Object.values(manifest["node-red"].nodes)) {
    await fsp.access(path.join(into, file)).catch(() => {
      throw new Error(`${file} is missing: run npm run build first`);
    });
  }
  return into;
}

/**
 * Node-RED on a user directory whose node_modules already links the frozen package: NodeRedProcess links the work
 * tree only where nothing is linked yet.
 */
async function startNodeRed(root: string, probeFile: string): Promise<NodeRedProcess> {
  const packageDir = await freezePackage(path.join(root, "package"));
  const userDir = path.join(root, "node-red");
  await fsp.mkdir(path.join(userDir, "node_modules"), { recursive: true });
  await fsp.symlink(packageDir, path.join(userDir, "node_modules", "node-red-contrib-argus"), "dir");
  const red = await NodeRedProcess.start({
    userDir,
    env: {
      NODE_OPTIONS: `--require "${PROBE}"`,
      ARGUS_PROBE_FILE: probeFile,
      ...(CPU_PROFILE === undefined ? {} : { ARGUS_PROBE_CPU_PROFILE: CPU_PROFILE }),
    },
  });
  if (/\[node-red-contrib-argus\/[^\]]+\] Error/.test(red.log)) {
    await red.dispose();
    throw new Error(`Node-RED could not load the package:\n${red.log.slice(-3000)}`);
  }
  return red;
}

// ---- the server ---------------------------------------------------------------------------------------------------

function serverFlow(dataDir: string): object[] {
  return [
    { id: "argus-bench-tab", type: "tab", label: "Argus bench" },
    {
      id: SERVER_ID,
      type: "argus-server",
      name: "bench",
      dataDir,
      retentionDays: String(RETENTION_DAYS),
      credentials: { apiKey: KEY },
    },
  ];
}

interface StartResult {
  deploy_to_health_200_ms: number;
  deploy_to_every_file_counted_ms: number;
  snapshots_counted: number;
}

/** Deploys the server and times it: health 200 (the server answers), then every file counted (it is settled). */
async function startServer(red: NodeRedProcess, dataDir: string, lines: Map<string, number>): Promise<StartResult> {
  const t0 = performance.now();
  let healthMs = NaN;
  const answering = waitFor(async () => (await fetch(`${red.url}/api/health`)).status === 200, {
    timeoutMs: 60_000,
    intervalMs: 2,
    what: "GET /api/health 200",
  }).then(() => (healthMs = performance.now() - t0));
  await Promise.all([red.deploy(serverFlow(dataDir)), answering]);
  let counted = 0;
  await waitFor(
    async () => {
      counted = (await call(red.url, "GET", "/api/health")).body?.store?.snapshots as number;
      return counted === (await storedNow(lines));
    },
    { timeoutMs: 60_000, intervalMs: 5, what: "the server to count every stored snapshot" },
  );
  return {
    deploy_to_health_200_ms: round(healthMs, 1),
    deploy_to_every_file_counted_ms: round(performance.now() - t0, 1),
    snapshots_counted: counted,
  };
}

/** The product's retention path: a lower retention_days through the API applies it before answering. */
async function lowerRetention(red: NodeRedProcess, lines: Map<string, number>) {
  const config = (await call(red.url, "GET", "/api/config")).body as Record<string, unknown>;
  const before = await storedNow(lines);
  const t0 = performance.now();
  const response = await call(red.url, "PUT", "/api/config", {
    key: KEY,
    body: { ...config, retention_days: RETENTION_DAYS - 1 },
  });
  const ms = performance.now() - t0;
  if (response.status !== 200) throw new Error(`PUT /api/config: ${response.status} ${response.text}`);
  const after = await storedNow(lines);
  return {
    retention_days: `${RETENTION_DAYS} -> ${RETENTION_DAYS - 1}`,
    put_config_ms: round(ms, 1),
    deleted_snapshots: before - after,
  };
}

// ---- the loads ----------------------------------------------------------------------------------------------------

function historyPaths(now: number) {
  const devices = simulatedDevices(DEVICES).map((ups) => ups.id);
  return {
    day: devices.map((id) => `/api/snapshots?device_id=${id}&since=${now - DAY}&limit=1000`),
    latest: ["/api/snapshots/latest"],
    energy: devices.map((id) => `/api/energy?device_id=${id}&since=${now - 30 * DAY}&bucket=day`),
  };
}

/** One request of each kind, checked, so that a fast wrong answer cannot pass for a fast right one. */
async function checkAnswers(base: string, paths: ReturnType<typeof historyPaths>): Promise<void> {
  const day = await call(base, "GET", paths.day[0] as string);
  if (day.body?.items?.length !== 1000 || !day.body.next_cursor) throw new Error(`24 h query: ${day.text}`);
  const latest = await call(base, "GET", "/api/snapshots/latest");
  if (latest.body?.items?.length !== DEVICES) throw new Error(`latest: ${latest.text.slice(0, 300)}`);
  const energy = await call(base, "GET", paths.energy[0] as string);
  const buckets = energy.body?.devices?.[0]?.buckets?.length;
  if (energy.status !== 200 || !(energy.body?.total_kwh > 0) || !(buckets >= Math.min(DAYS, 30))) {
    throw new Error(`energy: ${energy.text.slice(0, 300)}`);
  }
  console.log(`checked: 1000 snapshots, ${DEVICES} latest, energy ${energy.body.total_kwh} kWh (${buckets} buckets)`);
}

function sequential(red: NodeRedProcess, paths: string[], requests: number): Promise<LoadResult> {
  return runLoad({
    origin: red.url,
    paths,
    connections: 1,
    requests,
    warmupS: 1,
    expectStatus: 200,
    serverPid: red.pid,
  });
}

/** Keep-alive load from the second process, which also reads Node-RED's CPU use over its measured run. */
function throughput(red: NodeRedProcess, path: string): Promise<LoadResult> {
  return runLoad({
    origin: red.url,
    paths: [path],
    connections: CONNECTIONS,
    durationS: LOAD_S,
    warmupS: 2,
    expectStatus: 200,
    serverPid: red.pid,
  });
}

// ---- report -------------------------------------------------------------------------------------------------------

function stallRows(probe: Probe, summary: ProbeSummary) {
  return summary.phases.map((phase) => ({
    phase: probe.names[phase.index] ?? `#${phase.index}`,
    seconds: round(((phase.ended_at ?? summary.written_at) - phase.started_at) / 1000, 1),
    longest_stall_ms: phase.max_ms,
    longest_on_cpu_ms: phase.on_cpu_max_ms,
    p99_delay_ms: phase.p99_ms,
    longest_gc_ms: phase.gc_max_ms,
    gc_total_ms: phase.gc_total_ms,
    rss_max_mb: phase.rss_max_mb,
  }));
}

function latencyRow(what: string, result: LoadResult) {
  return {
    what,
    requests: result.requests,
    errors: result.errors,
    p50_ms: result.p50_ms,
    p99_ms: result.p99_ms,
    max_ms: result.max_ms,
    per_second: result.per_second,
    server_cpu_ms_per_request: result.server_cpu_ms_per_request ?? NaN,
    kb_per_response: round(result.bytes_per_response / 1024, 1),
  };
}

async function main(): Promise<void> {
  const loadAtStart = round(os.loadavg()[0] ?? NaN, 2);
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), "argus-bench-api-"));
  const dataDir = path.join(root, "argus");
  const end = Math.floor(Date.now() / HOUR) * HOUR; // the history ends at the last whole hour: "now" for the server
  const history = await makeHistory(dataDir, end);
  const probeFile = path.join(root, "probe.json");
  const red = await startNodeRed(root, probeFile);
  try {
    const probe = new Probe(probeFile, red.pid as number, "Node-RED boot (not Argus)");
    const idle = await probe.mark("start: deploy -> health 200 -> every file counted");
    const start = await startServer(red, dataDir, history.lines);
    const started = await probe.mark(`retention (PUT /api/config)`);
    const retention = await lowerRetention(red, history.lines);

    await probe.mark("first requests (cold line indexes), checked");
    const paths = historyPaths(Date.now());
    await checkAnswers(red.url, paths);
    await probe.mark("GET /api/snapshots 24 h (1 connection)");
    const day = await sequential(red, paths.day, 300);
    await probe.mark("GET /api/snapshots/latest (1 connection)");
    const latest = await sequential(red, paths.latest, 3000);
    await probe.mark("GET /api/energy (1 connection)");
    const energy = await sequential(red, paths.energy, 1000);
    await probe.mark(`GET /api/health, ${CONNECTIONS} connections`);
    const health = await throughput(red, "/api/health");
    await probe.mark(`reference GET /auth/login, ${CONNECTIONS} connections (not Argus)`);
    const reference = await throughput(red, "/auth/login");
    const final = await probe.mark("end");
    report({
      history: history.summary,
      start,
      retention,
      idle,
      started,
      final,
      probe,
      day,
      latest,
      energy,
      health,
      reference,
      loadAtStart,
    });
  } catch (error) {
    console.error(`Node-RED's log, last lines:\n${red.log.slice(-3000)}`);
    throw error;
  } finally {
    await red.dispose();
    if (KEEP) {
      await fsp.writeFile(path.join(root, "node-red.log"), red.log);
      console.log(`kept ${root}`);
    } else {
      await fsp.rm(root, { recursive: true, force: true });
    }
  }
}

interface Measured {
  history: Awaited<ReturnType<typeof makeHistory>>["summary"];
  start: StartResult;
  retention: Awaited<ReturnType<typeof lowerRetention>>;
  idle: ProbeSummary;
  started: ProbeSummary;
  final: ProbeSummary;
  probe: Probe;
  day: LoadResult;
  latest: LoadResult;
  energy: LoadResult;
  health: LoadResult;
  reference: LoadResult;
  loadAtStart: number;
}

function report(m: Measured): void {
  const stalls = stallRows(m.probe, m.final);
  // Node-RED's own boot and its own admin route are context, not Argus: the goal covers the phases Argus runs in.
  const argusRows = stalls.filter((row) => !/not Argus|^end$/.test(row.phase));
  const argusStall = Math.max(...argusRows.map((row) => row.longest_stall_ms));
  const argusOnCpu = Math.max(...argusRows.map((row) => row.longest_on_cpu_ms));
  const healthPerCore = Math.round(1000 / (m.health.server_cpu_ms_per_request ?? NaN));
  const memory = {
    rss_idle_node_red_mb: m.idle.rss_mb,
    rss_after_start_mb: m.started.rss_mb,
    rss_for_argus_and_history_mb: round(m.started.rss_mb - m.idle.rss_mb, 1),
    heap_used_after_start_mb: m.started.heap_used_mb,
    rss_max_whole_run_mb: m.final.rss_max_mb,
  };
  const goals = [
    goal(
      `no event-loop stall over ${GOALS.stall_ms} ms (start, retention, loads)`,
      argusStall,
      "ms",
      argusStall <= GOALS.stall_ms,
    ),
    // On a shared machine: the same two goals without the time the OS gave to other processes.
    goal("  ... the same, on CPU only", argusOnCpu, "ms", argusOnCpu <= GOALS.stall_ms),
    goal(
      `Node-RED RSS after start under ${GOALS.rss_mb} MB`,
      memory.rss_after_start_mb,
      "MB",
      memory.rss_after_start_mb < GOALS.rss_mb,
    ),
    goal(`latest p99 under ${GOALS.latest_p99_ms} ms`, m.latest.p99_ms, "ms", m.latest.p99_ms < GOALS.latest_p99_ms),
    goal(`24 h history p99 under ${GOALS.history_p99_ms} ms`, m.day.p99_ms, "ms", m.day.p99_ms < GOALS.history_p99_ms),
    goal(
      `health at least ${GOALS.health_per_s} req/s`,
      m.health.per_second,
      "req/s",
      m.health.per_second >= GOALS.health_per_s,
    ),
    goal("  ... per core of Node-RED CPU time", healthPerCore, "req/s", healthPerCore >= GOALS.health_per_s),
  ];
  printTable("history (written through the stores, retention applied daily)", [m.history]);
  printTable("start on that history", [{ ...m.start, ...m.retention }]);
  printTable("longest event-loop stall inside Node-RED, by phase", stalls);
  printTable("memory of the Node-RED process", [memory]);
  printTable("latency from a second process", [
    latencyRow("GET /api/snapshots 24 h, 1 device, limit 1000", m.day),
    latencyRow("GET /api/snapshots/latest", m.latest),
    latencyRow("GET /api/energy month by day, 1 device", m.energy),
    latencyRow(`GET /api/health, ${CONNECTIONS} connections`, m.health),
    latencyRow(`reference GET /auth/login, ${CONNECTIONS} connections`, m.reference),
  ]);
  const ratios = {
    health_vs_auth_login_per_s: round(m.health.per_second / m.reference.per_second, 2),
    health_vs_auth_login_cpu_per_request: round(
      (m.health.server_cpu_ms_per_request ?? NaN) / (m.reference.server_cpu_ms_per_request ?? NaN),
      2,
    ),
    // What one core of Node-RED serves when it has that core to itself (CPU time per request, so contention-proof).
    health_per_s_per_core: healthPerCore,
    reference_per_s_per_core: Math.round(1000 / (m.reference.server_cpu_ms_per_request ?? NaN)),
    health_server_cpu_pct: m.health.server_cpu_pct ?? NaN,
    health_client_cpu_pct: m.health.client_cpu_pct,
    reference_server_cpu_pct: m.reference.server_cpu_pct ?? NaN,
    reference_client_cpu_pct: m.reference.client_cpu_pct,
  };
  printTable("ratios", [ratios]);
  const loadAtEnd = round(os.loadavg()[0] ?? NaN, 2);
  console.log(`\nload average (1 min) at start ${m.loadAtStart}, at end ${loadAtEnd}, on ${os.cpus().length} CPUs`);
  printTable("goals", goals);
  const file = writeResult("api", {
    config: {
      days: DAYS,
      devices: DEVICES,
      interval_s: INTERVAL_S,
      retention_days: RETENTION_DAYS,
      load_s: LOAD_S,
      connections: CONNECTIONS,
      node: process.version,
      cpus: os.cpus().length,
      // The machine may be shared: a load average over the core count means the figures are pessimistic.
      load_average_1m_at_start: m.loadAtStart,
      load_average_1m_at_end: loadAtEnd,
    },
    history: m.history,
    start: m.start,
    retention: m.retention,
    stalls,
    memory,
    latency: { snapshots_24h: m.day, latest: m.latest, energy_month_by_day: m.energy },
    health: m.health,
    reference_auth_login: m.reference,
    ratios,
    goals,
  });
  console.log(`\nwritten ${file}`);
}

function goal(what: string, value: number, unit: string, met: boolean) {
  return { goal: what, measured: `${value} ${unit}`, met: met ? "yes" : "NO" };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
