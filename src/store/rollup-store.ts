/**
 * Hourly rollups per device, kept ten times as long as raw snapshots: `<dataDir>/rollups/<device_id>/<YYYY-MM>.jsonl`, one
 * line per hour written when the hour is over (and at checkpoints and on close for the hour under way). A later
 * line for the same hour wins, so a restart continues the hour where the last line left it, and a line written
 * again after a late energy contribution replaces the earlier one.
 *
 * Energy comes from an `EnergyIntegrator`; its hourly buckets (a number per device-hour) stay in memory for the
 * whole rollup history, so `energy()` answers without I/O. The other statistics are read from the files.
 */
import { EventEmitter } from "node:events";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { EnergyIntegrator, summarizeEnergy } from "../engine/energy";
import type { EnergyBucket, EnergyReport, IntegratorPoint } from "../engine/energy";
import type { Snapshot } from "../model/snapshot";
import { listDeviceFiles } from "./device-files";
import { InvalidDeviceIdError, InvalidQueryError } from "./errors";
import {
  assertDeviceId,
  DAY_MS,
  HOUR_MS,
  hourStart,
  isDeviceId,
  monthKey,
  monthStart,
  nextMonthStart,
  parseSnapshotTs,
  parseTimeInput,
} from "./keys";
import type { TimeInput } from "./keys";
import { Slicer } from "./slicer";

export const METRICS = ["battery_charge_pct", "load_pct", "input_voltage_v", "power_w"] as const;
export type Metric = (typeof METRICS)[number];

export interface MetricStats {
  avg: number;
  min: number;
  max: number;
  /** Samples that reported the value. */
  n: number;
}

export interface RollupRow {
  /** Start of the UTC hour, ISO 8601. */
  hour: string;
  /** Snapshots in the hour, reachable or not. */
  samples: number;
  unreachable: number;
  energy_wh: number;
  battery_charge_pct: MetricStats | null;
  load_pct: MetricStats | null;
  input_voltage_v: MetricStats | null;
  power_w: MetricStats | null;
  /** `status.raw` of the last reachable snapshot of the hour. */
  status: string | null;
  /** Where energy integration stood when the line was written (lets a restart bridge a short gap). */
  last: { ts: string; power_w: number } | null;
}

export interface EnergyQuery {
  device_id?: string | null;
  since?: TimeInput | null;
  until?: TimeInput | null;
  /** Default `day`. */
  bucket?: EnergyBucket | string | null;
}

export interface RollupStoreOptions {
  /** Expected poll interval (ms); gaps over 3 intervals are not integrated. Default 10 s. */
  intervalMs?: number;
  /** Writes the hour under way this often (ms) so a crash loses little; 0 turns it off. Default 10 min. */
  checkpointMs?: number;
  /** Clock for deciding which months are complete (compaction). Default `Date.now`. */
  now?: () => number;
}

export interface RollupStoreStats {
  ok: boolean;
  devices: number;
  /** Device-hours known. */
  hours: number;
  corrupt: number;
  last_error: string | null;
}

/** Rollups are kept this many times as long as raw snapshots. */
export const ROLLUP_RETENTION_FACTOR = 10;
const MONTH_FILE = /^(\d{4}-\d{2})\.jsonl$/;

interface MetricAcc {
  sum: number;
  min: number;
  max: number;
  n: number;
}

interface HourAcc {
  hour: number;
  samples: number;
  unreachable: number;
  metrics: Record<Metric, MetricAcc>;
  status: string | null;
  statusMs: number;
  dirty: boolean;
}

interface DeviceState {
  live: Map<number, HourAcc>;
  newestHour: number;
}

function emptyMetrics(): Record<Metric, MetricAcc> {
  const metrics = {} as Record<Metric, MetricAcc>;
  for (const metric of METRICS) metrics[metric] = { sum: 0, min: Infinity, max: -Infinity, n: 0 };
  return metrics;
}

function isStats(value: unknown): value is MetricStats {
  if (typeof value !== "object" || value === null) return false;
  const stats = value as Record<string, unknown>;
  return ["avg", "min", "max", "n"].every((key) => typeof stats[key] === "number");
}

function parseRow(text: string): RollupRow | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const row = value as Record<string, unknown>;
  if (typeof row.hour !== "string" || !Number.isFinite(parseSnapshotTs(row.hour))) return null;
  if (typeof row.samples !== "number" || typeof row.energy_wh !== "number") return null;
  for (const metric of METRICS) if (row[metric] !== null && !isStats(row[metric])) return null;
  return value as RollupRow;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EIO";
}

