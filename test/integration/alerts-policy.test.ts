/**
 * Which events alert and how often, counted at a real HTTPS receiver: the alert_on_* switches, cooldown per
 * device and event type, recoveries only for alerted problems and with their own cooldown, and the test send
 * with its cooldown (429) and its 409 when no provider is enabled.
 */
import { strict as assert } from "node:assert";
import { AlertDispatcher } from "../../src/alerts/dispatcher";
import type { EventOutcome } from "../../src/alerts/dispatcher";
import { AlertConfig } from "../../src/model/alert-config";
import type { EventType, PowerEvent, Severity } from "../../src/model/power-event";
import { HttpsReceiver } from "../support/https-receiver";

const T0 = Date.parse("2026-11-27T10:00:00.000Z");
let sequence = 0;

function event(type: EventType, deviceId = "rack-ups", severity: Severity = "warning"): PowerEvent {
  sequence += 1;
  return {
    id: `evt-${sequence}`,
    device_id: deviceId,
    ts: new Date(T0).toISOString(),
    type,
    severity,
    message: type,
    snapshot: null,
    recovery_of: null,
  };
}

describe("alerts: which events alert, cooldowns, the test send", function () {
  this.timeout(20_000);
  let receiver: HttpsReceiver;
  let dispatcher: AlertDispatcher;
  let now: number;

  before(async () => {
    receiver = await HttpsReceiver.start();
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.reset();
    now = T0;
    dispatcher = new AlertDispatcher({ now: () => now, sleep: async () => undefined });
  });
  afterEach(async () => {
    await dispatcher.close();
  });

  const config = (settings: Record<string, unknown> = {}, providers?: unknown[]) =>
    AlertConfig.parse({
      providers: providers ?? [{ type: "webhook", name: "hook", url: receiver.url("/hook"), ca: receiver.caPem }],
      ...settings,
    });

  const reason = (outcome: EventOutcome): string => (outcome.alerted ? "ALERTED" : outcome.reason);

  /** The types the receiver got, in order. */
  const received = (): string[] =>
    receiver.requests.map((request) => {
      const body = JSON.parse(request.body) as { type: string; device: { id: string } | null };
      return `${body.device?.id ?? "-"}:${body.type}`;
    });

  it("the alert_on_* switches choose the types; REPLBATT, OVER and BYPASS always alert", async () => {
    const off = config({ alert_on_battery: false, alert_on_battery_low: false, alert_on_device_offline: false });
    for (const type of ["ONBATT", "LOWBATT", "CHARGE_LOW", "RUNTIME_LOW", "FSD", "COMMBAD"] as const) {
      assert.equal(reason(await dispatcher.handleEvent(off, event(type))), "DISABLED", type);
    }
    for (const type of ["REPLBATT", "OVER", "BYPASS"] as const) {
      assert.equal(reason(await dispatcher.handleEvent(off, event(type))), "ALERTED", type);
    }
    const on = config();
    for (const type of ["ONBATT", "LOWBATT", "CHARGE_LOW", "RUNTIME_LOW", "FSD", "COMMBAD"] as const) {
      assert.equal(reason(await dispatcher.handleEvent(on, event(type))), "ALERTED", type);
    }
    assert.equal(receiver.requests.length, 9);
  });

  it("cooldown per device and event type", async () => {
    const settings = config({ cooldown_seconds: 300 });
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONBATT"))), "ALERTED");
    now = T0 + 10_000;
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONBATT"))), "COOLDOWN");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONBATT", "desk-ups"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("LOWBATT"))), "ALERTED");
    now = T0 + 299_999;
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONBATT"))), "COOLDOWN");
    now = T0 + 300_000;
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONBATT"))), "ALERTED");
    assert.deepEqual(received(), ["rack-ups:ONBATT", "desk-ups:ONBATT", "rack-ups:LOWBATT", "rack-ups:ONBATT"]);
  });

  it("a recovery only for an alerted problem, once, with its own cooldown; a flapping UPS does not storm", async () => {
    const settings = config({ cooldown_seconds: 60, recovery_cooldown_seconds: 600 });
    const at = async (seconds: number, type: EventType): Promise<string> => {
      now = T0 + seconds * 1000;
      return reason(await dispatcher.handleEvent(settings, event(type, "rack-ups", "info")));
    };
    assert.equal(await at(0, "ONLINE"), "NOTHING_TO_RECOVER");
    assert.equal(await at(1, "ONBATT"), "ALERTED");
    assert.equal(await at(10, "ONLINE"), "ALERTED");
    assert.equal(await at(20, "ONLINE"), "NOTHING_TO_RECOVER", "already recovered");
    // Flapping inside the cooldown: the ONBATT is held back, so there is nothing for ONLINE to end.
    assert.equal(await at(30, "ONBATT"), "COOLDOWN");
    assert.equal(await at(40, "ONLINE"), "NOTHING_TO_RECOVER");
    // After the cooldown a new outage alerts; its end falls inside the recovery cooldown.
    assert.equal(await at(70, "ONBATT"), "ALERTED");
    assert.equal(await at(80, "ONLINE"), "RECOVERY_COOLDOWN");
    assert.equal(await at(700, "ONBATT"), "ALERTED");
    assert.equal(await at(710, "ONLINE"), "ALERTED");
    assert.deepEqual(received(), [
      "rack-ups:ONBATT",
      "rack-ups:ONLINE",
      "rack-ups:ONBATT",
      "rack-ups:ONBATT",
      "rack-ups:ONLINE",
    ]);
    const statuses = receiver.requests.map((request) => (JSON.parse(request.body) as { status: string }).status);
    assert.deepEqual(statuses, ["firing", "resolved", "firing", "firing", "resolved"]);
  });

  it("each recovery ends its own problems: COMMOK ends COMMBAD, ONLINE ends the battery ones", async () => {
    const settings = config();
    assert.equal(reason(await dispatcher.handleEvent(settings, event("COMMBAD"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONLINE"))), "NOTHING_TO_RECOVER");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("COMMOK"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("LOWBATT"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("ONLINE"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("OVER"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("NOTOVER"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("BYPASS", "desk"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("NOTBYPASS"))), "NOTHING_TO_RECOVER");
    assert.equal(reason(await dispatcher.handleEvent(settings, event("NOTBYPASS", "desk"))), "ALERTED");
  });

  it("recovery notifications off: none sent, and the problem still counts as ended", async () => {
    const quiet = config({ alert_recovery_notifications: false });
    assert.equal(reason(await dispatcher.handleEvent(quiet, event("ONBATT"))), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(quiet, event("ONLINE"))), "DISABLED");
    now = T0 + 600_000;
    assert.equal(reason(await dispatcher.handleEvent(config(), event("ONLINE"))), "NOTHING_TO_RECOVER");
  });

  it("the same event handed over twice alerts once; no provider enabled alerts nobody", async () => {
    const settings = config();
    const once = event("REPLBATT");
    assert.equal(reason(await dispatcher.handleEvent(settings, once)), "ALERTED");
    assert.equal(reason(await dispatcher.handleEvent(settings, once)), "DUPLICATE");
    const none = config({}, [
      { type: "webhook", name: "off", enabled: false, url: receiver.url("/x"), ca: receiver.caPem },
    ]);
    assert.equal(reason(await dispatcher.handleEvent(none, event("OVER"))), "NO_PROVIDER");
    assert.equal(receiver.requests.length, 1);
  });

  it("sendTest: every enabled provider or one by name or type; 409 info without one; 429 info in its cooldown", async () => {
    const two = config({}, [
      { type: "webhook", name: "hook", url: receiver.url("/hook"), ca: receiver.caPem },
      { type: "gotify", name: "gotify", url: receiver.url("/gotify"), token: "tok-1", ca: receiver.caPem },
      { type: "ntfy", name: "off", enabled: false, url: receiver.url("/off"), topic: "t", ca: receiver.caPem },
    ]);
    assert.deepEqual(await dispatcher.sendTest(config({}, [])), {
      outcome: "no_provider",
      message: "no alert provider is enabled",
    });
    assert.equal((await dispatcher.sendTest(two, "off")).outcome, "no_provider");
    assert.equal((await dispatcher.sendTest(two, "nope")).outcome, "no_provider");

    receiver.answer({ status: 200 }, { status: 400, body: "bad token" });
    const first = await dispatcher.sendTest(two);
    assert.equal(first.outcome, "sent");
    assert.ok(first.outcome === "sent");
    assert.equal(first.status, "partial");
    assert.equal(first.results.length, 2);
    assert.deepEqual(receiver.requests.map((request) => request.path).sort(), ["/gotify/message", "/hook"]);

    now = T0 + 15_000;
    assert.deepEqual(await dispatcher.sendTest(two), {
      outcome: "cooldown",
      retry_after_s: 45,
      message: "a test alert was sent less than 60 s ago",
    });
    now = T0 + 60_000;
    receiver.reset();
    const byType = await dispatcher.sendTest(two, "gotify");
    assert.deepEqual(byType, {
      outcome: "sent",
      status: "ok",
      results: [{ provider: "gotify", ok: true, status_code: 200, error: null }],
    });
    const body = JSON.parse(receiver.requests[0]?.body ?? "") as { title: string };
    assert.equal(body.title, "[TEST] Argus test alert");

    now = T0 + 120_000;
    receiver.setDefault({ status: 503 });
    const failed = await dispatcher.sendTest(two, "hook");
    assert.ok(failed.outcome === "sent");
    assert.equal(failed.status, "failed");
    assert.equal(receiver.requests.length, 2, "a test is one attempt: an honest answer now, not after retries");
  });
});
