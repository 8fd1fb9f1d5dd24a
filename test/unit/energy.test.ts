import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EnergyIntegrator, integrateSegment, summarizeEnergy } from "../../src/engine/energy";
import type { EnergySample } from "../../src/engine/energy";
import { emptyStatus } from "../../src/model/snapshot";
import type { Snapshot } from "../../src/model/snapshot";
import { InvalidDeviceIdError, InvalidQueryError } from "../../src/store/errors";
import { RollupStore } from "../../src/store/rollup-store";

const T0 = Date.UTC(2024, 4, 1, 0, 0, 0);
const SEC = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function sample(ms: number, power_w: number | null, reachable = true, device_id = "ups"): EnergySample {
  return { device_id, ts: new Date(ms).toISOString(), reachable, power_w };
}

function snapshot(device: string, ms: number, power_w: number | null, reachable = true): Snapshot {
  return {
    device_id: device,
    ts: new Date(ms).toISOString(),
    reachable,
    status: reachable ? { ...emptyStatus("OL"), on_line: true } : emptyStatus(),
    battery_charge_pct: reachable ? 100 : null,
    battery_runtime_s: null,
    battery_voltage_v: null,
    input_voltage_v: reachable ? 230 : null,
    input_frequency_hz: null,
    output_voltage_v: null,
    load_pct: reachable ? 25 : null,
    power_w: reachable ? power_w : null,
    power_source: reachable && power_w !== null ? "measured" : null,
    temperature_c: null,
    vars: reachable ? { "ups.status": "OL" } : {},
    error: reachable ? null : { code: "ETIMEDOUT", message: "timeout" },
  };
}

function totalWh(integrator: EnergyIntegrator, device = "ups"): number {
  let sum = 0;
  for (const wh of integrator.hourly().get(device)?.values() ?? []) sum += wh;
  return sum;
}

describe("EnergyIntegrator", () => {
  it("constant 100 W for one hour is 0.1 kWh", () => {
    const integrator = new EnergyIntegrator({ intervalMs: 10 * SEC });
    for (let t = 0; t <= 3600; t += 10) integrator.add(sample(T0 + t * SEC, 100));
    assert.ok(Math.abs(totalWh(integrator) - 100) < 1e-9);
    const report = summarizeEnergy(integrator.hourly(), { bucket: "hour" });
    assert.equal(report.total_kwh, 0.1);
    assert.deepStrictEqual(report.devices, [
      { device_id: "ups", total_kwh: 0.1, buckets: [{ start: "2024-05-01T00:00:00.000Z", kwh: 0.1 }] },
    ]);
    assert.equal(report.since, "2024-05-01T00:00:00.000Z");
  });

  it("integrates a ramp as a trapezoid and splits a segment exactly at the hour", () => {
    assert.deepStrictEqual(integrateSegment(0, 0, 3600 * SEC, 200), [{ hour: 0, wh: 100 }]);
    const split = integrateSegment(T0 - 30 * SEC, 100, T0 + 90 * SEC, 100);
    assert.deepStrictEqual(
      split.map((part) => part.hour),
      [T0 - HOUR, T0],
    );
    assert.ok(Math.abs((split[0]?.wh ?? 0) - (100 * 30) / 3600) < 1e-12);
    assert.ok(Math.abs((split[1]?.wh ?? 0) - (100 * 90) / 3600) < 1e-12);
    const ramp = integrateSegment(T0 - 10 * SEC, 0, T0 + 10 * SEC, 200); // 100 W at the boundary
    assert.ok(Math.abs((ramp[0]?.wh ?? 0) - (50 * 10) / 3600) < 1e-12);
    assert.ok(Math.abs((ramp[1]?.wh ?? 0) - (150 * 10) / 3600) < 1e-12);
    assert.deepStrictEqual(integrateSegment(T0, 100, T0, 100), []);
  });

  it("does not bridge a gap longer than three poll intervals", () => {
    const integrator = new EnergyIntegrator({ intervalMs: 10 * SEC });
    integrator.add(sample(T0, 100));
    assert.equal(integrator.add(sample(T0 + 30 * SEC, 100)).length, 1, "exactly three intervals: bridged");
    assert.deepStrictEqual(integrator.add(sample(T0 + 61 * SEC, 100)), [], "31 s: not bridged");
    assert.equal(integrator.add(sample(T0 + 71 * SEC, 100)).length, 1, "integration resumes after the gap");
    assert.ok(Math.abs(totalWh(integrator) - (100 * 40) / 3600) < 1e-12);

    integrator.setIntervalMs(60 * SEC, "ups");
    assert.equal(integrator.add(sample(T0 + 251 * SEC, 100)).length, 1, "per-device interval: 180 s bridged");
  });

  it("breaks the chain at an unreachable snapshot or a missing power reading; ignores older samples", () => {
    const integrator = new EnergyIntegrator({ intervalMs: 10 * SEC });
    integrator.add(sample(T0, 100));
    integrator.add(sample(T0 + 10 * SEC, 100, false));
    assert.deepStrictEqual(integrator.add(sample(T0 + 20 * SEC, 100)), []);
    integrator.add(sample(T0 + 30 * SEC, null));
    assert.deepStrictEqual(integrator.add(sample(T0 + 40 * SEC, 100)), []);
    assert.deepStrictEqual(integrator.add(sample(T0 + 35 * SEC, 500)), [], "older than the last point");
    assert.equal(integrator.add(sample(T0 + 50 * SEC, 100)).length, 1);
    assert.ok(Math.abs(totalWh(integrator) - 1000 / 3600) < 1e-12);
    assert.equal(totalWh(integrator, "other"), 0);
  });

  it("keeps devices apart", () => {
    const integrator = new EnergyIntegrator({ intervalMs: 10 * SEC });
    for (let t = 0; t <= 360; t += 10) {
      integrator.add(sample(T0 + t * SEC, 100, true, "a"));
      integrator.add(sample(T0 + t * SEC, 1000, true, "b"));
    }
    assert.ok(Math.abs(totalWh(integrator, "a") - 10) < 1e-9);
    assert.ok(Math.abs(totalWh(integrator, "b") - 100) < 1e-9);
  });
});

