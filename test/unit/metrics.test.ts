// The Prometheus exposition of src/server/metrics.ts, read back with a real text-format parser
// (parse-prometheus-text-format, behind the strict line checks of test/support/prometheus.ts).
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnergyReport } from "../../src/engine/energy";
import { AlertConfig } from "../../src/model/alert-config";
import { DeviceInput } from "../../src/model/device";
import { RuntimeConfig } from "../../src/model/runtime-config";
import { type Snapshot, emptyStatus, unreachableSnapshot } from "../../src/model/snapshot";
import { ArgusHub } from "../../src/server/hub";
import {
  FAMILIES,
  METRICS_CONTENT_TYPE,
  type MetricsDevice,
  type MetricsState,
  STATUS_FLAGS,
  escapeLabelValue,
  metricsStateOf,
  renderMetrics,
} from "../../src/server/metrics";
import { labelSets, parseExposition, sampleValue } from "../support/prometheus";

const ODD_NAME = 'Odd "quoted" UPS \\ with a back\\slash\nand a second line';

function snapshot(deviceId: string, fields: Partial<Snapshot> = {}): Snapshot {
  return {
    device_id: deviceId,
    ts: "2025-03-01T12:00:00.250Z",
    reachable: true,
    status: { ...emptyStatus("OL CHRG"), on_line: true, charging: true },
    battery_charge_pct: 87,
    battery_runtime_s: 1520,
    battery_voltage_v: 27.3,
    input_voltage_v: 229.6,
    input_frequency_hz: 49.98,
    output_voltage_v: 230.1,
    load_pct: 23.5,
    power_w: 207,
    power_source: "measured",
    temperature_c: 31.5,
    vars: { "ups.status": "OL CHRG" },
    error: null,
    ...fields,
  };
}

function device(id: string, fields: Partial<MetricsDevice> = {}): MetricsDevice {
  return {
    id,
    name: id.toUpperCase(),
    kind: "nut",
    source: "flow",
    last_seen_at: "2025-03-01T12:00:00.250Z",
    ...fields,
  };
}

const energy: EnergyReport = {
  total_kwh: 1.235,
  since: "2025-02-01T00:00:00.000Z",
  devices: [
    { device_id: "rack-ups", total_kwh: 1.234, buckets: [] },
    { device_id: "odd-ups", total_kwh: 0.001, buckets: [] },
    { device_id: "gone-ups", total_kwh: 9, buckets: [] },
  ],
};

/** Four registered devices (all fields; odd name and gaps; unreachable; never polled) and one no longer known. */
function state(): MetricsState {
  return {
    version: "1.2.3",
    storeOk: true,
    devices: [
      device("rack-ups"),
      device("odd-ups", { name: ODD_NAME, kind: "snmp", source: "api" }),
      device("lost-ups", { last_seen_at: null }),
      device("new-ups", { last_seen_at: null }),
    ],
    snapshots: [
      snapshot("rack-ups"),
      snapshot("odd-ups", {
        status: { ...emptyStatus("OB LB RB"), on_battery: true, low_battery: true, replace_battery: true },
        battery_voltage_v: null,
        temperature_c: null,
        input_frequency_hz: null,
        power_w: 115.2,
        power_source: "derived",
      }),
      unreachableSnapshot("lost-ups", new Date("2025-03-01T12:00:01Z"), { code: "TIMEOUT", message: "no answer" }),
      snapshot("gone-ups"),
    ],
    energy,
    diagnostics: [
      { device_id: "rack-ups", ok: true, error: null, latency_ms: 1.25, polled_at: "", protocol: {} },
      { device_id: "odd-ups", ok: true, error: null, latency_ms: null, polled_at: "", protocol: {} },
      { device_id: "lost-ups", ok: false, error: null, latency_ms: 5000, polled_at: "", protocol: {} },
    ],
    polls: new Map([
      ["rack-ups", { polls: 42, failures: 2 }],
      ["odd-ups", { polls: 7, failures: 0 }],
      ["lost-ups", { polls: 3, failures: 3 }],
      ["gone-ups", { polls: 9, failures: 0 }],
    ]),
  };
}

