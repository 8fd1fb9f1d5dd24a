/**
 * Simulated device history at product scale, written the way the product writes it: every poll goes through
 * `SnapshotStore.append` and `RollupStore.add`, the snapshot store is flushed every simulated hour, and retention
 * runs at every simulated UTC midnight (the product runs it hourly; day files only expire at midnight, so the
 * files left are the same). Shared by bench/store.ts (the stores in one process) and bench/api.ts (a real
 * Node-RED serving the folder).
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { Snapshot } from "../../src/model/snapshot";
import { snapshotFromNutVars } from "../../src/nut/snapshot";
import { RollupStore } from "../../src/store/rollup-store";
import { SnapshotStore, type SnapshotStoreStats } from "../../src/store/snapshot-store";

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One simulated UPS: mostly constant variables, a drifting load, and a 5-minute outage every day. */
export class SimulatedUps {
  private readonly rand: () => number;
  private readonly vars: Record<string, string>;
  private charge = 100;
  private load = 20;

  constructor(
    readonly id: string,
    private readonly index: number,
  ) {
    this.rand = random(index + 1);
    this.vars = {
      "battery.charge": "100",
      "battery.charge.low": "10",
      "battery.runtime": "1800",
      "battery.runtime.low": "120",
      "battery.voltage": "27.3",
      "battery.voltage.nominal": "24",
      "battery.type": "PbAc",
      "battery.mfr.date": "2023/05/14",
      "device.mfr": "EATON",
      "device.model": "5PX 1500",
      "device.serial": `G${115000 + index}`,
      "device.type": "ups",
      "driver.name": "usbhid-ups",
      "driver.version": "2.8.1",
      "input.voltage": "230.4",
      "input.frequency": "50.0",
      "input.transfer.high": "264",
      "input.transfer.low": "176",
      "output.voltage": "230.0",
      "output.frequency": "50.0",
      "ups.load": "20",
      "ups.realpower": "180",
      "ups.realpower.nominal": "1350",
      "ups.power.nominal": "1500",
      "ups.status": "OL",
      "ups.temperature": "29.5",
      "ups.mfr": "EATON",
      "ups.model": "5PX 1500",
      "ups.firmware": "02.14.0026",
      "ups.beeper.status": "enabled",
      "ups.test.result": "Done and passed",
      "ups.delay.shutdown": "20",
    };
  }

  poll(ms: number): Snapshot {
    const r = this.rand;
    if (r() < 0.002) {
      return {
        ...snapshotFromNutVars(this.id, {}, new Date(ms)),
        reachable: false,
        error: { code: "ETIMEDOUT", message: "no answer within 5000 ms" },
      };
    }
    const minuteOfDay = Math.floor((ms % DAY) / 60_000);
    const outageStart = 120 + this.index * 180; // a 5-minute outage, at a different time for each device
    const onBattery = minuteOfDay >= outageStart && minuteOfDay < outageStart + 5;
    this.load = Math.min(60, Math.max(5, this.load + (r() - 0.5) * 0.6));
    const load = Math.round(this.load);
    if (onBattery) this.charge = Math.max(20, this.charge - 0.3);
    else if (this.charge < 100) this.charge = Math.min(100, this.charge + 0.05);
    const charge = Math.floor(this.charge);
    const v = this.vars;
    v["ups.status"] = onBattery ? "OB DISCHRG" : charge < 100 ? "OL CHRG" : "OL";
    v["battery.charge"] = String(charge);
    v["battery.runtime"] = String(Math.round((charge / 100) * 2400 * (20 / Math.max(load, 5))));
    v["battery.voltage"] = (onBattery ? 25.1 : 27.3 + (r() < 0.1 ? 0.1 : 0)).toFixed(1);
    v["input.voltage"] = onBattery ? "0.0" : (229 + Math.round(r() * 4)).toFixed(1);
    v["input.frequency"] = onBattery ? "0.0" : r() < 0.2 ? "49.9" : "50.0";
    v["output.voltage"] = r() < 0.1 ? "229.8" : "230.0";
    v["ups.load"] = String(load);
    v["ups.realpower"] = String(Math.round(13.5 * load));
    if (r() < 0.05) v["ups.temperature"] = (29 + r() * 2).toFixed(1);
    return snapshotFromNutVars(this.id, v, new Date(ms));
  }
}

/** Device ids `ups-1` ... `ups-<count>`. */
export function simulatedDevices(count: number): SimulatedUps[] {
  return Array.from({ length: count }, (_, i) => new SimulatedUps(`ups-${i + 1}`, i));
}

export interface HistoryOptions {
  days: number;
  intervalS: number;
  retentionDays: number;
  maxSnapshots: number;
  /** The simulated "now": the end of the history, on a whole hour (UTC) so that midnights fall on hour steps. */
  end: number;
  /** Told about progress every 5 simulated days. */
  progress?: (line: string) => void;
}

export interface GeneratedHistory {
  appended: number;
  generateS: number;
  /** The writer's view when it closed (what the product would have on disk). */
  stats: SnapshotStoreStats;
}

/** Writes `days` of polls of `devices` into `dataDir` (its `snapshots/` and `rollups/`); the writers are closed. */
export async function generateHistory(
  dataDir: string,
  devices: SimulatedUps[],
  options: HistoryOptions,
): Promise<GeneratedHistory> {
  if (options.end % HOUR !== 0) throw new Error("history end must be on a whole hour");
  const generateStart = performance.now();
  const limits = { retention_days: options.retentionDays, max_snapshots: options.maxSnapshots };
  const intervalMs = options.intervalS * 1000;
  const writer = new SnapshotStore(dataDir);
  const rollupWriter = new RollupStore(dataDir, { intervalMs, now: () => options.end, checkpointMs: 0 });
  await writer.open();
  await rollupWriter.open();
  const start = options.end - options.days * DAY;
  let appended = 0;
  for (let hour = start; hour < options.end; hour += HOUR) {
    for (let ms = hour; ms < hour + HOUR; ms += intervalMs) {
      for (const ups of devices) {
        const snapshot = ups.poll(ms);
        writer.append(snapshot);
        rollupWriter.add(snapshot);
        appended++;
      }
    }
    await writer.flush();
    if ((hour + HOUR) % DAY === 0) {
      await writer.applyRetention(limits, hour + HOUR);
      await rollupWriter.applyRetention(limits, hour + HOUR);
      const done = Math.round((hour + HOUR - start) / DAY);
      if (done % 5 === 0) {
        const rate = Math.round(appended / ((performance.now() - generateStart) / 1000));
        options.progress?.(`  day ${done}/${options.days}: ${appended} snapshots, ${rate}/s`);
      }
    }
  }
  await writer.close();
  await rollupWriter.close();
  return { appended, generateS: (performance.now() - generateStart) / 1000, stats: writer.stats() };
}

/** Files and bytes under `dir`, recursively. */
export async function dirBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = await dirBytes(full);
      files += sub.files;
      bytes += sub.bytes;
    } else {
      files++;
      bytes += (await fsp.stat(full)).size;
    }
  }
  return { files, bytes };
}