describe("summarizeEnergy", () => {
  // 10 Wh every hour for 40 days from 25 April, two devices (the second at double power).
  const hourly = new Map<string, Map<number, number>>();
  const start = Date.UTC(2024, 3, 25);
  for (const [device, wh] of [
    ["a", 10],
    ["b", 20],
  ] as const) {
    const buckets = new Map<number, number>();
    for (let h = 0; h < 40 * 24; h++) buckets.set(start + h * HOUR, wh);
    hourly.set(device, buckets);
  }

  it("buckets by month", () => {
    const report = summarizeEnergy(hourly, { bucket: "month" });
    assert.equal(report.since, "2024-04-25T00:00:00.000Z");
    assert.equal(report.total_kwh, 28.8);
    const [a, b] = report.devices;
    assert.deepStrictEqual(a, {
      device_id: "a",
      total_kwh: 9.6,
      buckets: [
        { start: "2024-04-01T00:00:00.000Z", kwh: 6 * 24 * 0.01 },
        { start: "2024-05-01T00:00:00.000Z", kwh: 31 * 24 * 0.01 },
        { start: "2024-06-01T00:00:00.000Z", kwh: 3 * 24 * 0.01 },
      ],
    });
    assert.equal(b?.total_kwh, 19.2);
  });

  it("buckets by day and hour within since and until", () => {
    const since = Date.UTC(2024, 4, 1);
    const until = Date.UTC(2024, 4, 3, 12);
    const days = summarizeEnergy(hourly, { bucket: "day", sinceMs: since, untilMs: until, deviceIds: ["a"] });
    assert.equal(days.since, "2024-05-01T00:00:00.000Z");
    assert.deepStrictEqual(days.devices[0]?.buckets, [
      { start: "2024-05-01T00:00:00.000Z", kwh: 0.24 },
      { start: "2024-05-02T00:00:00.000Z", kwh: 0.24 },
      { start: "2024-05-03T00:00:00.000Z", kwh: 0.12 },
    ]);
    assert.equal(days.total_kwh, 0.6);
    const hours = summarizeEnergy(hourly, { bucket: "hour", sinceMs: since + 30 * 60_000, untilMs: since + 2 * HOUR });
    assert.deepStrictEqual(
      hours.devices.map((d) => d.buckets.map((bucket) => bucket.start.slice(11, 13))),
      [
        ["00", "01"],
        ["00", "01"],
      ],
      "an hour that overlaps since counts whole",
    );
  });

  it("lists a requested device without data with zero and no buckets", () => {
    const report = summarizeEnergy(hourly, { bucket: "day", deviceIds: ["nothing"] });
    assert.deepStrictEqual(report, {
      total_kwh: 0,
      since: null,
      devices: [{ device_id: "nothing", total_kwh: 0, buckets: [] }],
    });
  });
});

