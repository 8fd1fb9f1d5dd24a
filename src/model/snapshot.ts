/**
 * The power snapshot: what one poll of one device saw, in the same shape whatever the protocol. The wire shape of
 * `spec/api.md`; a field the device does not report is `null`, never a guess.
 */
import { z } from "zod";
import { DeviceId } from "./device-id";

export const StatusFlags = z.object({
  /** The status as the device reported it (NUT `ups.status` tokens, or the SNMP equivalent). */
  raw: z.string(),
  on_line: z.boolean(),
  on_battery: z.boolean(),
  low_battery: z.boolean(),
  charging: z.boolean(),
  discharging: z.boolean(),
  replace_battery: z.boolean(),
  overload: z.boolean(),
  bypass: z.boolean(),
  trim: z.boolean(),
  boost: z.boolean(),
  off: z.boolean(),
  calibrating: z.boolean(),
  fsd: z.boolean(),
  alarm: z.boolean(),
});
export type StatusFlags = z.infer<typeof StatusFlags>;

export const SnapshotError = z.object({ code: z.string(), message: z.string() });
export type SnapshotError = z.infer<typeof SnapshotError>;

const measurement = z.number().finite().nullable();

export const Snapshot = z.object({
  device_id: DeviceId,
  ts: z.iso.datetime(),
  reachable: z.boolean(),
  status: StatusFlags,
  battery_charge_pct: measurement,
  battery_runtime_s: measurement,
  battery_voltage_v: measurement,
  input_voltage_v: measurement,
  input_frequency_hz: measurement,
  output_voltage_v: measurement,
  load_pct: measurement,
  power_w: measurement,
  power_source: z.enum(["measured", "derived"]).nullable(),
  temperature_c: measurement,
  /** The raw NUT variables or SNMP values, by name. */
  vars: z.record(z.string(), z.string()),
  /** Why the device was not reachable; `null` when it was. */
  error: SnapshotError.nullable(),
});
export type Snapshot = z.infer<typeof Snapshot>;

const STATUS_FLAG_NAMES = Object.keys(StatusFlags.shape).filter((key) => key !== "raw") as Exclude<
  keyof StatusFlags,
  "raw"
>[];

export function emptyStatus(raw = ""): StatusFlags {
  const flags = { raw } as StatusFlags;
  for (const name of STATUS_FLAG_NAMES) flags[name] = false;
  return flags;
}

/** The snapshot of a poll that failed: nothing measured, the reason kept. */
export function unreachableSnapshot(deviceId: string, ts: Date, error: SnapshotError): Snapshot {
  return {
    device_id: deviceId,
    ts: ts.toISOString(),
    reachable: false,
    status: emptyStatus(),
    battery_charge_pct: null,
    battery_runtime_s: null,
    battery_voltage_v: null,
    input_voltage_v: null,
    input_frequency_hz: null,
    output_voltage_v: null,
    load_pct: null,
    power_w: null,
    power_source: null,
    temperature_c: null,
    vars: {},
    error,
  };
}
