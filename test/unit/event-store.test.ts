import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError } from "../../src/api/api-error";
import type { PowerEvent } from "../../src/model/power-event";
import { EventStore } from "../../src/server/event-store";
import { openCollection } from "../../src/server/nedb";
import { snapshotFromNutVars } from "../../src/nut/snapshot";

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 10, minute));

function event(id: string, minute: number, overrides: Partial<PowerEvent> = {}): PowerEvent {
  return {
    id,
    device_id: "rack",
    ts: at(minute).toISOString(),
    type: "ONBATT",
    severity: "warning",
    message: "on battery",
    snapshot: snapshotFromNutVars("rack", { "ups.status": "OB", "battery.charge": "90" }, at(minute)),
    recovery_of: null,
    ...overrides,
  };
}

describe("EventStore", () => {
  let dir: string;
  let store: EventStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "argus-events-"));
    store = new EventStore(await openCollection(dir, "events"));
    await store.open();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps events with their snapshot (whose NUT variable names have dots) and reads them back equal", async () => {
    const original = event("a", 1);
    await store.add(original);
    assert.deepEqual((await store.query({ limit: 10 })).items, [original]);
  });

  it("pages newest first with a cursor, without gaps or repeats, equal timestamps included", async () => {
    const all = [event("a", 1), event("b", 2), event("c", 2), event("d", 3), event("e", 4)];
    for (const item of all) await store.add(item);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({ limit: 2, cursor });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, ["e", "d", "c", "b", "a"]);
  });

  it("filters by device, type, severity and time", async () => {
    await store.add(event("a", 1));
    await store.add(event("b", 2, { type: "ONLINE", severity: "info", recovery_of: "a" }));
    await store.add(event("c", 3, { device_id: "desk" }));
    const ids = async (query: Parameters<EventStore["query"]>[0]) => (await store.query(query)).items.map((e) => e.id);
    assert.deepEqual(await ids({ limit: 10, device_id: "rack" }), ["b", "a"]);
    assert.deepEqual(await ids({ limit: 10, type: "ONLINE" }), ["b"]);
    assert.deepEqual(await ids({ limit: 10, severity: "warning" }), ["c", "a"]);
    assert.deepEqual(await ids({ limit: 10, sinceMs: at(2).getTime(), untilMs: at(3).getTime() }), ["b"]);
  });

  it("refuses a cursor it did not hand out with 400", async () => {
    await assert.rejects(store.query({ limit: 1, cursor: "bm90LWEtY3Vyc29y" }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      return true;
    });
  });

  it("survives a reopen", async () => {
    await store.add(event("a", 1));
    const reopened = new EventStore(await openCollection(dir, "events"));
    await reopened.open();
    assert.equal(reopened.size, 1);
    assert.equal((await reopened.query({ limit: 1 })).items[0]?.id, "a");
  });
});
