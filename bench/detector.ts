/**
 * The power event detector's cost per snapshot (goal: under 10 microseconds), over a million scripted snapshots
 * per scenario of a UPS with 31 NUT variables polled every 10 s:
 *   - on mains: nothing ever happens (the common case)
 *   - a day with outages: an outage every hour, held 30 s by the debounce, charge and runtime thresholds crossed,
 *     LB near its end, a run of failed polls now and then (COMMBAD/COMMOK), a battery to replace
 *   - flapping: OB and OL alternating every poll with no delay, an event on every snapshot (the worst case)
 *   - unreachable: every poll failed
 * Snapshots are built outside the timed loops; only `observe()` (and `tick()` in its own row) is timed, in batches
 * of 10,000 whose per-snapshot means give the p50 and p99 columns.
 *
 *   npx tsx bench/detector.ts [--snapshots 1000000]
 */
import { EventDetector } from "../src/engine/detector";
import type { DetectorSettingsInput } from "../src/engine/detector-settings";
import { unreachableSnapshot, type Snapshot } from "../src/model/snapshot";
import { snapshotFromNutVars } from "../src/nut/snapshot";
import { SAMPLE_UPS_VARS } from "../test/support/upsd";
import { percentile, printTable, round, writeResult } from "./stats";

const at = process.argv.indexOf("--snapshots");
const SNAPSHOTS = at > 0 ? Number(process.argv[at + 1]) : 1_000_000;
const BATCH = 10_000;
const INTERVAL_MS = 10_000;
const T0 = Date.UTC(2025, 0, 1);
const GOAL_NS = 10_000;
const DEVICE = "bench-ups";

type Script = (poll: number) => Snapshot;

/** Snapshot templates, made once: the script picks one and the batch gives it its ts. */
function template(status: string, charge: number, runtime: number): Snapshot {
  return snapshotFromNutVars(
    DEVICE,
    { ...SAMPLE_UPS_VARS, "ups.status": status, "battery.charge": String(charge), "battery.runtime": String(runtime) },
    new Date(T0),
  );
}

const ON_MAINS = template("OL CHRG", 100, 1800);
const UNREACHABLE = unreachableSnapshot(DEVICE, new Date(T0), { code: "ETIMEDOUT", message: "no answer in 5 s" });
/** An outage's snapshots by poll: charge falls 1 point a poll from 100, runtime with it; LB at the end. */
const OUTAGE = Array.from({ length: 30 }, (_, i) =>
  template(i >= 27 ? "OB DISCHRG LB" : "OB DISCHRG", 100 - i * 2, 1800 - i * 60),
);
const RECHARGING = template("OL CHRG", 60, 900);
const REPLACE = template("OL CHRG RB", 100, 1800);

/** 360 polls an hour: an outage of 30 polls (5 min), 4 failed polls in a row, a stretch with RB, mains otherwise. */
const dayWithOutages: Script = (poll) => {
  const p = poll % 360;
  if (p >= 10 && p < 40) return OUTAGE[p - 10] as Snapshot;
  if (p >= 40 && p < 100) return RECHARGING;
  if (p >= 200 && p < 204) return UNREACHABLE;
  if (p >= 300 && p < 310) return REPLACE;
  return ON_MAINS;
};

const FLAP_OB = template("OB DISCHRG", 95, 1700);
const flapping: Script = (poll) => (poll % 2 === 0 ? FLAP_OB : ON_MAINS);

interface Scenario {
  name: string;
  settings: DetectorSettingsInput;
  script: Script;
}

const SCENARIOS: Scenario[] = [
  { name: "on mains", settings: {}, script: () => ON_MAINS },
  {
    name: "a day with outages",
    settings: { on_battery_delay_s: 30, charge_low_pct: 50, runtime_low_s: 600, replbatt_repeat_s: 600 },
    script: dayWithOutages,
  },
  { name: "flapping, no delay", settings: {}, script: flapping },
  { name: "unreachable", settings: {}, script: () => UNREACHABLE },
];

