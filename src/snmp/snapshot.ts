/**
 * One poll's SNMP values normalized into a Snapshot through a MIB profile: measurements converted to the Snapshot's
 * units, enums and alarms turned into NUT status tokens, then into flags by the same parser NUT uses.
 */
import type { Varbind } from "net-snmp";
import type { Snapshot } from "../model/snapshot";
import { powerOf } from "../nut/snapshot";
import { parseUpsStatus } from "../nut/status";
import type { MeasurementField, MibProfile, ScalarDef } from "./profiles";
import { decode, expectedTypeName, measurementOf, type Decoded } from "./values";

export interface SnmpWarning {
  code: "WRONG-TYPE" | "AGENT-ERROR";
  oid: string;
  name: string;
  message: string;
}

export interface SnmpReadings {
  /** GET results by requested OID; an OID the agent lacks may be absent or carry noSuchObject/noSuchInstance. */
  scalars: ReadonlyMap<string, Varbind>;
  /** The present alarms' type OIDs by row index (empty when the profile has no alarm table or none is present). */
  alarms: ReadonlyMap<string, string>;
}

export interface SnmpSnapshotOptions {
  /** The device's real power capacity in watts, when the user knows it better than the UPS. */
  nominalPowerW?: number | null;
}

export interface SnmpSnapshotResult {
  snapshot: Snapshot;
  warnings: SnmpWarning[];
}

/** NUT's usual order, so `raw` reads like `upsc` would show it; tokens not listed here follow in arrival order. */
const TOKEN_ORDER = ["OL", "OB", "LB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF", "OVER", "TRIM", "BOOST", "FSD"];

export function snapshotFromSnmp(
  deviceId: string,
  profile: MibProfile,
  readings: SnmpReadings,
  ts: Date,
  options: SnmpSnapshotOptions = {},
): SnmpSnapshotResult {
  const decoded = profile.scalars.map((def) => ({ def, value: decode(def.kind, readings.scalars.get(def.oid)) }));
  const warnings = decoded.flatMap(({ def, value }) => wrongType(def, value));
  const sources = sourcesByField(profile);
  const field = (name: MeasurementField) => firstMeasurement(decoded, sources.get(name) ?? []);
  const load = field("load_pct");
  const power = powerOf(field("power_w"), load, options.nominalPowerW ?? field("nominal_power_w"));
  const snapshot: Snapshot = {
    device_id: deviceId,
    ts: ts.toISOString(),
    reachable: true,
    status: parseUpsStatus(statusTokens(decoded, profile, readings.alarms).join(" ")),
    battery_charge_pct: field("battery_charge_pct"),
    battery_runtime_s: field("battery_runtime_s"),
    battery_voltage_v: field("battery_voltage_v"),
    input_voltage_v: field("input_voltage_v"),
    input_frequency_hz: field("input_frequency_hz"),
    output_voltage_v: field("output_voltage_v"),
    load_pct: load,
    power_w: power.watts,
    power_source: power.source,
    temperature_c: field("temperature_c"),
    vars: varsOf(decoded, profile, readings.alarms),
    error: null,
  };
  return { snapshot, warnings };
}

interface DecodedScalar {
  def: ScalarDef;
  value: Decoded;
}

const SOURCES = new WeakMap<MibProfile, Map<MeasurementField, number[]>>();

/** Per field, the indexes of the scalars that feed it, in order of preference (computed once per profile). */
function sourcesByField(profile: MibProfile): Map<MeasurementField, number[]> {
  let sources = SOURCES.get(profile);
  if (sources) return sources;
  sources = new Map();
  profile.scalars.forEach((def, index) => {
    if (def.field) sources?.set(def.field, [...(sources.get(def.field) ?? []), index]);
  });
  SOURCES.set(profile, sources);
  return sources;
}

function firstMeasurement(decoded: readonly DecodedScalar[], indexes: readonly number[]): number | null {
  for (const index of indexes) {
    const scalar = decoded[index];
    const measured = scalar ? measurementOf(scalar.def, scalar.value) : null;
    if (measured !== null) return measured;
  }
  return null;
}

function wrongType(def: ScalarDef, value: Decoded): SnmpWarning[] {
  if (value.state !== "wrong-type") return [];
  const message = `${def.name} (${def.oid}) arrived as ${value.got}, expected ${expectedTypeName(def.kind)}: not used`;
  return [{ code: "WRONG-TYPE", oid: def.oid, name: def.name, message }];
}

/**
 * Status tokens from the enums, then from the alarm table. The output source enum is the authority on mains or
 * battery: an alarm's OB (or the enum's OL) is only used when no enum said either, so a stale alarm row cannot
 * make a UPS on mains look on battery.
 */
export function statusTokens(
  decoded: readonly DecodedScalar[],
  profile: MibProfile,
  alarms: ReadonlyMap<string, string>,
): string[] {
  const fromEnums = decoded.flatMap(({ def, value }) => enumTokens(def, value));
  const powerKnown = fromEnums.some((token) => token === "OL" || token === "OB" || token === "OFF");
  const fromAlarms = alarmTokens(profile, alarms).filter(
    (token) => !(powerKnown && (token === "OL" || token === "OB")),
  );
  return orderTokens([...fromEnums, ...fromAlarms]);
}

function enumTokens(def: ScalarDef, value: Decoded): string[] {
  if (!def.tokens || value.state !== "ok" || typeof value.value !== "number") return [];
  return (def.tokens[value.value] ?? "").split(" ").filter(Boolean);
}

function alarmTokens(profile: MibProfile, alarms: ReadonlyMap<string, string>): string[] {
  const table = profile.alarms;
  if (!table) return [];
  return [...alarms.values()].flatMap((type) => (table.tokens[type.replace(/^\./, "")] ?? "ALARM").split(" "));
}

function orderTokens(tokens: string[]): string[] {
  const unique = [...new Set(tokens)];
  const known = TOKEN_ORDER.filter((token) => unique.includes(token));
  const others = unique.filter((token) => !TOKEN_ORDER.includes(token) && token !== "ALARM");
  return [...known, ...others, ...(unique.includes("ALARM") ? ["ALARM"] : [])];
}

/** `vars`: every value the agent reported, by MIB object name, as text (see `rawText`). */
function varsOf(
  decoded: readonly DecodedScalar[],
  profile: MibProfile,
  alarms: ReadonlyMap<string, string>,
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const { def, value } of decoded) {
    if (value.state !== "missing") vars[def.name] = value.text;
  }
  if (profile.alarms) {
    for (const [index, type] of alarms) vars[`${profile.alarms.descrName}.${index}`] = type;
  }
  return vars;
}
