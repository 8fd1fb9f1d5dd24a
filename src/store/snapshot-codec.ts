/**
 * One line of a snapshot day file. Two kinds, both compact JSON with `ts` as the first key:
 *
 * - a full line, `{"f":1,"ts":...,"reachable":...,"status":{...},...,"vars":{...},"error":...}`: the whole
 *   snapshot but `device_id` (the directory names it);
 * - a delta line, `{"ts":...,<fields that differ>,"vars":{<changed or added>, <removed>: null}}`: every field but
 *   `ts` is relative to the nearest full line above it (the line's base), a field left out is the base's value.
 *
 * Each file starts with a full line; the writer starts a new one (a rebase) when a delta grows past most of a full
 * line, e.g. when a device stops answering and its `vars` empty. Deltas against the base rather than against the
 * previous line keep every line decodable from two lines, so a query or `open()` never replays a whole file.
 */
import type { Snapshot } from "../model/snapshot";

/** A snapshot as stored: everything but `device_id`. */
export type StoredSnapshot = Omit<Snapshot, "device_id">;

/** Top-level fields that deltas compare with the base (`ts` is always written, `vars` key by key). */
const FIELDS = [
  "reachable",
  "status",
  "battery_charge_pct",
  "battery_runtime_s",
  "battery_voltage_v",
  "input_voltage_v",
  "input_frequency_hz",
  "output_voltage_v",
  "load_pct",
  "power_w",
  "power_source",
  "temperature_c",
  "error",
] as const satisfies readonly (keyof StoredSnapshot)[];

/** Sets an own property even for the key `__proto__` (plain assignment would change the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** A copy the caller cannot change behind the store's back (the snapshot is two levels deep). */
export function copySnapshot(snapshot: Snapshot): Snapshot {
  return {
    device_id: snapshot.device_id,
    ts: snapshot.ts,
    reachable: snapshot.reachable,
    status: { ...snapshot.status },
    battery_charge_pct: snapshot.battery_charge_pct,
    battery_runtime_s: snapshot.battery_runtime_s,
    battery_voltage_v: snapshot.battery_voltage_v,
    input_voltage_v: snapshot.input_voltage_v,
    input_frequency_hz: snapshot.input_frequency_hz,
    output_voltage_v: snapshot.output_voltage_v,
    load_pct: snapshot.load_pct,
    power_w: snapshot.power_w,
    power_source: snapshot.power_source,
    temperature_c: snapshot.temperature_c,
    vars: { ...snapshot.vars },
    error: snapshot.error === null ? null : { ...snapshot.error },
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) if (!Object.hasOwn(right, key) || left[key] !== right[key]) return false;
  return true;
}

export function encodeFull(snapshot: StoredSnapshot): string {
  return JSON.stringify({
    f: 1,
    ts: snapshot.ts,
    reachable: snapshot.reachable,
    status: snapshot.status,
    battery_charge_pct: snapshot.battery_charge_pct,
    battery_runtime_s: snapshot.battery_runtime_s,
    battery_voltage_v: snapshot.battery_voltage_v,
    input_voltage_v: snapshot.input_voltage_v,
    input_frequency_hz: snapshot.input_frequency_hz,
    output_voltage_v: snapshot.output_voltage_v,
    load_pct: snapshot.load_pct,
    power_w: snapshot.power_w,
    power_source: snapshot.power_source,
    temperature_c: snapshot.temperature_c,
    vars: snapshot.vars,
    error: snapshot.error,
  });
}

export function encodeDelta(snapshot: StoredSnapshot, base: StoredSnapshot): string {
  const line: Record<string, unknown> = { ts: snapshot.ts };
  for (const field of FIELDS) if (!sameValue(snapshot[field], base[field])) line[field] = snapshot[field];
  const vars: Record<string, string | null> = {};
  let changed = false;
  for (const key of Object.keys(snapshot.vars)) {
    const value = snapshot.vars[key];
    if (!Object.hasOwn(base.vars, key) || base.vars[key] !== value) {
      setOwn(vars, key, value);
      changed = true;
    }
  }
  for (const key of Object.keys(base.vars)) {
    if (!Object.hasOwn(snapshot.vars, key)) {
      setOwn(vars, key, null);
      changed = true;
    }
  }
  if (changed) line.vars = vars;
  return JSON.stringify(line);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A parsed line, or null when it is not JSON of either kind (the caller skips and counts it). */
export type ParsedLine = { full: true; record: StoredSnapshot } | { full: false; delta: Record<string, unknown> };

export function parseLine(text: string): ParsedLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.ts !== "string") return null;
  if (value.f === 1) {
    if (typeof value.reachable !== "boolean" || !isObject(value.status) || !isObject(value.vars)) return null;
    for (const field of FIELDS) if (!Object.hasOwn(value, field)) return null;
    const { f: _f, ...record } = value;
    return { full: true, record: record as unknown as StoredSnapshot };
  }
  if (value.vars !== undefined && !isObject(value.vars)) return null;
  return { full: false, delta: value };
}

/** The snapshot a parsed line stands for; a delta needs its base (null: undecodable, skip it). */
export function rebuild(deviceId: string, line: ParsedLine, base: StoredSnapshot | null): Snapshot | null {
  if (line.full) return fromRecord(deviceId, line.record, { ...line.record.vars });
  if (base === null) return null;
  const delta = line.delta;
  const merged: Record<string, unknown> = { ts: delta.ts };
  for (const field of FIELDS) merged[field] = Object.hasOwn(delta, field) ? delta[field] : base[field];
  if (!isObject(merged.status)) return null;
  return fromRecord(deviceId, merged as unknown as StoredSnapshot, applyVars(base.vars, delta.vars));
}

/** The base's vars with a delta applied, as a new object (no `delete`: it would slow the object down). */
function applyVars(base: Record<string, string>, delta: unknown): Record<string, string> {
  if (!isObject(delta)) return { ...base };
  const keys = Object.keys(delta);
  let removes = false;
  for (const key of keys) {
    if (delta[key] === null) {
      removes = true;
      break;
    }
  }
  if (!removes) {
    const vars = { ...base };
    for (const key of keys) setOwn(vars, key, delta[key]);
    return vars;
  }
  const vars: Record<string, string> = {};
  for (const key of Object.keys(base)) {
    if (!Object.hasOwn(delta, key)) setOwn(vars, key, base[key]);
    else if (delta[key] !== null) setOwn(vars, key, delta[key]);
  }
  for (const key of keys) if (delta[key] !== null && !Object.hasOwn(base, key)) setOwn(vars, key, delta[key]);
  return vars;
}

/** A snapshot from a stored record; `vars` must already be the caller's own copy. */
function fromRecord(deviceId: string, record: StoredSnapshot, vars: Record<string, string>): Snapshot {
  return {
    device_id: deviceId,
    ts: record.ts,
    reachable: record.reachable,
    status: { ...record.status },
    battery_charge_pct: record.battery_charge_pct,
    battery_runtime_s: record.battery_runtime_s,
    battery_voltage_v: record.battery_voltage_v,
    input_voltage_v: record.input_voltage_v,
    input_frequency_hz: record.input_frequency_hz,
    output_voltage_v: record.output_voltage_v,
    load_pct: record.load_pct,
    power_w: record.power_w,
    power_source: record.power_source,
    temperature_c: record.temperature_c,
    vars,
    error: record.error === null || record.error === undefined ? null : { ...record.error },
  };
}
