/**
 * An HTTP load generator that runs in its own process, so the server under test and the client do not share an
 * event loop (on this 2-core machine they get a core each). `runLoad(spec)` spawns this file with tsx and
 * returns what the child printed: one JSON line of results.
 *
 * The child keeps `connections` keep-alive connections (undici Pool, no pipelining) with one request in flight on
 * each, round-robins `paths`, reads every body whole, and counts anything but `expectStatus` as an error. It
 * stops after `durationS` seconds or `requests` requests, whichever the spec gives; a warm-up (JIT, connections,
 * server caches) runs first and is not counted.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";

export interface LoadSpec {
  origin: string;
  paths: string[];
  connections: number;
  /** Run for this long... */
  durationS?: number;
  /** ...or send this many requests. */
  requests?: number;
  /** Uncounted warm-up before the measured run. */
  warmupS: number;
  expectStatus: number;
  /** The server's PID: its CPU use over the measured run is reported (Linux /proc). */
  serverPid?: number;
}

export interface LoadResult {
  connections: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  per_second: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  bytes_per_response: number;
  /** Of one core: near 100 means the client, not the server, may be the limit. */
  client_cpu_pct: number;
  /** Of one core, over the measured run; null without `serverPid`. */
  server_cpu_pct: number | null;
  /** The server's CPU time per request: what it costs whatever else runs on the machine. */
  server_cpu_ms_per_request: number | null;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Spawns the load generator and resolves with its results; rejects when it fails or prints no result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", __filename, JSON.stringify(spec)], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: path.resolve(__dirname, "../.."), // where `--import tsx` resolves
      env: { ...process.env, NODE_OPTIONS: "" }, // never the probe meant for Node-RED
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) {
        reject(new Error(`load generator exited ${code}: ${err.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}

interface Tally {
  latencies: number[];
  statuses: Map<number, number>;
  bytes: number;
}

/** One connection's worth of work: request after request until `more()` says stop. */
async function worker(pool: Pool, spec: LoadSpec, more: () => boolean, next: () => number, tally: Tally | null) {
  while (more()) {
    const path = spec.paths[next() % spec.paths.length] as string;
    const t0 = performance.now();
    const response = await pool.request({ path, method: "GET" });
    const body = Buffer.from(await response.body.arrayBuffer());
    if (tally === null) continue;
    tally.latencies.push(performance.now() - t0);
    tally.statuses.set(response.statusCode, (tally.statuses.get(response.statusCode) ?? 0) + 1);
    tally.bytes += body.length;
  }
}

async function phase(pool: Pool, spec: LoadSpec, limit: { ms?: number; requests?: number }, tally: Tally | null) {
  const deadline = limit.ms === undefined ? Infinity : performance.now() + limit.ms;
  let issued = 0;
  const more = () => performance.now() < deadline && (limit.requests === undefined || issued < limit.requests);
  const next = () => issued++;
  await Promise.all(Array.from({ length: spec.connections }, () => worker(pool, spec, more, next, tally)));
}

/** CPU ms (user + system) a process has used, from /proc/<pid>/stat (utime and stime, in 10 ms ticks). */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface CpuUse {
  clientMs: number;
  serverMs: number | null;
}

function summarize(spec: LoadSpec, tally: Tally, seconds: number, cpu: CpuUse): LoadResult {
  const sorted = Float64Array.from(tally.latencies).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const requests = sorted.length;
  const ok = tally.statuses.get(spec.expectStatus) ?? 0;
  return {
    connections: spec.connections,
    requests,
    errors: requests - ok,
    statuses: Object.fromEntries([...tally.statuses].map(([status, count]) => [String(status), count])),
    seconds: round(seconds, 2),
    per_second: Math.round(requests / seconds),
    p50_ms: round(at(50) ?? NaN),
    p99_ms: round(at(99) ?? NaN),
    max_ms: round(at(100) ?? NaN),
    bytes_per_response: Math.round(tally.bytes / Math.max(1, requests)),
    client_cpu_pct: Math.round((cpu.clientMs / (seconds * 1000)) * 100),
    server_cpu_pct: cpu.serverMs === null ? null : Math.round((cpu.serverMs / (seconds * 1000)) * 100),
    server_cpu_ms_per_request: cpu.serverMs === null ? null : round(cpu.serverMs / Math.max(1, requests)),
  };
}

async function main(spec: LoadSpec): Promise<void> {
  const pool = new Pool(spec.origin, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    await phase(pool, spec, { ms: spec.warmupS * 1000 }, null);
    const tally: Tally = { latencies: [], statuses: new Map(), bytes: 0 };
    const limit = spec.durationS === undefined ? { requests: spec.requests } : { ms: spec.durationS * 1000 };
    const server0 = spec.serverPid === undefined ? null : await processCpuMs(spec.serverPid);
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    await phase(pool, spec, limit, tally);
    const seconds = (performance.now() - t0) / 1000;
    const client = process.cpuUsage(client0);
    const serverMs = server0 === null ? null : (await processCpuMs(spec.serverPid as number)) - server0;
    const cpu = { clientMs: (client.user + client.system) / 1000, serverMs };
    console.log(JSON.stringify(summarize(spec, tally, seconds, cpu)));
  } finally {
    await pool.close();
  }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? "{}") as LoadSpec).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