/** Each snapshot field and the metric that carries it, converted to the metric's unit. */
const MEASUREMENTS: Array<[string, (s: Snapshot) => number | null]> = [
  ["argus_battery_charge_ratio", (s) => (s.battery_charge_pct === null ? null : s.battery_charge_pct / 100)],
  ["argus_battery_runtime_seconds", (s) => s.battery_runtime_s],
  ["argus_battery_voltage_volts", (s) => s.battery_voltage_v],
  ["argus_input_voltage_volts", (s) => s.input_voltage_v],
  ["argus_input_frequency_hertz", (s) => s.input_frequency_hz],
  ["argus_output_voltage_volts", (s) => s.output_voltage_v],
  ["argus_load_ratio", (s) => (s.load_pct === null ? null : s.load_pct / 100)],
  ["argus_power_watts", (s) => s.power_w],
  ["argus_temperature_celsius", (s) => s.temperature_c],
];

describe("Prometheus metrics", () => {
  const input = state();
  const text = renderMetrics(input);
  const families = parseExposition(text);
  const value = (name: string, labels: Record<string, string>) => sampleValue(families, name, labels);

  it("is served as text format 0.0.4", () => {
    assert.equal(METRICS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  });

  it("has one family per metric, each with HELP and TYPE, named by Prometheus conventions, in a fixed order", () => {
    assert.deepEqual(
      [...families.keys()],
      FAMILIES.map((family) => family.name),
    );
    for (const family of families.values()) {
      assert.match(family.name, /^argus_[a-z_]+$/);
      assert.ok(family.help.length > 10, `${family.name} has help`);
      assert.ok(["GAUGE", "COUNTER"].includes(family.type), `${family.name}: ${family.type}`);
      assert.equal(family.type === "COUNTER", family.name.endsWith("_total"), `${family.name}: _total iff counter`);
      assert.doesNotMatch(family.name, /_(percent|pct|kwh|ms|milliseconds|volt|watt)(_|$)/, "base units");
      for (const sample of family.metrics) assert.ok(Number.isFinite(Number(sample.value)), family.name);
    }
  });

  it("exports only registered devices, by id, each with a device label", () => {
    assert.deepEqual(
      labelSets(families, "argus_device_info").map((labels) => labels.device),
      ["lost-ups", "new-ups", "odd-ups", "rack-ups"],
    );
    assert.ok(!text.includes("gone-ups"), "a device no longer registered is not exported");
    for (const family of families.values()) {
      if (family.name === "argus_build_info" || family.name === "argus_store_healthy") continue;
      for (const labels of labelSets(families, family.name)) assert.ok(labels.device, family.name);
    }
  });

  it("carries the snapshot's values, converted to base units", () => {
    for (const id of ["rack-ups", "odd-ups"]) {
      const source = input.snapshots.find((s) => s.device_id === id) as Snapshot;
      for (const [name, of] of MEASUREMENTS) assert.equal(value(name, { device: id }), of(source) ?? undefined, name);
      assert.equal(value("argus_device_reachable", { device: id }), 1);
      assert.equal(value("argus_device_last_poll_timestamp_seconds", { device: id }), Date.parse(source.ts) / 1000);
    }
    assert.equal(value("argus_battery_charge_ratio", { device: "rack-ups" }), 0.87);
    assert.equal(value("argus_load_ratio", { device: "rack-ups" }), 0.235);
    assert.equal(value("argus_device_last_poll_timestamp_seconds", { device: "rack-ups" }), 1740830400.25);
    assert.equal(value("argus_power_derived", { device: "rack-ups" }), 0);
    assert.equal(value("argus_power_derived", { device: "odd-ups" }), 1);
  });

  it("omits a null field rather than exporting 0", () => {
    for (const name of ["argus_battery_voltage_volts", "argus_temperature_celsius", "argus_input_frequency_hertz"]) {
      assert.equal(value(name, { device: "odd-ups" }), undefined, name);
    }
    assert.equal(value("argus_poll_duration_seconds", { device: "odd-ups" }), undefined);
    for (const [name] of MEASUREMENTS) assert.equal(value(name, { device: "lost-ups" }), undefined, name);
    assert.equal(value("argus_power_derived", { device: "lost-ups" }), undefined);
    assert.equal(value("argus_device_last_seen_timestamp_seconds", { device: "lost-ups" }), undefined);
    assert.equal(value("argus_energy_joules_total", { device: "lost-ups" }), undefined);
  });

  it("exports the status flags of a reachable device, none of an unreachable one", () => {
    for (const id of ["rack-ups", "odd-ups"]) {
      const source = input.snapshots.find((s) => s.device_id === id) as Snapshot;
      assert.deepEqual(
        labelSets(families, "argus_device_status")
          .filter((labels) => labels.device === id)
          .map((labels) => labels.flag),
        STATUS_FLAGS,
      );
      for (const flag of STATUS_FLAGS) {
        assert.equal(value("argus_device_status", { device: id, flag }), source.status[flag] ? 1 : 0, flag);
      }
    }
    assert.equal(value("argus_device_status", { device: "odd-ups", flag: "on_battery" }), 1);
    assert.equal(value("argus_device_status", { device: "odd-ups", flag: "on_line" }), 0);
    assert.ok(!labelSets(families, "argus_device_status").some((labels) => labels.device === "lost-ups"));
    assert.equal(value("argus_device_reachable", { device: "lost-ups" }), 0);
  });

  it("counts polls and failures, the last poll's duration and energy in joules", () => {
    assert.equal(value("argus_polls_total", { device: "rack-ups" }), 42);
    assert.equal(value("argus_poll_failures_total", { device: "rack-ups" }), 2);
    assert.equal(value("argus_polls_total", { device: "lost-ups" }), 3);
    assert.equal(value("argus_poll_failures_total", { device: "lost-ups" }), 3);
    assert.equal(value("argus_poll_duration_seconds", { device: "rack-ups" }), 0.00125);
    assert.equal(value("argus_poll_duration_seconds", { device: "lost-ups" }), 5);
    assert.equal(value("argus_energy_joules_total", { device: "rack-ups" }), 1.234 * 3_600_000);
    assert.equal(value("argus_energy_joules_total", { device: "odd-ups" }), 0.001 * 3_600_000);
  });

  it("gives a registered device that was never polled its info and zero counters, nothing else", () => {
    const of = (name: string) => labelSets(families, name).filter((labels) => labels.device === "new-ups");
    const present = FAMILIES.map((family) => family.name).filter((name) => of(name).length > 0);
    assert.deepEqual(present, ["argus_device_info", "argus_polls_total", "argus_poll_failures_total"]);
    assert.equal(value("argus_polls_total", { device: "new-ups" }), 0);
    assert.equal(value("argus_poll_failures_total", { device: "new-ups" }), 0);
  });

  it("escapes quotes, backslashes and newlines in label values, which parse back unchanged", () => {
    const info = labelSets(families, "argus_device_info").find((labels) => labels.device === "odd-ups");
    assert.deepEqual(info, { device: "odd-ups", name: ODD_NAME, kind: "snmp", source: "api" });
    assert.ok(
      text.includes('name="Odd \\"quoted\\" UPS \\\\ with a back\\\\slash\\nand a second line"'),
      "escaped in the text",
    );
    assert.ok(!text.includes("\nand a second line"), "no raw line feed inside a sample");
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue("C:\\\\dir\r\t\u00e9\u2603"), "C:\\\\\\\\dir\r\t\u00e9\u2603");
  });

  it("has the build and store gauges", () => {
    assert.equal(value("argus_build_info", { version: "1.2.3" }), 1);
    assert.equal(value("argus_store_healthy", {}), 1);
    assert.equal(
      sampleValue(parseExposition(renderMetrics({ ...state(), storeOk: false })), "argus_store_healthy", {}),
      0,
    );
  });

  it("leaves out NaN and infinite values (a snapshot that bypassed validation)", () => {
    const odd = state();
    odd.snapshots = [
      snapshot("rack-ups", { battery_charge_pct: Number.NaN, power_w: Number.POSITIVE_INFINITY, load_pct: -0 }),
    ];
    odd.energy = { ...energy, devices: [{ device_id: "rack-ups", total_kwh: Number.NaN, buckets: [] }] };
    const parsed = parseExposition(renderMetrics(odd));
    assert.equal(sampleValue(parsed, "argus_battery_charge_ratio", { device: "rack-ups" }), undefined);
    assert.equal(sampleValue(parsed, "argus_power_watts", { device: "rack-ups" }), undefined);
    assert.equal(sampleValue(parsed, "argus_energy_joules_total", { device: "rack-ups" }), undefined);
    assert.equal(sampleValue(parsed, "argus_load_ratio", { device: "rack-ups" }), 0);
    assert.doesNotMatch(renderMetrics(odd), /NaN|Inf|-0\b/);
  });

  it("writes large and small values in a form the format accepts", () => {
    const big = state();
    big.snapshots = [snapshot("rack-ups", { battery_runtime_s: 1e21, input_frequency_hz: 5e-7 })];
    const parsed = parseExposition(renderMetrics(big));
    assert.equal(sampleValue(parsed, "argus_battery_runtime_seconds", { device: "rack-ups" }), 1e21);
    assert.equal(sampleValue(parsed, "argus_input_frequency_hertz", { device: "rack-ups" }), 5e-7);
  });

  it("is deterministic: the same state in another order gives the same text", () => {
    const shuffled = state();
    shuffled.devices = [...shuffled.devices].reverse();
    shuffled.snapshots = [...shuffled.snapshots].reverse();
    shuffled.diagnostics = [...shuffled.diagnostics].reverse();
    shuffled.energy = { ...energy, devices: [...energy.devices].reverse() };
    assert.equal(renderMetrics(shuffled), text);
    assert.equal(renderMetrics(state()), text);
  });

  it("is documented: docs/metrics.md has a row with the type of every metric, and no other", async () => {
    const doc = await readFile(join(__dirname, "../../docs/metrics.md"), "utf8");
    const rows = [...doc.matchAll(/^\| `(argus_[a-z_]+)` +\| (gauge|counter) +\|/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      rows,
      FAMILIES.map((family) => [family.name, family.type]),
    );
    for (const flag of STATUS_FLAGS) assert.match(doc, new RegExp(`^\\| \`${flag}\` `, "m"), flag);
  });

  it("leaves out families without samples; no devices gives only the server's gauges", () => {
    const empty = renderMetrics({ ...state(), devices: [], snapshots: [], diagnostics: [], polls: new Map() });
    assert.deepEqual([...parseExposition(empty).keys()], ["argus_build_info", "argus_store_healthy"]);
  });
});

describe("Prometheus metrics of a running hub", function () {
  this.timeout(10_000);
  let dataDir: string;
  let hub: ArgusHub;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "argus-metrics-"));
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    hub = await ArgusHub.open({ dataDir, runtime: RuntimeConfig.parse({}), alerts: AlertConfig.parse({}), log });
  });
  after(async () => {
    await hub?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("counts every ingested poll and the unreachable ones, and matches the hub's snapshots and energy", () => {
    const rack = DeviceInput.parse({
      id: "rack-ups",
      name: "Rack",
      kind: "nut",
      nut: { host: "127.0.0.1", ups: "rack" },
    });
    hub.registerFlowDevice(rack, async () => undefined);
    const start = Date.now() - 30_000;
    const at = (offsetS: number) => new Date(start + offsetS * 1000).toISOString();
    hub.ingest(snapshot("rack-ups", { ts: at(0), power_w: 200 }), 3.5);
    hub.ingest(snapshot("rack-ups", { ts: at(10), power_w: 220 }), 2.5);
    hub.ingest(unreachableSnapshot("rack-ups", new Date(start + 15_000), { code: "TIMEOUT", message: "x" }), 5000);
    hub.ingest(snapshot("rack-ups", { ts: at(20), power_w: 210 }), 1.5);
    hub.ingest(snapshot("rack-ups", { ts: at(25), power_w: 210 }), 1);

    assert.deepEqual(hub.pollCounters().get("rack-ups"), { polls: 5, failures: 1 });
    const parsed = parseExposition(renderMetrics(metricsStateOf(hub)));
    const of = (name: string) => sampleValue(parsed, name, { device: "rack-ups" });
    assert.equal(of("argus_polls_total"), 5);
    assert.equal(of("argus_poll_failures_total"), 1);
    assert.equal(of("argus_poll_duration_seconds"), 0.001);
    const [latest] = hub.snapshots.latest();
    assert.equal(of("argus_power_watts"), latest?.power_w);
    assert.equal(of("argus_device_last_poll_timestamp_seconds"), Date.parse(latest?.ts ?? "") / 1000);
    const kwh = hub.rollups.energy().devices.find((d) => d.device_id === "rack-ups")?.total_kwh;
    assert.ok(kwh !== undefined && kwh > 0, "energy from the two reachable stretches");
    assert.equal(of("argus_energy_joules_total"), kwh * 3_600_000);
    assert.equal(
      sampleValue(parsed, "argus_device_info", { device: "rack-ups", name: "Rack", kind: "nut", source: "flow" }),
      1,
    );
    assert.equal(sampleValue(parsed, "argus_build_info", { version: hub.version }), 1);
  });
});
