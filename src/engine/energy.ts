/**
 * Energy from power readings: per device, the trapezoidal integral of `power_w` over time between consecutive
 * reachable snapshots that report power, split exactly at UTC hour boundaries into hourly watt-hour buckets. A gap
 * longer than `maxGapIntervals` poll intervals (default 3) is not bridged: missing polls are not invented energy.
 *
 * `summarizeEnergy` turns hourly buckets into the `GET /api/energy` answer (hour, day or month buckets).
 */

const HOUR_MS = 3_600_000;

export interface EnergySample {
  device_id: string;
  /** ISO 8601 or epoch ms. */
  ts: string | number;
  reachable: boolean;
  power_w: number | null;
}

export interface EnergyContribution {
  device_id: string;
  /** Start of the UTC hour (epoch ms). */
  hour: number;
  wh: number;
}

/** Where integration stands for one device: the last point that counts. */
export interface IntegratorPoint {
  /** Epoch ms. */
  ts: number;
  power_w: number;
}

export interface EnergyIntegratorOptions {
  /** The expected poll interval in ms. */
  intervalMs: number;
  /** Gaps longer than this many intervals are not bridged. Default 3. */
  maxGapIntervals?: number;
}

/** Watt-hours of the linear power curve from (t0, p0) to (t1, p1), split at UTC hour boundaries. */
export function integrateSegment(t0: number, p0: number, t1: number, p1: number): { hour: number; wh: number }[] {
  if (!(t1 > t0)) return [];
  const out: { hour: number; wh: number }[] = [];
  const slope = (p1 - p0) / (t1 - t0);
  let a = t0;
  let pa = p0;
  while (a < t1) {
    const hour = Math.floor(a / HOUR_MS) * HOUR_MS;
    const b = Math.min(hour + HOUR_MS, t1);
    const pb = b === t1 ? p1 : p0 + slope * (b - t0);
    out.push({ hour, wh: ((pa + pb) / 2) * ((b - a) / HOUR_MS) });
    a = b;
    pa = pb;
  }
  return out;
}

export class EnergyIntegrator {
  private readonly last = new Map<string, IntegratorPoint>();
  private readonly buckets = new Map<string, Map<number, number>>();
  private readonly intervals = new Map<string, number>();
  private defaultIntervalMs: number;
  private readonly maxGapIntervals: number;

  constructor(options: EnergyIntegratorOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError("intervalMs must be positive");
    this.defaultIntervalMs = options.intervalMs;
    this.maxGapIntervals = options.maxGapIntervals ?? 3;
  }

  /** The expected poll interval of one device, or the default for every device without its own. */
  setIntervalMs(intervalMs: number, deviceId?: string): void {
    if (!(intervalMs > 0)) throw new RangeError("intervalMs must be positive");
    if (deviceId === undefined) this.defaultIntervalMs = intervalMs;
    else this.intervals.set(deviceId, intervalMs);
  }

  /** The longest gap (ms) bridged for a device. */
  maxGapMs(deviceId?: string): number {
    const interval = (deviceId === undefined ? undefined : this.intervals.get(deviceId)) ?? this.defaultIntervalMs;
    return interval * this.maxGapIntervals;
  }

  /**
   * Takes one sample in time order. Returns what it added to the buckets (nothing for the first point, after a
   * gap, an unreachable device or a missing power reading). A sample older than the last point is ignored.
   */
  add(sample: EnergySample): EnergyContribution[] {
    const ts = typeof sample.ts === "number" ? sample.ts : Date.parse(sample.ts);
    if (!Number.isFinite(ts)) return [];
    const device = sample.device_id;
    const previous = this.last.get(device);
    if (previous !== undefined && ts < previous.ts) return [];
    const power = sample.power_w;
    if (!sample.reachable || power === null || !Number.isFinite(power)) {
      this.last.delete(device);
      return [];
    }
    this.last.set(device, { ts, power_w: power });
    if (previous === undefined || ts - previous.ts > this.maxGapMs(device)) return [];
    const contributions: EnergyContribution[] = [];
    for (const { hour, wh } of integrateSegment(previous.ts, previous.power_w, ts, power)) {
      this.addToBucket(device, hour, wh);
      contributions.push({ device_id: device, hour, wh });
    }
    return contributions;
  }

  lastPoint(deviceId: string): IntegratorPoint | null {
    return this.last.get(deviceId) ?? null;
  }

