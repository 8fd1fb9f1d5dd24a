/**
 * `GET /api/metrics`: the server's state in the Prometheus text exposition format (version 0.0.4). One family per
 * metric, each with HELP and TYPE, in a fixed order; devices by id within a family. Names follow Prometheus
 * conventions (base units as suffixes, `_ratio` for 0..1, counters ending in `_total`); docs/metrics.md lists
 * every metric with its nut_exporter equivalent.
 *
 * Only devices the server knows (the registry) are exported, each with the values of its latest snapshot. A value
 * the device does not report (`null`) is left out, never exported as 0; so are the status flags of a device whose
 * last poll did not reach it, since an unreachable device has no status.
 */
import type { EnergyReport } from "../engine/energy";
import type { Snapshot, StatusFlags } from "../model/snapshot";
import type { ArgusHub, Diagnostic, PollCounts } from "./hub";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const JOULES_PER_KWH = 3_600_000;

/** What the exposition is made of: plain data, so rendering is a pure function. */
export interface MetricsState {
  version: string;
  storeOk: boolean;
  devices: readonly MetricsDevice[];
  /** The latest snapshot of each device (`GET /api/snapshots/latest`). */
  snapshots: readonly Snapshot[];
  /** Energy over every retained hour (`GET /api/energy`). */
  energy: EnergyReport;
  diagnostics: readonly Diagnostic[];
  polls: ReadonlyMap<string, PollCounts>;
}

export interface MetricsDevice {
  id: string;
  name: string;
  kind: string;
  source: string;
  /** ISO 8601: the last poll that reached the device; null when none has since the server started. */
  last_seen_at: string | null;
}

type StatusFlag = Exclude<keyof StatusFlags, "raw">;

/** Exported as `argus_device_status{flag="..."}`, in this order. */
export const STATUS_FLAGS: readonly StatusFlag[] = [
  "on_line",
  "on_battery",
  "low_battery",
  "charging",
  "discharging",
  "replace_battery",
  "overload",
  "bypass",
  "trim",
  "boost",
  "off",
  "calibrating",
  "fsd",
  "alarm",
];

type Labels = ReadonlyArray<readonly [string, string]>;

interface Sample {
  labels: Labels;
  value: number | null;
}

interface DeviceView {
  device: MetricsDevice;
  snapshot: Snapshot | undefined;
  diagnostic: Diagnostic | undefined;
  polls: PollCounts;
  energyKwh: number | undefined;
}

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  /** The samples of one device (labels after `device`). */
  perDevice?: (view: DeviceView) => Sample[];
  /** Samples that belong to the server, not to a device. */
  global?: (state: MetricsState) => Sample[];
}

const one = (value: number | null | undefined, labels: Labels = []): Sample[] => [{ labels, value: value ?? null }];
const bool = (value: boolean | null | undefined): number | null =>
  value === null || value === undefined ? null : value ? 1 : 0;
const ratio = (pct: number | null | undefined): number | null => (pct === null || pct === undefined ? null : pct / 100);
const epochSeconds = (iso: string | null | undefined): number | null =>
  iso === null || iso === undefined ? null : Date.parse(iso) / 1000;
const reached = (view: DeviceView): Snapshot | undefined =>
  view.snapshot?.reachable === true ? view.snapshot : undefined;