function batchOf(script: Script, first: number): Snapshot[] {
  const batch = new Array<Snapshot>(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const poll = first + i;
    batch[i] = { ...script(poll), ts: new Date(T0 + poll * INTERVAL_MS).toISOString() };
  }
  return batch;
}

interface Measured {
  snapshots: number;
  events: number;
  mean_ns: number;
  p50_ns: number;
  p99_ns: number;
}

function run(scenario: Scenario, total: number): Measured {
  const detector = new EventDetector({ deviceId: DEVICE, deviceName: "Bench UPS", settings: scenario.settings });
  const batchMeans: number[] = [];
  let events = 0;
  let elapsedNs = 0n;
  for (let first = 0; first < total; first += BATCH) {
    const batch = batchOf(scenario.script, first);
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) events += detector.observe(batch[i] as Snapshot).length;
    const took = process.hrtime.bigint() - started;
    elapsedNs += took;
    batchMeans.push(Number(took) / BATCH);
  }
  batchMeans.sort((a, b) => a - b);
  const snapshots = batchMeans.length * BATCH;
  return {
    snapshots,
    events,
    mean_ns: round(Number(elapsedNs) / snapshots, 1),
    p50_ns: round(percentile(batchMeans, 50), 1),
    p99_ns: round(percentile(batchMeans, 99), 1),
  };
}

/** `tick()` with nothing due, as a server calls it every second for every device. */
function runTick(total: number): Measured {
  const detector = new EventDetector({ deviceId: DEVICE, settings: {} });
  detector.observe({ ...ON_MAINS, ts: new Date(T0).toISOString() });
  const batchMeans: number[] = [];
  let events = 0;
  let elapsedNs = 0n;
  for (let first = 0; first < total; first += BATCH) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) events += detector.tick(T0 + (first + i) * 1000).length;
    const took = process.hrtime.bigint() - started;
    elapsedNs += took;
    batchMeans.push(Number(took) / BATCH);
  }
  batchMeans.sort((a, b) => a - b);
  return {
    snapshots: batchMeans.length * BATCH,
    events,
    mean_ns: round(Number(elapsedNs) / (batchMeans.length * BATCH), 1),
    p50_ns: round(percentile(batchMeans, 50), 1),
    p99_ns: round(percentile(batchMeans, 99), 1),
  };
}

function main(): void {
  for (const scenario of SCENARIOS) run(scenario, 100_000); // warm-up: let the JIT settle on every path
  runTick(100_000);
  const measured = SCENARIOS.map((scenario) => ({ scenario: scenario.name, ...run(scenario, SNAPSHOTS) }));
  measured.push({ scenario: "tick() with nothing due", ...runTick(SNAPSHOTS) });
  const rows = measured.map((m) => ({
    scenario: m.scenario,
    calls: m.snapshots,
    events: m.events,
    "ns/call": m.mean_ns,
    "p50 ns (batch)": m.p50_ns,
    "p99 ns (batch)": m.p99_ns,
    "vs goal": m.mean_ns < GOAL_NS ? `${round(GOAL_NS / m.mean_ns, 0)}x under` : "OVER",
  }));
  printTable(`Event detector: observe() per snapshot (goal < ${GOAL_NS / 1000} µs), ${SNAPSHOTS} per scenario`, rows);
  const worst = Math.max(...measured.map((m) => m.p99_ns));
  const file = writeResult("detector", {
    config: { snapshots_per_scenario: SNAPSHOTS, batch: BATCH, variables: Object.keys(SAMPLE_UPS_VARS).length },
    goal_ns: GOAL_NS,
    worst_p99_ns: worst,
    goal_met: worst < GOAL_NS,
    rows: measured,
    node: process.version,
  });
  console.log(`written ${file}`);
}

main();
