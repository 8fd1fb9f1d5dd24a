/**
 * GET /api/metrics against a real Node-RED (this package's dist/, so `npm run build` first) with an argus-nut node
 * polling a real upsd: parsed with a Prometheus text-format parser, the values must equal what the JSON API says
 * at the same moment (/api/snapshots/latest, /api/energy, /api/devices), with the API's security headers.
 */
import { strict as assert } from "node:assert";
import { call, type JsonResponse } from "../support/http";
import { NodeRedProcess } from "../support/node-red-process";
import { parseExposition, sampleValue } from "../support/prometheus";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { serverFlow } from "../support/flows";
import { waitFor } from "../support/wait";

const KEY = "argus-metrics-test-key-0123456789abcdef";
const NUT_PASSWORD = "nut-secret-password";
/** A name a person could type: quotes and a backslash, which the exposition must escape. */
const UPS_NAME = 'Rack "A" \\ UPS';
const DEVICE = "rack-a-ups";
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "geolocation=(), microphone=(), camera=()",
  "cache-control": "no-store",
};

const MEASUREMENTS: Array<[string, string, number]> = [
  ["argus_battery_charge_ratio", "battery_charge_pct", 100],
  ["argus_battery_runtime_seconds", "battery_runtime_s", 1],
  ["argus_battery_voltage_volts", "battery_voltage_v", 1],
  ["argus_input_voltage_volts", "input_voltage_v", 1],
  ["argus_input_frequency_hertz", "input_frequency_hz", 1],
  ["argus_output_voltage_volts", "output_voltage_v", 1],
  ["argus_load_ratio", "load_pct", 100],
  ["argus_power_watts", "power_w", 1],
  ["argus_temperature_celsius", "temperature_c", 1],
];

function flow(upsd: Upsd) {
  const nutCredentials = { username: upsd.users.monitor.username, password: NUT_PASSWORD };
  return serverFlow(upsd, { apiKey: KEY, ups: { name: UPS_NAME }, nutCredentials });
}