export class RollupStore extends EventEmitter {
  private state: "new" | "open" | "closed" = "new";
  private opening: Promise<void> | null = null;
  private readonly integrator: EnergyIntegrator;
  private readonly devices = new Map<string, DeviceState>();
  /** device -> months with a file. */
  private readonly months = new Map<string, Set<string>>();
  private pendingRows: { device: string; row: RollupRow }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly failing = new Set<string>();
  private lastError: string | null = null;
  private corrupt = 0;
  private readonly checkpointMs: number;
  private readonly now: () => number;

  /** `<dataDir>/rollups`: one directory per device. */
  readonly base: string;

  constructor(
    /** Argus's data directory (e.g. `<userDir>/argus`); rollups go to its `rollups/` directory. */
    readonly dataDir: string,
    options: RollupStoreOptions = {},
  ) {
    super();
    this.base = path.join(dataDir, "rollups");
    this.integrator = new EnergyIntegrator({ intervalMs: options.intervalMs ?? 10_000 });
    this.checkpointMs = options.checkpointMs ?? 600_000;
    this.now = options.now ?? Date.now;
  }

  /** Expected poll interval (ms), of one device or the default. */
  setIntervalMs(intervalMs: number, deviceId?: string): void {
    this.integrator.setIntervalMs(intervalMs, deviceId);
  }

  /** Reads every rollup file (time-sliced): energy by hour, the recent hours' statistics, integration state. */
  open(): Promise<void> {
    if (this.state === "closed") return Promise.reject(new Error("rollup store is closed"));
    this.opening ??= this.load().then(() => {
      if (this.state !== "new") return;
      this.state = "open";
      if (this.checkpointMs > 0) {
        this.timer = setInterval(() => void this.flush(), this.checkpointMs);
        this.timer.unref();
      }
    });
    return this.opening;
  }

  /**
   * Adds a snapshot to its hour (and energy), in time order per device. Returns false once closed; throws on a bad
   * device id or ts, and before `open()` has resolved.
   */
  add(snapshot: Snapshot): boolean {
    if (this.state === "closed") return false;
    if (this.state !== "open") throw new Error("rollup store: await open() before add()");
    const device = snapshot.device_id;
    if (!isDeviceId(device)) throw new InvalidDeviceIdError();
    const ms = parseSnapshotTs(snapshot.ts);
    if (Number.isNaN(ms)) throw new InvalidQueryError("ts", "ts must be an ISO 8601 UTC timestamp");
    const hour = hourStart(ms);
    let state = this.devices.get(device);
    if (state === undefined) this.devices.set(device, (state = { live: new Map(), newestHour: -Infinity }));
    if (hour < state.newestHour - this.windowMs(device)) return true; // too late to change that hour
    const contributions = this.integrator.add({
      device_id: device,
      ts: ms,
      reachable: snapshot.reachable,
      power_w: snapshot.power_w,
    });
    const acc = this.liveHour(device, state, hour);
    acc.samples++;
    if (!snapshot.reachable) acc.unreachable++;
    for (const metric of METRICS) {
      const value = snapshot[metric];
      if (value === null || !Number.isFinite(value)) continue;
      const m = acc.metrics[metric];
      m.sum += value;
      m.n++;
      if (value < m.min) m.min = value;
      if (value > m.max) m.max = value;
    }
    if (snapshot.reachable && ms >= acc.statusMs) {
      acc.status = snapshot.status.raw;
      acc.statusMs = ms;
    }
    acc.dirty = true;
    for (const contribution of contributions) {
      if (contribution.hour >= state.newestHour - this.windowMs(device)) {
        this.liveHour(device, state, contribution.hour).dirty = true;
      }
    }
    if (hour > state.newestHour) {
      state.newestHour = hour;
      // The hours before are over: write them, and forget those no late contribution can reach.
      for (const [h, row] of state.live) {
        if (h < hour && row.dirty) this.queueRow(device, row);
        if (h < hour - this.windowMs(device)) state.live.delete(h);
      }
    }
    return true;
  }

  /** `GET /api/energy`: from memory. Throws a `StoreInputError` for a bad device id, time or bucket. */
  energy(query: EnergyQuery = {}): EnergyReport {
    const device = query.device_id === undefined || query.device_id === null ? null : assertDeviceId(query.device_id);
    const sinceMs = parseTimeInput(query.since, "since");
    const untilMs = parseTimeInput(query.until, "until");
    const bucket = query.bucket ?? "day";
    if (bucket !== "hour" && bucket !== "day" && bucket !== "month") {
      throw new InvalidQueryError("bucket", "bucket must be hour, day or month");
    }
    return summarizeEnergy(this.integrator.hourly(), {
      deviceIds: device === null ? undefined : [device],
      sinceMs,
      untilMs,
      bucket,
    });
  }

