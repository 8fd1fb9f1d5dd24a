/** NUT variables normalized into a Snapshot. NUT's standard variables already use the units the Snapshot wants. */
import type { Snapshot } from "../model/snapshot";
import { parseUpsStatus } from "./status";

export interface NutSnapshotOptions {
  /** The device's real power capacity in watts, when the user knows it better than the UPS. */
  nominalPowerW?: number | null;
}

export function snapshotFromNutVars(
  deviceId: string,
  vars: Readonly<Record<string, string>>,
  ts: Date,
  options: NutSnapshotOptions = {},
): Snapshot {
  const number = (name: string) => parseNumber(vars[name]);
  const load = number("ups.load");
  const power = powerOf(number("ups.realpower"), load, options.nominalPowerW ?? number("ups.realpower.nominal"));
  return {
    device_id: deviceId,
    ts: ts.toISOString(),
    reachable: true,
    status: parseUpsStatus(vars["ups.status"] ?? ""),
    battery_charge_pct: number("battery.charge"),
    battery_runtime_s: number("battery.runtime"),
    battery_voltage_v: number("battery.voltage"),
    input_voltage_v: number("input.voltage"),
    input_frequency_hz: number("input.frequency"),
    output_voltage_v: number("output.voltage"),
    load_pct: load,
    power_w: power.watts,
    power_source: power.source,
    temperature_c: number("ups.temperature") ?? number("battery.temperature"),
    vars: { ...vars },
    error: null,
  };
}

/**
 * Real power: measured when the UPS reports `ups.realpower`; otherwise derived from the load and the nominal real
 * power (as PeaNUT does), and marked so. Apparent power (VA) is not turned into watts: that needs a power factor
 * the UPS does not tell, and a guess is worse than `null`.
 */
export function powerOf(
  measured: number | null,
  loadPct: number | null,
  nominalW: number | null,
): { watts: number | null; source: "measured" | "derived" | null } {
  if (measured !== null) return { watts: measured, source: "measured" };
  if (loadPct === null || nominalW === null || nominalW <= 0) return { watts: null, source: null };
  return { watts: Math.round(((loadPct * nominalW) / 100) * 10) / 10, source: "derived" };
}

/** NUT values are text; a value that is not a plain finite number is not reported, not zero. */
export function parseNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}