describe("GET /api/metrics in a real Node-RED", function () {
  this.timeout(60_000);
  let upsd: Upsd;
  let red: NodeRedProcess;

  const get = (path: string) => call(red.url, "GET", path);

  /**
   * Metrics, latest snapshots, energy and devices read while no poll came in between: the metrics are read before
   * and after the JSON answers, and the set is taken only when both readings are the same text.
   */
  async function consistentReading() {
    return waitFor(
      async () => {
        const before = await get("/api/metrics");
        const [latest, energy, devices] = await Promise.all([
          get("/api/snapshots/latest"),
          get("/api/energy"),
          get("/api/devices"),
        ]);
        const after = await get("/api/metrics");
        return before.text === after.text && { metrics: after, latest, energy, devices };
      },
      { what: "a reading with no poll in between" },
    );
  }

  function assertHeaders(response: JsonResponse): void {
    assert.equal(response.headers.get("content-type"), CONTENT_TYPE);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(response.headers.get(name), value, name);
    assert.match(response.headers.get("content-security-policy") ?? "", /^default-src 'self'; script-src 'self'/);
    assert.ok(response.headers.get("x-request-id"));
  }

  before(async () => {
    upsd = await Upsd.start({ upses: [{ name: "rack", desc: "Rack", vars: SAMPLE_UPS_VARS }] });
    red = await NodeRedProcess.start();
    await red.deploy(flow(upsd));
    await waitFor(async () => (await get(`/api/devices/${DEVICE}`)).body?.online === true, { what: "UPS online" });
    await waitFor(async () => (await get("/api/energy")).body?.total_kwh > 0, { what: "energy integrated" });
  });
  after(async () => {
    await red?.dispose();
    await upsd?.stop();
  });

  it("answers without a key, in text format 0.0.4, with the API's security headers", async () => {
    const response = await get("/api/metrics");
    assert.equal(response.status, 200, response.text);
    assertHeaders(response);
    assert.equal(response.headers.get("content-length"), String(Buffer.byteLength(response.text)));
    const head = await call(red.url, "HEAD", "/api/metrics");
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    assertHeaders(head);
    const refused = await get("/api/metrics?ups=rack");
    assert.equal(refused.status, 422, "no query parameters");
    assert.equal(refused.body?.error?.code, "VALIDATION_FAILED");
  });

  it("has the values of /api/snapshots/latest, /api/energy and /api/devices", async () => {
    const { metrics, latest, energy, devices } = await consistentReading();
    const families = parseExposition(metrics.text);
    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(families, name, { device: DEVICE, ...labels });
    const snapshot = latest.body.items.find((item: { device_id: string }) => item.device_id === DEVICE);
    assert.ok(snapshot, "a latest snapshot");
    assert.equal(snapshot.reachable, true);

    for (const [metric, field, divisor] of MEASUREMENTS) {
      assert.notEqual(snapshot[field], null, `${field} is reported by the sample UPS`);
      assert.equal(value(metric), snapshot[field] / divisor, metric);
    }
    assert.equal(value("argus_battery_charge_ratio"), 1);
    assert.equal(value("argus_power_watts"), 207);
    assert.equal(value("argus_power_derived"), snapshot.power_source === "derived" ? 1 : 0);
    assert.equal(value("argus_device_reachable"), 1);
    assert.equal(value("argus_device_last_poll_timestamp_seconds"), Date.parse(snapshot.ts) / 1000);
    for (const [flag, set] of Object.entries(snapshot.status)) {
      if (flag === "raw") continue;
      assert.equal(value("argus_device_status", { flag }), set ? 1 : 0, flag);
    }
    assert.equal(value("argus_device_status", { flag: "on_line" }), 1);

    const kwh = energy.body.devices.find((item: { device_id: string }) => item.device_id === DEVICE)?.total_kwh;
    assert.ok(kwh > 0, "energy so far");
    assert.equal(value("argus_energy_joules_total"), kwh * 3_600_000);
    assert.equal(families.get("argus_energy_joules_total")?.type, "COUNTER");

    const [device] = devices.body.items;
    assert.equal(device.name, UPS_NAME);
    assert.equal(value("argus_device_info", { name: UPS_NAME, kind: "nut", source: "flow" }), 1);
    assert.ok(metrics.text.includes('name="Rack \\"A\\" \\\\ UPS"'), "the name escaped in the text");
    assert.equal(value("argus_device_last_seen_timestamp_seconds"), Date.parse(device.last_seen_at) / 1000);

    assert.ok((value("argus_polls_total") ?? 0) >= 2, "polls counted");
    assert.equal(value("argus_poll_failures_total"), 0);
    const duration = value("argus_poll_duration_seconds") ?? -1;
    assert.ok(duration > 0 && duration < 5, `poll duration ${duration} s`);
    assert.equal(sampleValue(families, "argus_store_healthy", {}), 1);
    assert.equal(families.get("argus_build_info")?.metrics.length, 1);
  });

  it("counts a poll that does not reach the UPS as a failure, and drops its values and flags", async () => {
    const before = sampleValue(parseExposition((await get("/api/metrics")).text), "argus_polls_total", {
      device: DEVICE,
    });
    upsd.pauseDriver("rack");
    try {
      const { metrics, latest } = await waitFor(
        async () => {
          const reading = await consistentReading();
          const families = parseExposition(reading.metrics.text);
          return sampleValue(families, "argus_device_reachable", { device: DEVICE }) === 0 && reading;
        },
        { timeoutMs: 20_000, what: "the UPS unreachable (DATA-STALE)" },
      );
      const families = parseExposition(metrics.text);
      const value = (name: string) => sampleValue(families, name, { device: DEVICE });
      const snapshot = latest.body.items.find((item: { device_id: string }) => item.device_id === DEVICE);
      assert.equal(snapshot.reachable, false);
      assert.ok((value("argus_poll_failures_total") ?? 0) >= 1, "a failure counted");
      assert.ok((value("argus_polls_total") ?? 0) > (before ?? Infinity), "polls go on");
      for (const [metric] of MEASUREMENTS) assert.equal(value(metric), undefined, `${metric} left out, not 0`);
      assert.ok(!(families.get("argus_device_status")?.metrics ?? []).length, "no status flags while unreachable");
      assert.equal(value("argus_device_last_poll_timestamp_seconds"), Date.parse(snapshot.ts) / 1000);
      assert.ok(value("argus_energy_joules_total"), "the energy counter stays");
    } finally {
      upsd.resumeDriver("rack");
    }
    await waitFor(
      async () =>
        sampleValue(parseExposition((await get("/api/metrics")).text), "argus_device_reachable", { device: DEVICE }) ===
        1,
      { timeoutMs: 20_000, what: "the UPS reachable again" },
    );
  });
});