/** Every family, in exposition order. */
export const FAMILIES: readonly Family[] = [
  {
    name: "argus_build_info",
    type: "gauge",
    help: "Always 1; the Argus version as a label.",
    global: (state) => one(1, [["version", state.version]]),
  },
  {
    name: "argus_store_healthy",
    type: "gauge",
    help: "1 while the snapshot and rollup stores write without error, else 0.",
    global: (state) => one(bool(state.storeOk)),
  },
  {
    name: "argus_device_info",
    type: "gauge",
    help: "Always 1; the device's name, protocol (nut, snmp) and origin (flow, api) as labels.",
    perDevice: ({ device }) =>
      one(1, [
        ["name", device.name],
        ["kind", device.kind],
        ["source", device.source],
      ]),
  },
  {
    name: "argus_device_reachable",
    type: "gauge",
    help: "1 when the device's last poll reached it, else 0.",
    perDevice: (view) => one(bool(view.snapshot?.reachable)),
  },
  {
    name: "argus_device_status",
    type: "gauge",
    help: "The device's status flags, 1 when set (NUT ups.status: OL, OB, LB, CHRG, ...); absent while unreachable.",
    perDevice: (view) => {
      const snapshot = reached(view);
      if (snapshot === undefined) return [];
      return STATUS_FLAGS.map((flag) => ({ labels: [["flag", flag]], value: bool(snapshot.status[flag]) }));
    },
  },
  {
    name: "argus_device_last_poll_timestamp_seconds",
    type: "gauge",
    help: "When the device was last polled (its latest snapshot), in seconds since the Unix epoch.",
    perDevice: (view) => one(epochSeconds(view.snapshot?.ts)),
  },
  {
    name: "argus_device_last_seen_timestamp_seconds",
    type: "gauge",
    help: "When a poll last reached the device since the server started, in seconds since the Unix epoch.",
    perDevice: (view) => one(epochSeconds(view.device.last_seen_at)),
  },
  {
    name: "argus_polls_total",
    type: "counter",
    help: "Polls of the device since the server started.",
    perDevice: (view) => one(view.polls.polls),
  },
  {
    name: "argus_poll_failures_total",
    type: "counter",
    help: "Polls since the server started that did not reach the device.",
    perDevice: (view) => one(view.polls.failures),
  },
  {
    name: "argus_poll_duration_seconds",
    type: "gauge",
    help: "How long the device's last poll took, in seconds.",
    perDevice: (view) => one(view.diagnostic?.latency_ms == null ? null : view.diagnostic.latency_ms / 1000),
  },
  {
    name: "argus_battery_charge_ratio",
    type: "gauge",
    help: "Battery charge, 0 to 1 (NUT battery.charge / 100).",
    perDevice: (view) => one(ratio(view.snapshot?.battery_charge_pct)),
  },
  {
    name: "argus_battery_runtime_seconds",
    type: "gauge",
    help: "Estimated battery runtime, in seconds (NUT battery.runtime).",
    perDevice: (view) => one(view.snapshot?.battery_runtime_s),
  },
  {
    name: "argus_battery_voltage_volts",
    type: "gauge",
    help: "Battery voltage, in volts (NUT battery.voltage).",
    perDevice: (view) => one(view.snapshot?.battery_voltage_v),
  },
  {
    name: "argus_input_voltage_volts",
    type: "gauge",
    help: "Input (mains) voltage, in volts (NUT input.voltage).",
    perDevice: (view) => one(view.snapshot?.input_voltage_v),
  },
  {
    name: "argus_input_frequency_hertz",
    type: "gauge",
    help: "Input (mains) frequency, in hertz (NUT input.frequency).",
    perDevice: (view) => one(view.snapshot?.input_frequency_hz),
  },
  {
    name: "argus_output_voltage_volts",
    type: "gauge",
    help: "Output voltage, in volts (NUT output.voltage).",
    perDevice: (view) => one(view.snapshot?.output_voltage_v),
  },
  {
    name: "argus_load_ratio",
    type: "gauge",
    help: "Load relative to the device's capacity, 1 at full load, above 1 when overloaded (NUT ups.load / 100).",
    perDevice: (view) => one(ratio(view.snapshot?.load_pct)),
  },
  {
    name: "argus_power_watts",
    type: "gauge",
    help: "Real power delivered, in watts: measured (NUT ups.realpower) or derived from load and nominal power.",
    perDevice: (view) => one(view.snapshot?.power_w),
  },
  {
    name: "argus_power_derived",
    type: "gauge",
    help: "1 when argus_power_watts was derived from load and nominal power, 0 when the device measured it.",
    perDevice: (view) =>
      one(view.snapshot?.power_source == null ? null : bool(view.snapshot.power_source === "derived")),
  },
  {
    name: "argus_temperature_celsius",
    type: "gauge",
    help: "Device temperature, in degrees Celsius (NUT ups.temperature, else battery.temperature).",
    perDevice: (view) => one(view.snapshot?.temperature_c),
  },
  {
    name: "argus_energy_joules_total",
    type: "counter",
    help: "Energy delivered over the retained rollups, in joules (GET /api/energy total_kwh * 3600000).",
    perDevice: (view) => one(view.energyKwh === undefined ? null : view.energyKwh * JOULES_PER_KWH),
  },
];

/** The exposition text of a server's state. Deterministic: the same state gives the same text. */
export function renderMetrics(state: MetricsState): string {
  const snapshots = new Map(state.snapshots.map((snapshot) => [snapshot.device_id, snapshot]));
  const diagnostics = new Map(state.diagnostics.map((diagnostic) => [diagnostic.device_id, diagnostic]));
  const energy = new Map(state.energy.devices.map((device) => [device.device_id, device.total_kwh]));
  const views: DeviceView[] = [...state.devices]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((device) => ({
      device,
      snapshot: snapshots.get(device.id),
      diagnostic: diagnostics.get(device.id),
      polls: state.polls.get(device.id) ?? { polls: 0, failures: 0 },
      energyKwh: energy.get(device.id),
    }));

  let text = "";
  for (const family of FAMILIES) {
    const samples: Sample[] = [
      ...(family.global?.(state) ?? []),
      ...views.flatMap((view) =>
        (family.perDevice?.(view) ?? []).map((sample) => ({
          labels: [["device", view.device.id] as const, ...sample.labels],
          value: sample.value,
        })),
      ),
    ].filter((sample) => sample.value !== null && Number.isFinite(sample.value));
    if (samples.length === 0) continue;
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of samples)
      text += `${family.name}${labelSet(sample.labels)} ${formatValue(sample.value as number)}\n`;
  }
  return text;
}

/** Gathers the state to render from a running hub. */
export function metricsStateOf(hub: ArgusHub): MetricsState {
  return {
    version: hub.version,
    storeOk: hub.health().store.ok,
    devices: hub.listDevices().map((entry) => ({
      id: entry.device.id,
      name: entry.device.name,
      kind: entry.device.kind,
      source: entry.source,
      last_seen_at: entry.last_seen_at,
    })),
    snapshots: hub.snapshots.latest(),
    energy: hub.rollups.energy(),
    diagnostics: hub.diagnosticsList(),
    polls: hub.pollCounters(),
  };
}

/** Label values escape backslash, double quote and line feed, as the text format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === "\n" ? "\\n" : `\\${char}`));
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === "\n" ? "\\n" : "\\\\"));
}

function labelSet(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

/** Shortest round-trip decimal; JavaScript's exponent form (1e+21, 5e-7) is valid in the format too. */
function formatValue(value: number): string {
  return Object.is(value, -0) ? "0" : String(value);
}