  /** One device's rows in [since, until) by hour, oldest first (files plus the hours in memory). */
  async rows(deviceId: string, since?: TimeInput | null, until?: TimeInput | null): Promise<RollupRow[]> {
    const device = assertDeviceId(deviceId);
    const from = parseTimeInput(since, "since") ?? -Infinity;
    const to = parseTimeInput(until, "until") ?? Infinity;
    if (this.opening === null) throw new Error("rollup store: open() first");
    await this.exclusive(async () => {
      await this.opening;
      await this.drain(); // rows already queued; the hours in memory are added below
    });
    const byHour = new Map<number, RollupRow>();
    const slicer = new Slicer();
    for (const month of [...(this.months.get(device) ?? [])].sort()) {
      const start = monthStart(month);
      if (nextMonthStart(start) <= from || start >= to) continue;
      for (const row of await this.readFile(this.filePath(device, month), slicer)) {
        const hour = Date.parse(row.hour);
        if (hour + HOUR_MS > from && hour < to) byHour.set(hour, row);
      }
    }
    for (const [hour, acc] of this.devices.get(device)?.live ?? []) {
      if (hour + HOUR_MS > from && hour < to) byHour.set(hour, this.toRow(device, acc));
    }
    return [...byHour].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
  }

  /** Writes every hour with news, the hour under way included. */
  flush(): Promise<void> {
    if (this.opening === null) return Promise.resolve();
    return this.exclusive(async () => {
      await this.opening;
      for (const [device, state] of this.devices) {
        for (const acc of state.live.values()) if (acc.dirty) this.queueRow(device, acc, false);
      }
      await this.drain();
    });
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    this.state = "closed";
  }

  /** Deletes month files wholly older than ten times `retention_days` before `now`. */
  async applyRetention(limits: { retention_days: number }, now: Date | number = Date.now()): Promise<number> {
    const nowMs = now instanceof Date ? now.getTime() : now;
    if (!(limits.retention_days > 0) || !Number.isFinite(nowMs)) {
      throw new InvalidQueryError("retention_days", "retention_days must be positive");
    }
    const cutoff = nowMs - ROLLUP_RETENTION_FACTOR * limits.retention_days * DAY_MS;
    return this.exclusive(async () => {
      await this.opening;
      let deleted = 0;
      for (const [device, months] of this.months) {
        for (const month of [...months]) {
          const start = monthStart(month);
          const end = nextMonthStart(start);
          if (end > cutoff) continue;
          const file = this.filePath(device, month);
          try {
            await fsp.unlink(file);
          } catch (error) {
            if (errorCode(error) !== "ENOENT") {
              this.fail(file, error);
              continue;
            }
          }
          months.delete(month);
          this.failing.delete(file);
          this.integrator.dropBuckets(device, start, end);
          deleted++;
        }
      }
      return deleted;
    });
  }

  stats(): RollupStoreStats {
    let hours = 0;
    for (const buckets of this.integrator.hourly().values()) hours += buckets.size;
    return {
      ok: this.failing.size === 0,
      devices: this.integrator.hourly().size,
      hours,
      corrupt: this.corrupt,
      last_error: this.lastError,
    };
  }

  // ---- internals -----------------------------------------------------------------------------------------------

  /** How far back (ms) an energy contribution can reach: the longest bridged gap, at least one hour. */
  private windowMs(device: string): number {
    return Math.max(HOUR_MS, Math.ceil(this.integrator.maxGapMs(device) / HOUR_MS) * HOUR_MS);
  }

  private liveHour(device: string, state: DeviceState, hour: number): HourAcc {
    let acc = state.live.get(hour);
    if (acc === undefined) {
      acc = {
        hour,
        samples: 0,
        unreachable: 0,
        metrics: emptyMetrics(),
        status: null,
        statusMs: -Infinity,
        dirty: true,
      };
      state.live.set(hour, acc);
      this.integrator.ensureBucket(device, hour);
    }
    return acc;
  }

  private toRow(device: string, acc: HourAcc): RollupRow {
    const stat = (m: MetricAcc): MetricStats | null =>
      m.n === 0 ? null : { avg: m.sum / m.n, min: m.min, max: m.max, n: m.n };
    const last: IntegratorPoint | null = this.integrator.lastPoint(device);
    return {
      hour: new Date(acc.hour).toISOString(),
      samples: acc.samples,
      unreachable: acc.unreachable,
      energy_wh: this.integrator.bucket(device, acc.hour),
      battery_charge_pct: stat(acc.metrics.battery_charge_pct),
      load_pct: stat(acc.metrics.load_pct),
      input_voltage_v: stat(acc.metrics.input_voltage_v),
      power_w: stat(acc.metrics.power_w),
      status: acc.status,
      last: last === null ? null : { ts: new Date(last.ts).toISOString(), power_w: last.power_w },
    };
  }