describe("RollupStore energy", () => {
  let root: string;
  let stores: RollupStore[];

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), "argus-energy-"));
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function open(): Promise<RollupStore> {
    const store = new RollupStore(root, { intervalMs: 10 * SEC, checkpointMs: 0 });
    stores.push(store);
    await store.open();
    return store;
  }

  it("continues the hour after a restart mid-hour", async () => {
    const first = await open();
    for (let t = 0; t <= 1800; t += 10) first.add(snapshot("ups", T0 + t * SEC, 100));
    assert.ok(Math.abs(first.energy({ bucket: "hour" }).total_kwh - 0.05) < 1e-6);
    await first.close();

    const second = await open();
    assert.ok(Math.abs(second.energy({ bucket: "hour" }).total_kwh - 0.05) < 1e-6, "the partial hour was saved");
    for (let t = 1810; t <= 3600; t += 10) second.add(snapshot("ups", T0 + t * SEC, 100));
    const report = second.energy({ bucket: "hour", device_id: "ups", until: T0 + HOUR });
    assert.deepStrictEqual(report.devices[0]?.buckets, [{ start: "2024-05-01T00:00:00.000Z", kwh: 0.1 }]);
    const [row] = await second.rows("ups", T0, T0 + HOUR);
    assert.equal(row?.samples, 360, "181 samples before the restart, 179 after (the 180th is 01:00)");
    assert.equal(row?.power_w?.n, 360);
    assert.equal(row?.power_w?.avg, 100);
    await second.close();

    const third = await open();
    assert.equal(third.energy({}).total_kwh, 0.1);
    assert.equal((await third.rows("ups"))[0]?.samples, 360);
  });

  it("does not bridge a restart longer than three intervals", async () => {
    const first = await open();
    for (let t = 0; t <= 600; t += 10) first.add(snapshot("ups", T0 + t * SEC, 360));
    await first.close();
    const second = await open();
    for (let t = 700; t <= 1300; t += 10) second.add(snapshot("ups", T0 + t * SEC, 360));
    assert.equal(second.energy({}).total_kwh, 0.12, "two 600 s runs at 360 W; the 100 s gap is not counted");
  });

  it("answers by hour, day and month from rollups and the hour in memory", async () => {
    const store = await open();
    const start = Date.UTC(2024, 3, 30, 22);
    for (let t = 0; t <= 4 * 3600; t += 10) store.add(snapshot("ups", start + t * SEC, 100));
    for (let t = 0; t <= 3600; t += 10) store.add(snapshot("pdu", start + t * SEC, 1000));
    const hours = store.energy({ bucket: "hour", device_id: "ups" });
    assert.deepStrictEqual(
      hours.devices[0]?.buckets.map((b) => b.kwh),
      [0.1, 0.1, 0.1, 0.1, 0],
    );
    const months = store.energy({ bucket: "month" });
    assert.deepStrictEqual(months, {
      total_kwh: 1.4,
      since: "2024-04-30T22:00:00.000Z",
      devices: [
        {
          device_id: "pdu",
          total_kwh: 1,
          buckets: [{ start: "2024-04-01T00:00:00.000Z", kwh: 1 }],
        },
        {
          device_id: "ups",
          total_kwh: 0.4,
          buckets: [
            { start: "2024-04-01T00:00:00.000Z", kwh: 0.2 },
            { start: "2024-05-01T00:00:00.000Z", kwh: 0.2 },
          ],
        },
      ],
    });
    const days = store.energy({ bucket: "day", since: "2024-05-01T00:00:00Z", until: Date.UTC(2024, 4, 2) });
    assert.deepStrictEqual(
      days.devices.map((d) => [d.device_id, d.buckets]),
      [
        ["pdu", []],
        ["ups", [{ start: "2024-05-01T00:00:00.000Z", kwh: 0.2 }]],
      ],
    );
    assert.throws(() => store.energy({ bucket: "week" }), InvalidQueryError);
    assert.throws(() => store.energy({ device_id: "../x" }), InvalidDeviceIdError);
    assert.throws(() => store.energy({ since: "soon" }), InvalidQueryError);
    await store.close();
    const reopened = await open();
    assert.deepStrictEqual(reopened.energy({ bucket: "month" }), months);
  });

  it("keeps rollups ten times the raw retention", async () => {
    const store = await open();
    for (let day = 0; day < 80; day += 10) {
      for (let t = 0; t <= 60; t += 10) store.add(snapshot("ups", T0 + day * DAY + t * SEC, 3600));
    }
    await store.flush();
    // 7 days raw: rollups for 70 days. On 20 July, months ending before 11 May go: April has no file, so none.
    const now = T0 + 80 * DAY; // 20 July 2024
    assert.equal(await store.applyRetention({ retention_days: 7 }, now), 0);
    assert.equal(await store.applyRetention({ retention_days: 3 }, now), 1, "30 days: May goes");
    assert.deepStrictEqual((await fsp.readdir(path.join(root, "rollups", "ups"))).sort(), [
      "2024-06.jsonl",
      "2024-07.jsonl",
    ]);
    const report = store.energy({ bucket: "month" });
    assert.deepStrictEqual(
      report.devices[0]?.buckets.map((b) => b.start.slice(0, 7)),
      ["2024-06", "2024-07"],
    );
  });
});
