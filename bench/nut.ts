/**
 * NUT polling: this client against the references users have today, in one run, against one real upsd serving
 * 50 dummy UPSes on loopback. A "full snapshot" is every variable of one UPS.
 *   - argus: the shared persistent client (pipelined GET VARs) plus normalization into a Snapshot
 *   - upsc: one process per poll, as node-red-contrib-nut-ups does
 *   - node-nut: the npm client (LIST VAR on a persistent connection, one command at a time)
 * Then a soak: all 50 UPSes polled every second for BENCH_SOAK_S seconds (default 600), resident memory sampled.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { NutDriver } from "../src/nut/driver";
import { NutClientPool } from "../src/nut/pool";
import { SAMPLE_UPS_VARS, Upsd } from "../test/support/upsd";
import { measure, measureRounds, printTable, round, writeResult, type LatencySummary } from "./stats";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Nut = require("node-nut") as new (port: number, host: string) => NodeNut;
interface NodeNut {
  on(event: "ready" | "error" | "close", listener: (arg?: unknown) => void): void;
  start(): void;
  close(): void;
  GetUPSVars(ups: string, callback: (vars: Record<string, string>, error: string | null) => void): void;
}

const execFileAsync = promisify(execFile);
const UPS_COUNT = 50;
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 600);

async function main(): Promise<void> {
  const names = Array.from({ length: UPS_COUNT }, (_, i) => `ups${i + 1}`);
  const upsd = await Upsd.start({ upses: names.map((name) => ({ name, vars: SAMPLE_UPS_VARS })) });
  try {
    const pool = new NutClientPool();
    const drivers = names.map((ups) => new NutDriver(ups, settings(upsd, ups), { pool }));
    await Promise.all(drivers.map((driver) => driver.poll())); // discovery (LIST VAR) once per UPS
    let next = 0;
    const pollOne = async () => {
      const snapshot = await (drivers[next++ % UPS_COUNT] as NutDriver).poll();
      if (!snapshot.reachable) throw new Error(`poll failed: ${snapshot.error?.message}`);
    };
    await measure(2000, pollOne); // warm-up
    const argus = await measure(20000, pollOne);
    const argusConcurrent = await measureRounds(
      drivers.map((driver) => () => driver.poll()),
      200,
    );

    const upsc = await measure(200, () => execFileAsync("upsc", [`ups1@${upsd.host}:${upsd.port}`]));
    const nodeNut = await measureNodeNut(upsd, 100);

    const soak = await soakMemory(drivers, SOAK_S);
    drivers.forEach((driver) => driver.close());

    const rows = [
      row("argus (sequential)", argus, upsc),
      row("argus (50 UPSes at once)", argusConcurrent, upsc),
      row("upsc (process per poll)", upsc, upsc),
      row("node-nut", nodeNut, upsc),
    ];
    printTable(`NUT full snapshot, ${UPS_COUNT} UPSes on one upsd (loopback)`, rows);
    printTable(`Memory while polling all ${UPS_COUNT} every second for ${SOAK_S} s`, [soak]);
    const file = writeResult("nut", {
      ups_count: UPS_COUNT,
      variables: Object.keys(SAMPLE_UPS_VARS).length,
      rows,
      soak,
    });
    console.log(`written ${file}`);
  } finally {
    await upsd.stop();
  }
}

function settings(upsd: Upsd, ups: string) {
  return { host: upsd.host, port: upsd.port, ups, username: "", password: "", tls: "off" as const };
}

async function measureNodeNut(upsd: Upsd, runs: number): Promise<LatencySummary> {
  const client = new Nut(upsd.port, upsd.host);
  await new Promise<void>((resolve, reject) => {
    client.on("ready", () => resolve());
    client.on("error", (error) => reject(error));
    client.start();
  });
  try {
    const poll = () =>
      new Promise<void>((resolve, reject) =>
        client.GetUPSVars("ups1", (vars, error) => (error ? reject(new Error(error)) : resolve(void vars))),
      );
    await measure(5, poll);
    return await measure(runs, poll);
  } finally {
    client.close();
  }
}

async function soakMemory(drivers: NutDriver[], seconds: number) {
  const samples: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const started = Date.now();
  let polls = 0;
  let failures = 0;
  while (Date.now() - started < seconds * 1000) {
    const tick = Date.now();
    const snapshots = await Promise.all(drivers.map((driver) => driver.poll()));
    polls += snapshots.length;
    failures += snapshots.filter((snapshot) => !snapshot.reachable).length;
    if (samples.length === 0 || (tick - started) / 10_000 >= samples.length) {
      gc?.();
      samples.push(process.memoryUsage().rss);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - tick))));
  }
  const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
  const firstMinute = samples.slice(0, 7);
  const lastMinute = samples.slice(-6);
  return {
    seconds,
    polls,
    failures,
    rss_start_mb: mb(samples[0] ?? 0),
    rss_first_minute_max_mb: mb(Math.max(...firstMinute)),
    rss_last_minute_max_mb: mb(Math.max(...lastMinute)),
    rss_max_mb: mb(Math.max(...samples)),
    gc_before_samples: gc ? "yes" : "no",
  };
}

function row(name: string, summary: LatencySummary, reference: LatencySummary) {
  return {
    client: name,
    "p50 ms": summary.p50_ms,
    "p99 ms": summary.p99_ms,
    "snapshots/s": summary.per_second,
    "p50 vs upsc": `${round(reference.p50_ms / summary.p50_ms, 1)}x faster`,
    "rate vs upsc": `${round(summary.per_second / reference.per_second, 1)}x`,
  };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
