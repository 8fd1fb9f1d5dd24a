/** Small helpers shared by the benchmarks: percentiles, timing, a table and the JSON result file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] as number;
}

export interface LatencySummary {
  runs: number;
  p50_ms: number;
  p99_ms: number;
  per_second: number;
}

/** Runs `task` sequentially `runs` times; the rate is runs over the whole wall time, not 1/p50. */
export async function measure(runs: number, task: () => Promise<unknown>): Promise<LatencySummary> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) await timed(task, samples);
  return summarize(samples, performance.now() - started);
}

/** Runs every task at once, round after round: how many results a second one core delivers with concurrency. */
export async function measureRounds(
  tasks: ReadonlyArray<() => Promise<unknown>>,
  rounds: number,
): Promise<LatencySummary> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await Promise.all(tasks.map((task) => timed(task, samples)));
  return summarize(samples, performance.now() - started);
}

async function timed(task: () => Promise<unknown>, samples: number[]): Promise<void> {
  const t0 = performance.now();
  await task();
  samples.push(performance.now() - t0);
}

export function summarize(samples: number[], elapsedMs: number): LatencySummary {
  samples.sort((a, b) => a - b);
  return {
    runs: samples.length,
    p50_ms: round(percentile(samples, 50)),
    p99_ms: round(percentile(samples, 99)),
    per_second: Math.round((samples.length / elapsedMs) * 1000),
  };
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function printTable(title: string, rows: Record<string, string | number | boolean | null>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

export function writeResult(name: string, result: object): string {
  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), ...result }, null, 2) + "\n");
  return file;
}
