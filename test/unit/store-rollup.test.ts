import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as sinon from "sinon";
import { emptyStatus } from "../../src/model/snapshot";
import type { Snapshot } from "../../src/model/snapshot";
import { InvalidDeviceIdError } from "../../src/store/errors";
import { RollupStore } from "../../src/store/rollup-store";
import type { RollupRow, RollupStoreOptions } from "../../src/store/rollup-store";

const T0 = Date.UTC(2024, 4, 1, 0, 0, 0);
const SEC = 1000;
const HOUR = 3_600_000;

function snapshot(device: string, ms: number, values: Partial<Snapshot> = {}): Snapshot {
  return {
    device_id: device,
    ts: new Date(ms).toISOString(),
    reachable: true,
    status: { ...emptyStatus("OL"), on_line: true },
    battery_charge_pct: 100,
    battery_runtime_s: 1800,
    battery_voltage_v: 27,
    input_voltage_v: 230,
    input_frequency_hz: 50,
    output_voltage_v: 230,
    load_pct: 20,
    power_w: 100,
    power_source: "measured",
    temperature_c: null,
    vars: {},
    error: null,
    ...values,
  };
}

async function lines(file: string): Promise<RollupRow[]> {
  const text = await fsp.readFile(file, "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as RollupRow);
}

describe("RollupStore", () => {
  let root: string;
  let dir: string;
  let stores: RollupStore[];

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), "argus-rollups-"));
    dir = path.join(root, "rollups");
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function open(options: RollupStoreOptions = {}): Promise<RollupStore> {
    const store = new RollupStore(root, { intervalMs: 10 * SEC, checkpointMs: 0, ...options });
    stores.push(store);
    await store.open();
    return store;
  }

  it("rolls snapshots up per hour: samples, energy, avg/min/max, last status", async () => {
    const store = await open();
    store.add(snapshot("ups", T0, { load_pct: 10, input_voltage_v: 228, power_w: 100 }));
    store.add(snapshot("ups", T0 + 10 * SEC, { load_pct: 30, input_voltage_v: 232, power_w: 300 }));
    store.add(
      snapshot("ups", T0 + 20 * SEC, {
        reachable: false,
        status: emptyStatus(),
        load_pct: null,
        input_voltage_v: null,
        power_w: null,
        battery_charge_pct: null,
      }),
    );
    store.add(
      snapshot("ups", T0 + 30 * SEC, {
        status: { ...emptyStatus("OB DISCHRG"), on_battery: true },
        battery_charge_pct: 90,
        load_pct: 20,
        power_w: 200,
      }),
    );
    store.add(snapshot("ups", T0 + HOUR + 5 * SEC, { power_w: 200 })); // next hour: the first is written
    await store.flush();

    const written = await lines(path.join(dir, "ups", "2024-05.jsonl"));
    assert.deepStrictEqual(written[0], {
      hour: "2024-05-01T00:00:00.000Z",
      samples: 4,
      unreachable: 1,
      energy_wh: (200 * 10) / 3600,
      battery_charge_pct: { avg: 290 / 3, min: 90, max: 100, n: 3 },
      load_pct: { avg: 20, min: 10, max: 30, n: 3 },
      input_voltage_v: { avg: 230, min: 228, max: 232, n: 3 },
      power_w: { avg: 200, min: 100, max: 300, n: 3 },
      status: "OB DISCHRG",
      last: { ts: "2024-05-01T01:00:05.000Z", power_w: 200 },
    });
    const rows = await store.rows("ups");
    assert.deepStrictEqual(
      rows.map((row) => [row.hour.slice(11, 13), row.samples]),
      [
        ["00", 4],
        ["01", 1],
      ],
    );
  });

  it("rewrites an hour that receives energy late; the later line wins on load", async () => {
    const store = await open();
    store.add(snapshot("ups", T0 + HOUR - 5 * SEC, { power_w: 360 }));
    store.add(snapshot("ups", T0 + HOUR + 5 * SEC, { power_w: 360 })); // half of the segment is hour 00
    await store.close();
    const written = await lines(path.join(dir, "ups", "2024-05.jsonl"));
    const first = written.filter((row) => row.hour === "2024-05-01T00:00:00.000Z");
    assert.deepStrictEqual(
      first.map((row) => row.energy_wh),
      [0.5],
      "the segment across the hour was split before hour 00 was written",
    );
    const reopened = await open();
    const report = reopened.energy({ bucket: "hour" });
    assert.deepStrictEqual(
      report.devices[0]?.buckets.map((b) => b.kwh),
      [0.0005, 0.0005],
    );

    await fsp.appendFile(
      path.join(dir, "ups", "2024-05.jsonl"),
      JSON.stringify({ ...first[0], samples: 99, energy_wh: 7 }) + "\n",
    );
    const third = await open();
    assert.equal(third.energy({ bucket: "hour" }).devices[0]?.buckets[0]?.kwh, 0.007);
    assert.equal((await third.rows("ups"))[0]?.samples, 99);
  });

  it("compacts finished months on open, keeping the last line of each hour", async () => {
    const file = path.join(dir, "ups", "2024-04.jsonl");
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const row = (hour: string, energy: number): string =>
      JSON.stringify({
        hour,
        samples: 1,
        unreachable: 0,
        energy_wh: energy,
        battery_charge_pct: null,
        load_pct: null,
        input_voltage_v: null,
        power_w: null,
        status: "OL",
        last: null,
      }) + "\n";
    await fsp.writeFile(
      file,
      row("2024-04-30T22:00:00.000Z", 1) +
        row("2024-04-30T23:00:00.000Z", 2) +
        "garbage\n" +
        row("2024-04-30T22:00:00.000Z", 3),
    );
    await fsp.writeFile(
      path.join(dir, "ups", "2024-05.jsonl"),
      row("2024-05-01T00:00:00.000Z", 1) + row("2024-05-01T00:00:00.000Z", 4),
    );
    const store = await open({ now: () => Date.UTC(2024, 4, 1, 0, 30) });
    assert.equal(store.stats().corrupt, 1);
    assert.deepStrictEqual(
      (await lines(file)).map((r) => [r.hour.slice(11, 13), r.energy_wh]),
      [
        ["22", 3],
        ["23", 2],
      ],
    );
    assert.equal((await lines(path.join(dir, "ups", "2024-05.jsonl"))).length, 2, "the current month is left alone");
    assert.equal(store.energy({}).total_kwh, 0.009);
  });

  it("checkpoints the hour under way on a timer", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const store = await open({ checkpointMs: 600_000 });
      store.add(snapshot("ups", T0));
      store.add(snapshot("ups", T0 + 10 * SEC));
      const file = path.join(dir, "ups", "2024-05.jsonl");
      await assert.rejects(fsp.access(file));
      clock.tick(600_000);
      await store.flush(); // waits for the checkpoint already queued
      const written = await lines(file);
      assert.equal(written.length, 1);
      assert.equal(written[0]?.samples, 2);
      clock.tick(600_000);
      await store.flush();
      assert.equal((await lines(file)).length, 1, "nothing new: nothing written");
    } finally {
      clock.restore();
    }
  });

  it("refuses bad device ids, reports write failures without throwing", async () => {
    const store = await open();
    assert.throws(() => store.add(snapshot("../x", T0)), InvalidDeviceIdError);
    await assert.rejects(store.rows("../x"), InvalidDeviceIdError);
    const errors: unknown[] = [];
    store.on("error", (error) => errors.push(error));
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, "broken"), "a file where a directory should be");
    store.add(snapshot("broken", T0));
    await store.flush();
    assert.equal(store.stats().ok, false);
    assert.equal(errors.length, 1);
    assert.ok(
      store.energy({}).devices.some((d) => d.device_id === "broken"),
      "memory still answers",
    );
  });

  it("ignores a snapshot too old to change a finished hour", async () => {
    const store = await open();
    store.add(snapshot("ups", T0 + 5 * HOUR));
    assert.equal(store.add(snapshot("ups", T0)), true);
    assert.deepStrictEqual(
      (await store.rows("ups")).map((row) => row.hour.slice(11, 13)),
      ["05"],
    );
  });
});
