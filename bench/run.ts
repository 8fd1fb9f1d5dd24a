/**
 * `npm run bench`: every benchmark, one process each (so one's memory and JIT state do not colour another's),
 * each printing its table and writing bench/results/<name>.json. `npm run bench -- nut store` runs a subset.
 * BENCH_SOAK_S shortens the NUT memory soak (default 600 s, as the issue asks).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const ALL = ["nut", "snmp", "detector", "alerts", "store", "api"];

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
const failed: string[] = [];
for (const name of chosen) {
  const file = join(__dirname, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`no benchmark named ${name}`);
    failed.push(name);
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", file], { stdio: "inherit" });
  if (run.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exitCode = 1;
}