  /** Continues integration after a restart from a saved point (null: start afresh). */
  restore(deviceId: string, point: IntegratorPoint | null): void {
    if (point === null) this.last.delete(deviceId);
    else this.last.set(deviceId, { ...point });
  }

  bucket(deviceId: string, hour: number): number {
    return this.buckets.get(deviceId)?.get(hour) ?? 0;
  }

  /** Sets a bucket (loading saved rollups: the later value wins). */
  setBucket(deviceId: string, hour: number, wh: number): void {
    this.deviceBuckets(deviceId).set(hour, wh);
  }

  /** Makes an hour with samples visible even before it has energy. */
  ensureBucket(deviceId: string, hour: number): void {
    const buckets = this.deviceBuckets(deviceId);
    if (!buckets.has(hour)) buckets.set(hour, 0);
  }

  /** Drops the buckets of one device in [from, to). */
  dropBuckets(deviceId: string, from: number, to: number): void {
    const buckets = this.buckets.get(deviceId);
    if (buckets === undefined) return;
    for (const hour of buckets.keys()) if (hour >= from && hour < to) buckets.delete(hour);
    if (buckets.size === 0) this.buckets.delete(deviceId);
  }

  /** Every device's watt-hours by UTC hour start. */
  hourly(): ReadonlyMap<string, ReadonlyMap<number, number>> {
    return this.buckets;
  }

  private deviceBuckets(deviceId: string): Map<number, number> {
    let buckets = this.buckets.get(deviceId);
    if (buckets === undefined) this.buckets.set(deviceId, (buckets = new Map()));
    return buckets;
  }

  private addToBucket(deviceId: string, hour: number, wh: number): void {
    const buckets = this.deviceBuckets(deviceId);
    buckets.set(hour, (buckets.get(hour) ?? 0) + wh);
  }
}

export type EnergyBucket = "hour" | "day" | "month";

export interface EnergyReport {
  total_kwh: number;
  /** Start of what the report covers: the `since` asked for, else the first hour with data (null: no data). */
  since: string | null;
  devices: { device_id: string; total_kwh: number; buckets: { start: string; kwh: number }[] }[];
}

export interface EnergySummaryOptions {
  /** Only these devices (each listed even without data); all devices with data when absent. */
  deviceIds?: readonly string[];
  /** Hours that overlap [sinceMs, untilMs) count, whole. */
  sinceMs?: number | null;
  untilMs?: number | null;
  bucket: EnergyBucket;
}

function bucketStart(hour: number, bucket: EnergyBucket): number {
  if (bucket === "hour") return hour;
  if (bucket === "day") return Math.floor(hour / 86_400_000) * 86_400_000;
  const date = new Date(hour);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** kWh to 1 mWh: float sums of many segments would otherwise print as 0.10000000000000002. */
function kwh(wh: number): number {
  return Math.round(wh * 1000) / 1_000_000;
}

export function summarizeEnergy(
  hourly: ReadonlyMap<string, ReadonlyMap<number, number>>,
  options: EnergySummaryOptions,
): EnergyReport {
  const since = options.sinceMs ?? -Infinity;
  const until = options.untilMs ?? Infinity;
  const deviceIds = options.deviceIds ?? [...hourly.keys()].sort();
  let totalWh = 0;
  let first = Infinity;
  const devices: EnergyReport["devices"] = [];
  for (const deviceId of deviceIds) {
    const sums = new Map<number, number>();
    let deviceWh = 0;
    for (const [hour, wh] of hourly.get(deviceId) ?? []) {
      if (hour + HOUR_MS <= since || hour >= until) continue;
      const start = bucketStart(hour, options.bucket);
      sums.set(start, (sums.get(start) ?? 0) + wh);
      deviceWh += wh;
      if (hour < first) first = hour;
    }
    totalWh += deviceWh;
    const buckets = [...sums]
      .sort((a, b) => a[0] - b[0])
      .map(([start, wh]) => ({ start: new Date(start).toISOString(), kwh: kwh(wh) }));
    devices.push({ device_id: deviceId, total_kwh: kwh(deviceWh), buckets });
  }
  const start = Number.isFinite(since) ? since : first;
  return {
    total_kwh: kwh(totalWh),
    since: Number.isFinite(start) ? new Date(start).toISOString() : null,
    devices,
  };
}
