/**
 * The outbox across a restart: an alert pending when the process stops (here: the dispatcher closed while
 * waiting to retry) is delivered by the next dispatcher over the same directory, exactly once, only to the
 * providers that had not got it; the cooldown memory survives too.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlertDispatcher } from "../../src/alerts/dispatcher";
import type { Sleep } from "../../src/alerts/dispatcher";
import { FileAlertOutbox } from "../../src/alerts/outbox";
import { AlertConfig } from "../../src/model/alert-config";
import type { PowerEvent } from "../../src/model/power-event";
import { HttpsReceiver } from "../support/https-receiver";
import { waitFor } from "../support/wait";

const T0 = Date.parse("2026-11-27T10:00:00.000Z");

const ONBATT: PowerEvent = {
  id: "evt-restart-1",
  device_id: "rack-ups",
  ts: new Date(T0).toISOString(),
  type: "ONBATT",
  severity: "warning",
  message: "UPS on battery",
  snapshot: null,
  recovery_of: null,
};

/** A sleep that never ends by itself: the process "stops" while an alert waits for its retry. */
function stuckSleep(): { sleep: Sleep; entered: Promise<void> } {
  let enter: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => {
    enter = resolve;
  });
  const sleep: Sleep = (_ms, signal) => {
    enter();
    return new Promise((_resolve, reject) => {
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  };
  return { sleep, entered };
}

describe("alerts: the outbox across a restart", function () {
  this.timeout(20_000);
  let first: HttpsReceiver;
  let second: HttpsReceiver;
  let dir: string;
  const dispatchers: AlertDispatcher[] = [];

  before(async () => {
    first = await HttpsReceiver.start();
    second = await HttpsReceiver.start(first.ca);
  });
  after(async () => {
    await second.close();
    await first.close();
  });
  beforeEach(async () => {
    first.reset();
    second.reset();
    dir = await mkdtemp(join(tmpdir(), "argus-alert-restart-"));
  });
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.close()));
    await rm(dir, { recursive: true, force: true });
  });

  function dispatcher(sleep: Sleep = async () => undefined, now = T0): AlertDispatcher {
    const created = new AlertDispatcher({ outbox: new FileAlertOutbox(dir), now: () => now, sleep });
    dispatchers.push(created);
    return created;
  }

  const config = (receivers: HttpsReceiver[]): AlertConfig =>
    AlertConfig.parse({
      providers: receivers.map((receiver, index) => ({
        type: "webhook",
        name: `hook-${index}`,
        url: receiver.url(`/hook-${index}`),
        secret: "restart-secret",
        ca: receiver.caPem,
      })),
    });

  it("an alert pending at a restart is delivered after it, exactly once", async () => {
    const settings = config([first]);
    first.answer({ status: 503 });
    const stuck = stuckSleep();
    const before = dispatcher(stuck.sleep);
    const outcome = before.handleEvent(settings, ONBATT);
    await stuck.entered;
    await before.close();
    const stopped = await outcome;
    assert.ok(stopped.alerted);
    assert.deepEqual(stopped.results, [
      {
        provider: "hook-0",
        ok: false,
        status_code: null,
        error: "cancelled: the alert dispatcher closed; the alert stays in the outbox",
      },
    ]);
    const left = await new FileAlertOutbox(dir).pending();
    assert.deepEqual(
      left.map((entry) => [entry.id, entry.providers]),
      [["evt-restart-1", ["hook-0"]]],
    );

    const after = dispatcher();
    const resumed = await after.resume(settings);
    assert.deepEqual(resumed, [
      { id: "evt-restart-1", results: [{ provider: "hook-0", ok: true, status_code: 200, error: null }] },
    ]);
    assert.deepEqual(
      first.requests.map((request) => request.answeredWith),
      [503, 200],
    );
    const ids = first.requests.map((request) => request.headers["webhook-id"]);
    assert.deepEqual(ids, ["evt-restart-1", "evt-restart-1"], "the same id, so a receiver can deduplicate");

    assert.deepEqual(await after.resume(settings), []);
    assert.deepEqual(await dispatcher().resume(settings), []);
    assert.deepEqual(await new FileAlertOutbox(dir).pending(), []);
    assert.equal(first.requests.length, 2);
  });

  it("after a restart the same event is not alerted again, and the cooldown still holds", async () => {
    const settings = config([first]);
    assert.equal((await dispatcher().handleEvent(settings, ONBATT)).alerted, true);
    const restarted = dispatcher(async () => undefined, T0 + 10_000);
    const again = await restarted.handleEvent(settings, ONBATT);
    assert.equal(again.alerted ? "ALERTED" : again.reason, "DUPLICATE");
    const next = await restarted.handleEvent(settings, { ...ONBATT, id: "evt-restart-2" });
    assert.equal(next.alerted ? "ALERTED" : next.reason, "COOLDOWN");
    // ...and the recovery still finds its problem.
    const online = await restarted.handleEvent(settings, { ...ONBATT, id: "evt-online", type: "ONLINE" });
    assert.equal(online.alerted, true);
    assert.equal(first.requests.length, 2);
  });

  it("a provider that got the alert before the restart does not get it again", async () => {
    const settings = config([first, second]);
    second.answer({ status: 502 });
    const stuck = stuckSleep();
    const before = dispatcher(stuck.sleep);
    const outcome = before.handleEvent(settings, ONBATT);
    await stuck.entered;
    await waitFor(
      async () => {
        const [entry] = await new FileAlertOutbox(dir).pending();
        return entry?.providers.join(",") === "hook-1";
      },
      { what: "hook-0 written off the outbox entry" },
    );
    await before.close();
    const stopped = await outcome;
    assert.ok(stopped.alerted);
    assert.deepEqual(
      stopped.results.map((result) => result.ok),
      [true, false],
    );

    const resumed = await dispatcher().resume(settings);
    assert.deepEqual(resumed, [
      { id: "evt-restart-1", results: [{ provider: "hook-1", ok: true, status_code: 200, error: null }] },
    ]);
    assert.equal(first.requests.length, 1, "hook-0 got it once, before the restart");
    assert.deepEqual(
      second.requests.map((request) => request.answeredWith),
      [502, 200],
    );
  });

  it("at resume: entries for removed providers and entries too old are dropped unsent", async () => {
    const outbox = new FileAlertOutbox(dir);
    const message = {
      id: "old",
      type: "ONBATT" as const,
      status: "firing" as const,
      severity: "warning" as const,
      timestamp: new Date(T0).toISOString(),
      device: { id: "rack-ups", name: "rack-ups" },
      title: "t",
      text: "x",
      data: { severity: "warning" as const, title: "t", message: "x", recovery_of: null, snapshot: null },
    };
    await outbox.put({
      id: "old",
      created_at: new Date(T0 - 2 * 86_400_000).toISOString(),
      message,
      providers: ["hook-0"],
    });
    await outbox.put({
      id: "gone",
      created_at: new Date(T0).toISOString(),
      message: { ...message, id: "gone" },
      providers: ["removed"],
    });
    assert.deepEqual(await dispatcher().resume(config([first])), []);
    assert.deepEqual(await new FileAlertOutbox(dir).pending(), []);
    assert.equal(first.requests.length, 0);
  });
});