  private queueRow(device: string, acc: HourAcc, schedule = true): void {
    this.pendingRows.push({ device, row: this.toRow(device, acc) });
    acc.dirty = false;
    if (schedule && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.exclusive(() => this.drain());
      });
    }
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async drain(): Promise<void> {
    while (this.pendingRows.length > 0) {
      const batch = this.pendingRows;
      this.pendingRows = [];
      const byFile = new Map<string, { device: string; month: string; text: string }>();
      for (const { device, row } of batch) {
        const month = row.hour.slice(0, 7);
        const key = `${device}/${month}`;
        const entry = byFile.get(key) ?? { device, month, text: "" };
        entry.text += JSON.stringify(row) + "\n";
        byFile.set(key, entry);
      }
      for (const { device, month, text } of byFile.values()) {
        const file = this.filePath(device, month);
        try {
          await fsp.mkdir(path.dirname(file), { recursive: true });
          await fsp.appendFile(file, text);
          let months = this.months.get(device);
          if (months === undefined) this.months.set(device, (months = new Set()));
          months.add(month);
          this.failing.delete(file);
        } catch (error) {
          this.fail(file, error);
        }
      }
    }
  }

  private filePath(device: string, month: string): string {
    return path.join(this.base, device, `${month}.jsonl`);
  }

  /** Every valid row of a file in file order (corrupt lines skipped and counted once, at open). */
  private async readFile(file: string, slicer: Slicer, count = false): Promise<RollupRow[]> {
    let text: string;
    try {
      text = await fsp.readFile(file, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw error;
    }
    const rows: RollupRow[] = [];
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      if (end > start) {
        const row = parseRow(text.slice(start, end));
        if (row) rows.push(row);
        else if (count) this.corrupt++;
      }
      start = end + 1;
      await slicer.maybeYield();
    }
    return rows;
  }

  private async load(): Promise<void> {
    const slicer = new Slicer();
    const listing = await listDeviceFiles(this.base, {
      pattern: MONTH_FILE,
      startOf: monthStart,
      fail: (where, error) => this.fail(where, error),
    });
    if (!listing) return;
    const currentMonth = monthKey(this.now());
    for (const { device, keys: months } of listing) {
      this.months.set(device, new Set(months));
      const recent = new Map<number, RollupRow>();
      let newestHour = -Infinity;
      let last: IntegratorPoint | null = null;
      const window = this.windowMs(device);
      for (const month of months) {
        const file = this.filePath(device, month);
        let rows: RollupRow[];
        try {
          rows = await this.readFile(file, slicer, true);
        } catch (error) {
          this.fail(file, error);
          continue;
        }
        const winners = new Map<number, RollupRow>();
        for (const row of rows) {
          const hour = Date.parse(row.hour);
          winners.set(hour, row);
          this.integrator.setBucket(device, hour, row.energy_wh);
          if (hour > newestHour) newestHour = hour;
          if (hour >= newestHour - window) recent.set(hour, row);
          const ts = row.last === null || row.last === undefined ? NaN : parseSnapshotTs(row.last.ts);
          if (row.last && Number.isFinite(ts) && (last === null || ts >= last.ts)) {
            last = { ts, power_w: row.last.power_w };
          }
        }
        if (month < currentMonth && winners.size < rows.length) await this.compact(file, winners);
      }
      const state: DeviceState = { live: new Map(), newestHour };
      for (const [hour, row] of recent) {
        if (hour < newestHour - window) continue;
        const metrics = emptyMetrics();
        for (const metric of METRICS) {
          const stats = row[metric];
          if (stats) metrics[metric] = { sum: stats.avg * stats.n, min: stats.min, max: stats.max, n: stats.n };
        }
        state.live.set(hour, {
          hour,
          samples: row.samples,
          unreachable: row.unreachable ?? 0,
          metrics,
          status: row.status ?? null,
          statusMs: -Infinity,
          dirty: false,
        });
      }
      this.devices.set(device, state);
      this.integrator.restore(device, last);
    }
  }

  /** Rewrites a finished month with one line per hour (write a temporary file, then rename over). */
  private async compact(file: string, winners: Map<number, RollupRow>): Promise<void> {
    const text = [...winners]
      .sort((a, b) => a[0] - b[0])
      .map(([, row]) => JSON.stringify(row) + "\n")
      .join("");
    const temporary = `${file}.tmp`;
    try {
      await fsp.writeFile(temporary, text);
      await fsp.rename(temporary, file);
    } catch (error) {
      await fsp.unlink(temporary).catch(() => undefined);
      this.fail(file, error);
    }
  }

  private fail(where: string, error: unknown): void {
    this.failing.add(where);
    this.lastError = errorCode(error);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }
}
