import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { emptyStatus } from "../../src/model/snapshot";
import type { Snapshot } from "../../src/model/snapshot";
import { InvalidCursorError, InvalidDeviceIdError, InvalidQueryError, StoreInputError } from "../../src/store/errors";
import { encodeCursor, SnapshotStore } from "../../src/store/snapshot-store";
import type { SnapshotPage, SnapshotQuery } from "../../src/store/snapshot-store";

const T0 = Date.UTC(2024, 4, 1, 0, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A realistic NUT snapshot; `i` varies the measurements. */
function snap(device: string, ms: number, i = 0, extra: Partial<Snapshot> = {}): Snapshot {
  const runtime = 1800 - (i % 50);
  const voltage = 229 + (i % 4);
  return {
    device_id: device,
    ts: new Date(ms).toISOString(),
    reachable: true,
    status: { ...emptyStatus("OL CHRG"), on_line: true, charging: true },
    battery_charge_pct: 100,
    battery_runtime_s: runtime,
    battery_voltage_v: 27.3,
    input_voltage_v: voltage,
    input_frequency_hz: 50,
    output_voltage_v: 230,
    load_pct: 20 + (i % 3),
    power_w: 180 + (i % 7),
    power_source: "measured",
    temperature_c: null,
    vars: {
      "device.mfr": "EATON",
      "device.model": "5PX 1500",
      "ups.status": "OL CHRG",
      "battery.charge": "100",
      "battery.runtime": String(runtime),
      "input.voltage": String(voltage),
      "ups.load": String(20 + (i % 3)),
      "ups.realpower": String(180 + (i % 7)),
      "ups.firmware": "02.14.0026",
    },
    error: null,
    ...extra,
  };
}

function newestFirst(list: Snapshot[]): Snapshot[] {
  return [...list].sort((a, b) => {
    const dt = Date.parse(b.ts) - Date.parse(a.ts);
    return dt !== 0 ? dt : a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0;
  });
}

describe("SnapshotStore", () => {
  let dir: string;
  let root: string;
  let stores: SnapshotStore[];

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), "argus-snapshots-"));
    dir = path.join(root, "snapshots");
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function open(): Promise<SnapshotStore> {
    const store = new SnapshotStore(root);
    stores.push(store);
    await store.open();
    return store;
  }

  async function all(store: SnapshotStore, query: SnapshotQuery = {}, pageSize = 1000): Promise<Snapshot[]> {
    const items: Snapshot[] = [];
    let cursor: string | null = null;
    do {
      const page: SnapshotPage = await store.query({ ...query, limit: pageSize, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return items;
  }

  it("gives back exactly what was appended, vars included, newest first", async () => {
    const store = await open();
    const appended: Snapshot[] = [];
    for (let i = 0; i < 60; i++) {
      for (const device of ["ups-a", "ups-b"]) {
        const s = snap(device, T0 + i * 10_000, i);
        appended.push(s);
        assert.equal(store.append(s), true);
      }
    }
    const page = await store.query({ limit: 1000 });
    assert.deepStrictEqual(page.items, newestFirst(appended));
    assert.equal(page.next_cursor, null);
    assert.deepStrictEqual(store.stats(), {
      ok: true,
      snapshots: 120,
      devices: 2,
      corrupt: 0,
      pending: 0,
      dropped: 0,
      last_error: null,
      counted: true,
    });
  });

  it("stores a copy: changing the snapshot after append changes nothing", async () => {
    const store = await open();
    const s = snap("ups", T0);
    store.append(s);
    s.vars["ups.status"] = "OB";
    s.status.on_battery = true;
    const [stored] = (await store.query({})).items;
    assert.equal(stored?.vars["ups.status"], "OL CHRG");
    assert.equal(stored?.status.on_battery, false);
    assert.equal(store.latest()[0]?.vars["ups.status"], "OL CHRG");
  });

  it("keeps removed, added and changed vars, fields and errors through the delta encoding", async () => {
    const store = await open();
    const base = snap("ups", T0, 0);
    const removed = snap("ups", T0 + 10_000, 1);
    delete removed.vars["ups.firmware"];
    delete removed.vars["battery.charge"];
    const added = snap("ups", T0 + 20_000, 2);
    added.vars["ups.beeper.status"] = "enabled";
    added.vars["ups.firmware"] = "02.15.0001";
    const onBattery = snap("ups", T0 + 30_000, 3, {
      status: { ...emptyStatus("OB DISCHRG"), on_battery: true, discharging: true },
      power_source: "derived",
      temperature_c: 31.5,
      battery_charge_pct: null,
    });
    onBattery.vars["ups.status"] = "OB DISCHRG";
    const unreachable = snap("ups", T0 + 40_000, 4, {
      reachable: false,
      status: emptyStatus(),
      vars: {},
      error: { code: "ETIMEDOUT", message: "no answer in 5000 ms" },
    });
    const back = snap("ups", T0 + 50_000, 5);
    const emptyString = snap("ups", T0 + 60_000, 6);
    emptyString.vars["ups.alarm"] = "";
    const sequence = [base, removed, added, onBattery, unreachable, back, emptyString];
    for (const s of sequence) store.append(s);
    await store.flush();

    const lines = (await fsp.readFile(path.join(dir, "ups", "2024-05-01.jsonl"), "utf8")).trim().split("\n");
    assert.equal(lines.length, sequence.length);
    assert.ok(lines[0]?.startsWith('{"f":1,"ts":'), "a file starts with a full line");
    assert.ok(lines[1]?.startsWith('{"ts":'), "then deltas");
    assert.ok((lines[1]?.length ?? 0) < (lines[0]?.length ?? 0) / 3, "a delta is small");
    assert.ok(!lines[1]?.includes("device.mfr"), "unchanged vars are not repeated");
    assert.ok(lines[1]?.includes('"ups.firmware":null'), "a removed var is null");

    assert.deepStrictEqual((await store.query({})).items, newestFirst(sequence));
    await store.close();
    const reopened = await open();
    assert.deepStrictEqual((await reopened.query({})).items, newestFirst(sequence));
  });

  it("round-trips vars named like Object.prototype members", async () => {
    const store = await open();
    const first = snap("ups", T0);
    const second = snap("ups", T0 + 10_000);
    for (const s of [first, second]) {
      Object.defineProperty(s.vars, "__proto__", { value: "x", enumerable: true, writable: true, configurable: true });
      s.vars["constructor"] = "y";
      s.vars["toString"] = "z";
    }
    Object.defineProperty(second.vars, "__proto__", { value: "changed", enumerable: true, configurable: true });
    delete second.vars["constructor"];
    store.append(first);
    store.append(second);
    const items = (await store.query({})).items;
    assert.deepStrictEqual(items, [second, first]);
    assert.equal(Object.getPrototypeOf(items[0]?.vars), Object.prototype);
    assert.equal(Object.hasOwn(items[0]?.vars ?? {}, "constructor"), false);
  });

  it("orders by ts, then device id, and honours limit", async () => {
    const store = await open();
    for (const device of ["c", "a", "b"]) store.append(snap(device, T0));
    store.append(snap("b", T0 + 1000));
    const page = await store.query({ limit: 3 });
    assert.deepStrictEqual(
      page.items.map((s) => `${s.device_id}@${s.ts.slice(17, 19)}`),
      ["b@01", "a@00", "b@00"],
    );
    assert.notEqual(page.next_cursor, null);
    const rest = await store.query({ limit: 3, cursor: page.next_cursor });
    assert.deepStrictEqual(
      rest.items.map((s) => s.device_id),
      ["c"],
    );
    assert.equal(rest.next_cursor, null);
    assert.equal((await store.query({ limit: 4 })).next_cursor, null, "no next cursor when nothing is left");
  });

  it("pages with the cursor across devices and days without duplicates or gaps, while appends go on", async () => {
    const store = await open();
    const appended: Snapshot[] = [];
    const start = T0 + DAY - 30 * MIN; // crosses midnight
    for (let i = 0; i < 200; i++) {
      for (const device of ["pdu-1", "ups-1", "ups-2"]) {
        if (device === "ups-2" && i % 3 === 0) continue;
        const s = snap(device, start + i * 20_000, i);
        appended.push(s);
        store.append(s);
      }
    }
    const seen: Snapshot[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SnapshotPage = await store.query({ limit: 7, cursor });
      seen.push(...page.items);
      cursor = page.next_cursor;
      pages++;
      store.append(snap("ups-1", start + 200 * 20_000 + pages * 1000)); // newer than the first page: not visited
    } while (cursor !== null);
    assert.equal(seen.length, appended.length);
    assert.deepStrictEqual(seen, newestFirst(appended));
    const keys = new Set(seen.map((s) => `${s.device_id}/${s.ts}`));
    assert.equal(keys.size, seen.length, "no duplicates");

    const oneDevice = await all(store, { device_id: "ups-2" }, 9);
    assert.deepStrictEqual(oneDevice, newestFirst(appended.filter((s) => s.device_id === "ups-2")));
  });

  it("filters by since (inclusive) and until (exclusive) in ISO or epoch ms", async () => {
    const store = await open();
    const appended: Snapshot[] = [];
    for (let i = 0; i < 5 * 24; i++) {
      const s = snap("ups", T0 + i * HOUR, i); // five days, hourly
      appended.push(s);
      store.append(s);
    }
    const since = T0 + DAY + 6 * HOUR;
    const until = T0 + 3 * DAY + 6 * HOUR;
    const expected = newestFirst(appended.filter((s) => Date.parse(s.ts) >= since && Date.parse(s.ts) < until));
    assert.equal(expected.length, 48);
    assert.deepStrictEqual(await all(store, { since, until }, 10), expected);
    assert.deepStrictEqual(await all(store, { since: new Date(since).toISOString(), until: String(until) }), expected);
    assert.deepStrictEqual(await all(store, { since: new Date(since), until: new Date(until) }), expected);
    assert.equal((await store.query({ since: until, until: since })).items.length, 0);
    assert.equal((await store.query({ device_id: "other" })).items.length, 0);
  });

  it("refuses a bad cursor, limit, time or device id with a typed error", async () => {
    const store = await open();
    store.append(snap("ups", T0));
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of [
      "not a cursor!",
      "abc",
      forged({ t: 1 }),
      forged([1, 1.5, "ups", 0]),
      forged([1, T0, "../../etc", 0]),
      forged([1, T0, "ups", -1]),
      forged([2, T0, "ups", 0]),
      "x".repeat(500),
    ]) {
      await assert.rejects(store.query({ cursor }), InvalidCursorError, cursor);
    }
    for (const device_id of ["../../etc/passwd", "..", "UPS", "", "a/b", "a\u0000", "-x", "a".repeat(65)]) {
      await assert.rejects(store.query({ device_id }), InvalidDeviceIdError, JSON.stringify(device_id));
    }
    for (const limit of [0, 1001, 1.5, Number.NaN]) {
      await assert.rejects(store.query({ limit }), InvalidQueryError, String(limit));
    }
    await assert.rejects(store.query({ since: "yesterday" }), InvalidQueryError);
    await assert.rejects(store.query({ until: "2024-13-45T99:00:00Z" }), InvalidQueryError);
    assert.equal((await store.query({ since: "2024-05-01" })).items.length, 1, "a date alone is a valid since");
    await assert.rejects(store.query({ cursor: "abc" }), (error: unknown) => {
      assert.ok(error instanceof StoreInputError);
      assert.equal(error.code, "invalid_cursor");
      assert.equal(error.field, "cursor");
      return true;
    });
    const valid = encodeCursor({ t: T0 + 1, device: "ups", line: 5 });
    assert.equal((await store.query({ cursor: valid })).items.length, 1);
  });

  it("never lets a device id become a path outside the store", async () => {
    const store = await open();
    for (const device_id of ["../evil", "..", "a/../../b", "/abs", "UP"]) {
      assert.throws(() => store.append(snap(device_id, T0)), InvalidDeviceIdError);
    }
    assert.throws(() => store.append({ ...snap("ups", T0), ts: "2024-05-01 00:00" }), InvalidQueryError);
    await store.flush();
    assert.deepStrictEqual(await fsp.readdir(root), ["snapshots"]);
    assert.deepStrictEqual(await fsp.readdir(dir), []);
  });

  it("keeps latest and history across a restart, and continues the day file", async () => {
    const first = await open();
    const appended: Snapshot[] = [];
    for (let i = 0; i < 30; i++) {
      for (const device of ["ups-a", "ups-b"]) {
        const s = snap(device, T0 + i * 10_000, i);
        appended.push(s);
        first.append(s);
      }
    }
    const latest = first.latest();
    assert.deepStrictEqual(
      latest.map((s) => s.ts),
      [appended[58]?.ts, appended[59]?.ts],
    );
    await first.close();
    assert.equal(first.append(snap("ups-a", T0)), false, "closed: refused, not thrown");

    const second = await open();
    assert.deepStrictEqual(second.latest(), latest);
    assert.equal(second.stats().snapshots, 60);
    assert.deepStrictEqual((await second.query({ limit: 1000 })).items, newestFirst(appended));
    for (let i = 30; i < 40; i++) {
      const s = snap("ups-a", T0 + i * 10_000, i);
      delete s.vars["ups.firmware"];
      appended.push(s);
      second.append(s);
    }
    await second.close();
    const text = await fsp.readFile(path.join(dir, "ups-a", "2024-05-01.jsonl"), "utf8");
    assert.equal(text.split("\n").filter((line) => line.startsWith('{"f":1')).length, 1, "still one base line");

    const third = await open();
    assert.deepStrictEqual((await third.query({ limit: 1000 })).items, newestFirst(appended));
    assert.equal(third.latest()[0]?.ts, appended[appended.length - 1]?.ts);
  });

  it("counts the lines of older files after open, in the background", async () => {
    const first = await open();
    for (let day = 0; day < 5; day++) {
      for (let i = 0; i < 30; i++) first.append(snap(day % 2 ? "pdu" : "ups", T0 + day * DAY + i * MIN, i));
    }
    await first.close();
    const second = await open();
    assert.deepStrictEqual(
      second.latest().map((s) => s.ts),
      [new Date(T0 + 3 * DAY + 29 * MIN).toISOString(), new Date(T0 + 4 * DAY + 29 * MIN).toISOString()],
    );
    await second.counted();
    assert.equal(second.stats().counted, true);
    assert.equal(second.stats().snapshots, 150);
    const result = await second.applyRetention({ retention_days: 365, max_snapshots: 60 }, T0 + 5 * DAY);
    assert.deepStrictEqual(result, { deleted_files: 1, deleted_snapshots: 30 });
    assert.equal(second.stats().snapshots, 120);
  });

  it("ignores stray files and directories that are not its own", async () => {
    await fsp.mkdir(path.join(dir, "ups"), { recursive: true });
    await fsp.mkdir(path.join(dir, "Not-A-Device"), { recursive: true });
    await fsp.writeFile(path.join(dir, "README"), "hello");
    await fsp.writeFile(path.join(dir, "ups", "notes.txt"), "hello");
    const store = await open();
    assert.deepStrictEqual(store.stats().devices, 0);
    store.append(snap("ups", T0));
    assert.equal((await store.query({})).items.length, 1);
  });

  it("applies retention by age: whole day files older than retention_days", async () => {
    const store = await open();
    for (let day = 0; day < 10; day++) {
      for (let i = 0; i < 4; i++) {
        store.append(snap("ups", T0 + day * DAY + i * 6 * HOUR, i));
        store.append(snap("pdu", T0 + day * DAY + i * 6 * HOUR + 1, i));
      }
    }
    const now = T0 + 9 * DAY + 12 * HOUR; // day 10 at noon; 3 days back: day 7 at noon
    const result = await store.applyRetention({ retention_days: 3, max_snapshots: 100_000 }, now);
    assert.deepStrictEqual(result, { deleted_files: 12, deleted_snapshots: 48 });
    assert.deepStrictEqual((await fsp.readdir(path.join(dir, "ups"))).sort(), [
      "2024-05-07.jsonl",
      "2024-05-08.jsonl",
      "2024-05-09.jsonl",
      "2024-05-10.jsonl",
    ]);
    assert.equal(store.stats().snapshots, 32);
    const items = await all(store);
    assert.equal(items.length, 32);
    assert.ok(items.every((s) => Date.parse(s.ts) >= T0 + 6 * DAY));
  });

  it("applies retention by count: the oldest files go, never the newest", async () => {
    const store = await open();
    for (let day = 0; day < 4; day++) {
      for (let i = 0; i < 60; i++) store.append(snap("ups", T0 + day * DAY + i * MIN, i));
    }
    for (let i = 0; i < 150; i++) store.append(snap("big", T0 + i * MIN, i));
    const result = await store.applyRetention({ retention_days: 365, max_snapshots: 100 }, T0 + 4 * DAY);
    assert.deepStrictEqual(result, { deleted_files: 3, deleted_snapshots: 180 });
    assert.deepStrictEqual(await fsp.readdir(path.join(dir, "ups")), ["2024-05-04.jsonl"]);
    assert.deepStrictEqual(await fsp.readdir(path.join(dir, "big")), ["2024-05-01.jsonl"], "its only file stays");
    assert.equal(store.stats().snapshots, 210);
    assert.equal((await all(store, { device_id: "ups" })).length, 60);
  });

  it("forgets a device whose every file has expired", async () => {
    const store = await open();
    store.append(snap("old", T0));
    store.append(snap("ups", T0 + 20 * DAY));
    await store.applyRetention({ retention_days: 7, max_snapshots: 100_000 }, T0 + 20 * DAY);
    assert.deepStrictEqual(
      store.latest().map((s) => s.device_id),
      ["ups"],
    );
    assert.deepStrictEqual(await fsp.readdir(dir), ["ups"]);
    assert.equal(store.stats().devices, 1);
  });

  it("skips and counts a truncated last line, and appends after it on a line of its own", async () => {
    const first = await open();
    const appended: Snapshot[] = [];
    for (let i = 0; i < 10; i++) {
      const s = snap("ups", T0 + i * 10_000, i);
      appended.push(s);
      first.append(s);
    }
    await first.close();
    const file = path.join(dir, "ups", "2024-05-01.jsonl");
    const cut = JSON.stringify({ ts: new Date(T0 + 100_000).toISOString(), battery_runtime_s: 12 }).slice(0, 30);
    await fsp.appendFile(file, cut); // a crash in the middle of a write

    const second = await open();
    assert.deepStrictEqual(second.latest(), [appended[9]]);
    assert.equal(second.stats().corrupt, 1);
    assert.equal(second.stats().snapshots, 10);
    assert.deepStrictEqual((await second.query({})).items, newestFirst(appended));
    const next = snap("ups", T0 + 200_000, 11);
    appended.push(next);
    second.append(next);
    assert.deepStrictEqual((await second.query({})).items, newestFirst(appended));
    assert.equal(second.stats().corrupt, 1, "counted once");
    await second.close();
    const lines = (await fsp.readFile(file, "utf8")).split("\n");
    assert.equal(lines[10], cut, "the fragment is left alone, on a line of its own");

    const third = await open();
    assert.deepStrictEqual((await third.query({})).items, newestFirst(appended));
    assert.equal(third.stats().corrupt, 1);
    assert.equal(third.stats().snapshots, 11);
  });

  it("skips corrupt lines anywhere, and lines whose base is corrupt; the writer starts a new base", async () => {
    const first = await open();
    for (let i = 0; i < 5; i++) first.append(snap("ups", T0 + i * 10_000, i));
    for (let i = 0; i < 5; i++) first.append(snap("pdu", T0 + i * 10_000, i));
    await first.close();
    const upsFile = path.join(dir, "ups", "2024-05-01.jsonl");
    const ups = (await fsp.readFile(upsFile, "utf8")).split("\n");
    ups.splice(2, 0, "this is not json", '{"ts":"garbage"}', "");
    await fsp.writeFile(upsFile, ups.join("\n"));
    const pduFile = path.join(dir, "pdu", "2024-05-01.jsonl");
    const pdu = (await fsp.readFile(pduFile, "utf8")).split("\n");
    pdu[0] = (pdu[0] as string).replace('"vars":{', '"vars":[');
    await fsp.writeFile(pduFile, pdu.join("\n"));

    const second = await open();
    const upsItems = await all(second, { device_id: "ups" }, 2);
    assert.deepStrictEqual(
      upsItems.map((s) => s.ts),
      [4, 3, 2, 1, 0].map((i) => new Date(T0 + i * 10_000).toISOString()),
    );
    assert.deepStrictEqual(await all(second, { device_id: "pdu" }), [], "deltas of a corrupt base are skipped");
    assert.deepStrictEqual(
      second.latest().map((s) => s.device_id),
      ["ups"],
    );
    assert.equal(second.stats().corrupt, 3 + 5);
    const fresh = snap("pdu", T0 + 60_000, 6);
    second.append(fresh);
    assert.deepStrictEqual((await second.query({ device_id: "pdu" })).items, [fresh]);
    assert.deepStrictEqual(
      second.latest().map((s) => s.device_id),
      ["pdu", "ups"],
    );
    await second.close();
    const lines = (await fsp.readFile(pduFile, "utf8")).trim().split("\n");
    assert.ok(lines[5]?.startsWith('{"f":1'), "the new line is a full line");
  });

  it("reads out-of-order timestamps (a clock stepped back) newest first", async () => {
    const store = await open();
    const appended: Snapshot[] = [];
    for (const minute of [10, 11, 12, 5, 6, 13, 7, 7]) {
      const s = snap("ups", T0 + minute * MIN, minute);
      appended.push(s);
      store.append(s);
    }
    const items = await all(store, {}, 3);
    assert.deepStrictEqual(
      items.map((s) => s.ts.slice(14, 16)),
      ["13", "12", "11", "10", "07", "07", "06", "05"],
    );
    assert.equal(store.latest()[0]?.ts.slice(14, 16), "07", "latest is the last poll, whatever the clock said");
    await store.close();
    const reopened = await open();
    assert.equal(reopened.latest()[0]?.ts.slice(14, 16), "07");
    assert.deepStrictEqual(await all(reopened, { since: T0 + 7 * MIN, until: T0 + 12 * MIN }, 2), [
      appended[1],
      appended[0],
      appended[7],
      appended[6],
    ]);
  });

  it("reads a line longer than its read buffer", async () => {
    const store = await open();
    const big = snap("ups", T0);
    for (let i = 0; i < 3000; i++) big.vars[`ups.test.${i}`] = "x".repeat(500);
    store.append(big);
    store.append(snap("ups", T0 + 10_000));
    await store.close();
    const reopened = await open();
    const items = (await reopened.query({})).items;
    assert.equal(items.length, 2);
    assert.deepStrictEqual(items[1], big);
  });

  it("reports a write failure through stats and 'error', keeps running, and recovers", async () => {
    const store = await open();
    const errors: unknown[] = [];
    store.on("error", (error) => errors.push(error));
    await fsp.writeFile(path.join(dir, "broken"), "a file where a directory should be");
    store.append(snap("broken", T0));
    store.append(snap("ups", T0));
    await store.flush();
    const stats = store.stats();
    assert.equal(stats.ok, false);
    assert.equal(stats.dropped, 1);
    assert.match(stats.last_error ?? "", /^E[A-Z]+$/);
    assert.equal(errors.length, 1);
    assert.equal((await store.query({ device_id: "ups" })).items.length, 1, "other devices are unaffected");
    assert.equal(store.latest().length, 2, "the latest snapshot is still known");

    store.removeAllListeners("error");
    store.append(snap("broken", T0 + 10_000));
    await store.flush(); // no listener: no throw, no crash
    assert.equal(store.stats().dropped, 2);

    await fsp.rm(path.join(dir, "broken"));
    store.append(snap("broken", T0 + 20_000));
    await store.flush();
    assert.equal(store.stats().ok, true, "ok again once the file can be written");
  });

  it("opens on an unusable directory without throwing and reports it", async () => {
    await fsp.writeFile(dir, "not a directory");
    const store = new SnapshotStore(root);
    stores.push(store);
    await store.open();
    assert.equal(store.stats().ok, false);
    store.append(snap("ups", T0));
    await store.flush();
    assert.equal(store.stats().dropped, 1);
    assert.deepStrictEqual(store.latest().length, 1);
  });

  it("refuses appends before open and queries after close", async () => {
    const store = new SnapshotStore(root);
    assert.throws(() => store.append(snap("ups", T0)), /open\(\)/);
    await store.open();
    await store.close();
    await assert.rejects(store.query({}), /closed/);
  });
});
