import { strict as assert } from "node:assert";
import {
  DetectorState,
  EVENT_SEVERITY,
  EventDetector,
  EventDetectors,
  RECOVERY_OF,
  isRecovery,
  type EventDetectorOptions,
} from "../../src/engine/detector";
import { formatDuration } from "../../src/engine/detector-messages";
import { DetectorSettings, detectorSettingsFromAlertConfig } from "../../src/engine/detector-settings";
import { AlertConfig } from "../../src/model/alert-config";
import { EVENT_TYPES, PowerEvent, type EventType } from "../../src/model/power-event";
import { unreachableSnapshot, type Snapshot } from "../../src/model/snapshot";
import { snapshotFromNutVars } from "../../src/nut/snapshot";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const DEVICE = "rack-ups";

/** A reachable NUT snapshot `at` seconds after T0; figures default to a healthy UPS on mains. */
function ups(at: number, status: string, vars: Record<string, string> = {}, device = DEVICE): Snapshot {
  return snapshotFromNutVars(
    device,
    { "ups.status": status, "battery.charge": "100", "battery.runtime": "1800", "ups.load": "30", ...vars },
    new Date(T0 + at * 1000),
  );
}

/** A failed poll `at` seconds after T0. */
function down(at: number, device = DEVICE): Snapshot {
  return unreachableSnapshot(device, new Date(T0 + at * 1000), { code: "ETIMEDOUT", message: "no answer in 5 s" });
}

function at(seconds: number): number {
  return T0 + seconds * 1000;
}

function isoAt(seconds: number): string {
  return new Date(at(seconds)).toISOString();
}

/** Event ids e1, e2, ... so tests can name them. */
function counter(): () => string {
  let n = 0;
  return () => `e${++n}`;
}

function detector(settings: EventDetectorOptions["settings"] = {}, extra: Partial<EventDetectorOptions> = {}) {
  return new EventDetector({ deviceId: DEVICE, deviceName: "Rack UPS", settings, newId: counter(), ...extra });
}

/** Feeds every snapshot; returns all the events raised, in order. */
function feed(d: EventDetector, snapshots: Snapshot[]): PowerEvent[] {
  return snapshots.flatMap((snapshot) => d.observe(snapshot));
}

function types(events: PowerEvent[]): EventType[] {
  return events.map((event) => event.type);
}

function only(events: PowerEvent[], type: EventType): PowerEvent {
  const matching = events.filter((event) => event.type === type);
  assert.equal(matching.length, 1, `one ${type} expected in ${types(events).join(",")}`);
  return matching[0] as PowerEvent;
}

/** Through JSON and back, as a store would do it. */
function roundTrip(state: DetectorState): DetectorState {
  return DetectorState.parse(JSON.parse(JSON.stringify(state)));
}

describe("EventDetector", () => {
  describe("on battery and back", () => {
    it("raises nothing for a UPS on mains, on the first poll or after", () => {
      const d = detector();
      assert.deepEqual(feed(d, [ups(0, "OL"), ups(10, "OL CHRG"), ups(20, "OL")]), []);
    });

    it("OB raises ONBATT with the figures; OL raises ONLINE as its recovery", () => {
      const d = detector();
      d.observe(ups(0, "OL"));
      const onbatt = d.observe(ups(10, "OB DISCHRG", { "battery.charge": "87", "battery.runtime": "1500" }));
      assert.deepEqual(types(onbatt), ["ONBATT"]);
      const event = onbatt[0] as PowerEvent;
      assert.equal(event.message, "Rack UPS is on battery (87%, 25 min left)");
      assert.equal(event.severity, "warning");
      assert.equal(event.ts, isoAt(10));
      assert.equal(event.snapshot?.ts, isoAt(10));
      assert.equal(event.recovery_of, null);

      assert.deepEqual(d.observe(ups(20, "OB DISCHRG")), [], "still on battery: no second ONBATT");
      const online = d.observe(ups(250, "OL CHRG", { "battery.charge": "72" }));
      assert.deepEqual(types(online), ["ONLINE"]);
      assert.equal(online[0]?.recovery_of, event.id);
      assert.equal(online[0]?.severity, "info");
      assert.equal(online[0]?.message, "Rack UPS is back on mains power after 4 min on battery (battery 72%)");
      assert.deepEqual(d.observe(ups(260, "OL")), [], "ONLINE once");
    });

    it("raises ONBATT on the first poll after start (as upsmon does), never ONLINE there", () => {
      const first = detector();
      assert.deepEqual(types(first.observe(ups(0, "OB"))), ["ONBATT"]);
      const second = detector();
      assert.deepEqual(second.observe(ups(0, "OL")), []);
    });

    it("treats OL DISCHRG as on mains: no ONBATT, no ONLINE", () => {
      const d = detector();
      const events = feed(d, [ups(0, "OL"), ups(10, "OL DISCHRG"), ups(20, "OL DISCHRG"), ups(30, "OL CHRG")]);
      assert.deepEqual(events, []);
      assert.equal(d.outage, "none");
    });

    it("takes a status that says nothing (WAIT, empty) for no change, and OFF as neither on battery nor on mains", () => {
      const d = detector();
      assert.deepEqual(types(d.observe(ups(0, "OB LB"))), ["ONBATT", "LOWBATT"]);
      assert.deepEqual(feed(d, [ups(10, "WAIT"), ups(20, ""), ups(30, "OB LB")]), [], "LB was not cleared by WAIT");
      assert.deepEqual(feed(d, [ups(40, "OFF"), ups(50, "OB")]), [], "OFF did not end the outage");
      assert.deepEqual(types(d.observe(ups(60, "OL CHRG"))), ["ONLINE"]);
      assert.deepEqual(feed(detector(), [ups(0, "OL"), ups(10, "OFF"), ups(20, "WAIT")]), []);
    });

    it("keeps the outage open while the UPS is unreachable, and ends it with COMMOK then ONLINE", () => {
      const d = detector({ failure_threshold: 2 });
      const onbatt = only(d.observe(ups(0, "OB")), "ONBATT");
      const events = feed(d, [down(10), down(20), down(30), ups(40, "OL")]);
      assert.deepEqual(types(events), ["COMMBAD", "COMMOK", "ONLINE"]);
      assert.equal(events[2]?.recovery_of, onbatt.id);
      assert.equal(events[1]?.recovery_of, events[0]?.id);
    });
  });

  describe("debounce (on_battery_delay_s)", () => {
    it("an outage shorter than the delay raises nothing at all", () => {
      const d = detector({ on_battery_delay_s: 30 });
      const events = feed(d, [ups(0, "OL"), ups(5, "OB"), ups(15, "OB"), ups(25, "OB"), ups(34, "OL")]);
      assert.deepEqual(d.tick(at(34.5)), []);
      assert.deepEqual(events, []);
      assert.deepEqual(d.tick(at(3600)), [], "the cancelled timer never fires");
      assert.equal(d.outage, "none");
    });

    it("OL seen exactly at the deadline cancels the held ONBATT", () => {
      const d = detector({ on_battery_delay_s: 30 });
      assert.deepEqual(feed(d, [ups(0, "OB"), ups(30, "OL")]), []);
    });

    it("a long outage raises ONBATT by tick when the delay runs out, and ONLINE at its end", () => {
      const d = detector({ on_battery_delay_s: 30 });
      assert.deepEqual(feed(d, [ups(0, "OL"), ups(10, "OB", { "battery.charge": "95" }), ups(20, "OB")]), []);
      assert.equal(d.outage, "held");
      assert.equal(d.nextDueAt(), at(40));
      assert.deepEqual(d.tick(at(39.999)), []);
      const fired = d.tick(at(41));
      assert.deepEqual(types(fired), ["ONBATT"]);
      assert.equal(fired[0]?.ts, isoAt(40), "stamped when it came due");
      assert.equal(fired[0]?.snapshot?.ts, isoAt(20), "with the last snapshot seen");
      assert.equal(d.outage, "confirmed");
      assert.deepEqual(d.tick(at(100)), [], "once");
      assert.deepEqual(d.observe(ups(50, "OB")), []);
      const online = d.observe(ups(60, "OL"));
      assert.deepEqual(types(online), ["ONLINE"]);
      assert.equal(online[0]?.recovery_of, fired[0]?.id);
      assert.equal(online[0]?.message, "Rack UPS is back on mains power after 50 s on battery (battery 100%)");
    });

    it("a long outage raises ONBATT on the first OB snapshot at or past the delay, with its figures", () => {
      const d = detector({ on_battery_delay_s: 30 });
      assert.deepEqual(feed(d, [ups(0, "OB"), ups(20, "OB")]), []);
      const events = d.observe(ups(30, "OB", { "battery.charge": "90" }));
      assert.deepEqual(types(events), ["ONBATT"]);
      assert.equal(events[0]?.ts, isoAt(30));
      assert.match(events[0]?.message ?? "", /\(90%/);
    });

    it("an OL snapshot after the deadline without a tick in between raises ONBATT (at the deadline) then ONLINE", () => {
      const d = detector({ on_battery_delay_s: 30 });
      d.observe(ups(0, "OB"));
      const events = d.observe(ups(60, "OL"));
      assert.deepEqual(types(events), ["ONBATT", "ONLINE"]);
      assert.equal(events[0]?.ts, isoAt(30));
      assert.equal(events[1]?.ts, isoAt(60));
      assert.equal(events[1]?.recovery_of, events[0]?.id);
    });

    it("an ONLINE from a poll that started before the tick's ONBATT is not stamped before it", () => {
      const d = detector({ on_battery_delay_s: 30 });
      d.observe(ups(0, "OB"));
      const onbatt = d.tick(at(31));
      assert.deepEqual(types(onbatt), ["ONBATT"]);
      // a poll started at 29.9 s answers after the tick: ts 29.9 is newer than the last snapshot (0)
      const online = d.observe(ups(29.9, "OL"));
      assert.deepEqual(types(online), ["ONLINE"]);
      assert.equal(online[0]?.ts, isoAt(30));
    });

    it("releases a held ONBATT at once when the battery runs out during the delay", () => {
      const d = detector({ on_battery_delay_s: 300 });
      assert.deepEqual(d.observe(ups(0, "OB")), []);
      const events = d.observe(ups(10, "OB LB", { "battery.charge": "8" }));
      assert.deepEqual(types(events), ["ONBATT", "LOWBATT"]);
      assert.equal(events[0]?.severity, "critical");
      const fsd = detector({ on_battery_delay_s: 300 });
      assert.deepEqual(types(fsd.observe(ups(0, "FSD OB"))), ["ONBATT", "FSD"]);
    });

    it("keeps the timer running while the UPS does not answer (only OL cancels it)", () => {
      const d = detector({ on_battery_delay_s: 30, failure_threshold: 5 });
      d.observe(ups(0, "OB", { "battery.charge": "97" }));
      assert.deepEqual(feed(d, [down(10), down(20)]), []);
      const events = d.tick(at(30));
      assert.deepEqual(types(events), ["ONBATT"]);
      assert.equal(events[0]?.message, "Rack UPS is on battery (97%, 30 min left) and has stopped answering");
    });

    it("a new delay applies to a held ONBATT at once", () => {
      const d = detector({ on_battery_delay_s: 600 });
      d.observe(ups(0, "OB"));
      assert.deepEqual(d.tick(at(60)), []);
      d.configure({ on_battery_delay_s: 30 });
      assert.deepEqual(types(d.tick(at(61))), ["ONBATT"]);
    });
  });

  describe("flapping", () => {
    it("with a delay, OB/OL alternating every poll raises nothing", () => {
      const d = detector({ on_battery_delay_s: 30 });
      const events: PowerEvent[] = [];
      for (let i = 0; i < 120; i++) {
        events.push(...d.observe(ups(i * 5, i % 2 === 0 ? "OB" : "OL")));
        events.push(...d.tick(at(i * 5 + 2)));
      }
      assert.deepEqual(events, []);
    });

    it("without a delay, one ONBATT/ONLINE pair per real transition, each ONLINE ending its ONBATT", () => {
      const d = detector();
      const snapshots: Snapshot[] = [];
      for (let i = 0; i < 20; i++) snapshots.push(ups(i, i % 2 === 0 ? "OB" : "OL"));
      const events = feed(d, snapshots);
      assert.equal(events.length, 20);
      for (let i = 0; i < 20; i += 2) {
        assert.equal(events[i]?.type, "ONBATT");
        assert.equal(events[i + 1]?.type, "ONLINE");
        assert.equal(events[i + 1]?.recovery_of, events[i]?.id);
      }
    });

    it("COMMBAD/COMMOK flapping under the threshold raises nothing", () => {
      const d = detector({ failure_threshold: 3 });
      const snapshots: Snapshot[] = [];
      for (let i = 0; i < 100; i++) snapshots.push(i % 3 === 2 ? ups(i, "OL") : down(i));
      assert.deepEqual(feed(d, snapshots), []);
    });
  });

  describe("status tokens", () => {
    it("LOWBATT when LB appears, once while it stays, again after it went; critical", () => {
      const d = detector();
      const events = feed(d, [
        ups(0, "OB"),
        ups(10, "OB LB", { "battery.charge": "9", "battery.runtime": "90" }),
        ups(20, "OB LB"),
        ups(30, "OL CHRG"),
        ups(40, "OB LB"),
      ]);
      assert.deepEqual(types(events), ["ONBATT", "LOWBATT", "ONLINE", "ONBATT", "LOWBATT"]);
      const low = events[1] as PowerEvent;
      assert.equal(low.severity, "critical");
      assert.equal(low.message, "Rack UPS is on battery and its battery is low (9%, 90 s left)");
      assert.equal(events[3]?.severity, "critical", "ONBATT with LB is critical");
      assert.equal(events[0]?.severity, "warning");
    });

    it("LOWBATT on mains says so", () => {
      const d = detector();
      assert.equal(
        only(d.observe(ups(0, "OL LB CHRG", { "battery.charge": "15" })), "LOWBATT").message,
        "Rack UPS reports a low battery (15%, 30 min left)",
      );
    });

    it("FSD when it appears, critical, once", () => {
      const d = detector();
      const events = feed(d, [ups(0, "OB LB"), ups(10, "FSD OB LB"), ups(20, "FSD OB LB")]);
      assert.deepEqual(types(events), ["ONBATT", "LOWBATT", "FSD"]);
      assert.equal(events[2]?.severity, "critical");
      assert.match(events[2]?.message ?? "", /^Rack UPS is in forced shutdown/);
    });

    it("OVER then NOTOVER with recovery_of and the load", () => {
      const d = detector();
      const events = feed(d, [
        ups(0, "OL"),
        ups(10, "OL OVER", { "ups.load": "112" }),
        ups(20, "OL OVER", { "ups.load": "115" }),
        ups(30, "OL", { "ups.load": "80" }),
      ]);
      assert.deepEqual(types(events), ["OVER", "NOTOVER"]);
      assert.equal(events[0]?.severity, "warning");
      assert.equal(events[0]?.message, "Rack UPS is overloaded (load 112%)");
      assert.equal(events[1]?.severity, "info");
      assert.equal(events[1]?.recovery_of, events[0]?.id);
      assert.equal(events[1]?.message, "Rack UPS is no longer overloaded (load 80%)");
    });

    it("BYPASS then NOTBYPASS with recovery_of", () => {
      const d = detector();
      const events = feed(d, [ups(0, "OL BYPASS"), ups(10, "OL BYPASS"), ups(20, "OL")]);
      assert.deepEqual(types(events), ["BYPASS", "NOTBYPASS"]);
      assert.equal(events[0]?.severity, "warning");
      assert.equal(events[1]?.recovery_of, events[0]?.id);
      assert.equal(events[1]?.severity, "info");
    });

    it("no recovery on the first poll: nothing was there to end", () => {
      const d = detector();
      assert.deepEqual(d.observe(ups(0, "OL")), []);
    });
  });

  describe("REPLBATT", () => {
    it("when RB appears, repeated every replbatt_repeat_s by snapshot while RB stays", () => {
      const d = detector({ replbatt_repeat_s: 3600 });
      const events: PowerEvent[] = [];
      for (let t = 0; t <= 7200; t += 60) events.push(...d.observe(ups(t, "OL RB")));
      assert.deepEqual(types(events), ["REPLBATT", "REPLBATT", "REPLBATT"]);
      assert.deepEqual(
        events.map((event) => event.ts),
        [isoAt(0), isoAt(3600), isoAt(7200)],
      );
      assert.equal(events[0]?.severity, "warning");
      assert.equal(events[0]?.message, "Rack UPS battery needs replacing");
    });

    it("repeats by tick (default 12 h) without a new snapshot, but not while the UPS does not answer", () => {
      const d = detector();
      d.observe(ups(0, "OL RB"));
      assert.equal(d.nextDueAt(), at(43_200));
      assert.deepEqual(d.tick(at(43_199)), []);
      const repeated = d.tick(at(43_200));
      assert.deepEqual(types(repeated), ["REPLBATT"]);
      assert.equal(repeated[0]?.ts, isoAt(43_200));
      assert.deepEqual(d.observe(ups(43_210, "OL RB")), [], "the repeat restarted the interval");
      d.observe(down(43_220));
      assert.deepEqual(d.tick(at(200_000)), []);
      assert.equal(d.nextDueAt(), null);
    });

    it("anew when RB goes and comes back; once only with replbatt_repeat_s 0", () => {
      const d = detector({ replbatt_repeat_s: 0 });
      const events = feed(d, [ups(0, "OL RB"), ups(100_000, "OL RB"), ups(100_010, "OL"), ups(100_020, "OL RB")]);
      assert.deepEqual(d.tick(at(10_000_000)), []);
      assert.deepEqual(
        events.map((event) => event.ts),
        [isoAt(0), isoAt(100_020)],
      );
    });
  });

  describe("COMMBAD and COMMOK", () => {
    it("COMMBAD on the failure_threshold-th failure in a row, once; COMMOK on the first good poll, once", () => {
      const d = detector({ failure_threshold: 3 });
      assert.deepEqual(feed(d, [ups(0, "OL"), down(10), down(20)]), []);
      const bad = d.observe(down(30));
      assert.deepEqual(types(bad), ["COMMBAD"]);
      assert.equal(bad[0]?.severity, "warning");
      assert.equal(bad[0]?.ts, isoAt(30));
      assert.equal(bad[0]?.message, "Rack UPS is not answering (3 polls failed in a row: no answer in 5 s)");
      assert.equal(d.commBad, true);
      assert.deepEqual(feed(d, [down(40), down(50)]), []);
      const ok = d.observe(ups(130, "OL"));
      assert.deepEqual(types(ok), ["COMMOK"]);
      assert.equal(ok[0]?.severity, "info");
      assert.equal(ok[0]?.recovery_of, bad[0]?.id);
      assert.equal(ok[0]?.message, "Rack UPS is answering again after 2 min");
      assert.deepEqual(d.observe(ups(140, "OL")), []);
    });

    it("failures that do not reach the threshold in a row raise nothing", () => {
      const d = detector({ failure_threshold: 3 });
      assert.deepEqual(feed(d, [down(0), down(10), ups(20, "OL"), down(30), down(40), ups(50, "OL")]), []);
    });

    it("counts from the first poll after start; a threshold of 1 raises COMMBAD at the first failure", () => {
      const d = detector({ failure_threshold: 1 });
      const events = d.observe(down(0));
      assert.deepEqual(types(events), ["COMMBAD"]);
      assert.match(events[0]?.message ?? "", /\(1 poll failed: /);
    });

    it("COMMBAD is critical when the UPS was last seen on battery", () => {
      const d = detector({ failure_threshold: 2 });
      d.observe(ups(0, "OB"));
      const events = feed(d, [down(10), down(20)]);
      assert.equal(only(events, "COMMBAD").severity, "critical");
      assert.match(events[0]?.message ?? "", /last seen on battery$/);
    });
  });

  describe("thresholds with hysteresis", () => {
    it("CHARGE_LOW at or below the threshold on battery, re-armed only above threshold + hysteresis", () => {
      const d = detector({ charge_low_pct: 50 });
      const charge = (t: number, pct: number) => ups(t, "OB DISCHRG", { "battery.charge": String(pct) });
      const events = feed(d, [charge(0, 60), charge(10, 51), charge(20, 50)]);
      assert.deepEqual(types(events), ["ONBATT", "CHARGE_LOW"]);
      assert.equal(events[1]?.message, "Rack UPS battery charge is down to 50% (alert at 50%)");
      assert.equal(events[1]?.severity, "warning");
      assert.deepEqual(feed(d, [charge(30, 49), charge(40, 54), charge(50, 48)]), [], "54 < 55: still latched");
      assert.deepEqual(d.observe(charge(60, 55)), [], "re-armed, above the threshold");
      assert.deepEqual(types(d.observe(charge(70, 50))), ["CHARGE_LOW"]);
    });

    it("is not evaluated on mains, and the end of an outage re-arms it", () => {
      const d = detector({ charge_low_pct: 50 });
      assert.deepEqual(d.observe(ups(0, "OL CHRG", { "battery.charge": "20" })), []);
      const first = feed(d, [
        ups(10, "OB", { "battery.charge": "45" }),
        ups(20, "OL CHRG", { "battery.charge": "46" }),
      ]);
      assert.deepEqual(types(first), ["ONBATT", "CHARGE_LOW", "ONLINE"]);
      assert.deepEqual(types(d.observe(ups(30, "OB", { "battery.charge": "46" }))), ["ONBATT", "CHARGE_LOW"]);
    });

    it("ignores a charge the UPS does not report", () => {
      const d = detector({ charge_low_pct: 50 });
      assert.deepEqual(types(d.observe(snapshotFromNutVars(DEVICE, { "ups.status": "OB" }, new Date(T0)))), ["ONBATT"]);
    });

    it("RUNTIME_LOW with the default hysteresis: the larger of 60 s and 20% of the threshold", () => {
      const small = detector({ runtime_low_s: 120 });
      const rt = (t: number, s: number) => ups(t, "OB", { "battery.runtime": String(s) });
      const events = feed(small, [rt(0, 200), rt(10, 120)]);
      assert.deepEqual(types(events), ["ONBATT", "RUNTIME_LOW"]);
      assert.equal(events[1]?.message, "Rack UPS battery runtime is down to 2 min (alert at 2 min)");
      assert.deepEqual(feed(small, [rt(20, 179), rt(30, 100)]), [], "179 < 120 + 60");
      assert.deepEqual(feed(small, [rt(40, 180)]), []);
      assert.deepEqual(types(small.observe(rt(50, 110))), ["RUNTIME_LOW"]);

      const large = detector({ runtime_low_s: 600 });
      assert.deepEqual(types(feed(large, [rt(0, 600)])), ["ONBATT", "RUNTIME_LOW"]);
      assert.deepEqual(feed(large, [rt(10, 700), rt(20, 590)]), [], "700 < 600 + 120");
      assert.deepEqual(feed(large, [rt(30, 720)]), []);
      assert.deepEqual(types(large.observe(rt(40, 590))), ["RUNTIME_LOW"]);
    });

    it("an explicit runtime hysteresis is used as given", () => {
      const d = detector({ runtime_low_s: 600, runtime_hysteresis_s: 10 });
      const rt = (t: number, s: number) => ups(t, "OB", { "battery.runtime": String(s) });
      assert.deepEqual(types(feed(d, [rt(0, 600), rt(10, 610), rt(20, 600)])), [
        "ONBATT",
        "RUNTIME_LOW",
        "RUNTIME_LOW",
      ]);
    });

    it("a threshold crossed during the delay releases the held ONBATT first", () => {
      const d = detector({ on_battery_delay_s: 120, charge_low_pct: 50 });
      assert.deepEqual(d.observe(ups(0, "OB", { "battery.charge": "60" })), []);
      assert.deepEqual(types(d.observe(ups(10, "OB", { "battery.charge": "40" }))), ["ONBATT", "CHARGE_LOW"]);
    });
  });

  describe("restart (state through JSON)", () => {
    it("mid-outage: no second ONBATT, and the ONLINE ends the original ONBATT", () => {
      const before = detector();
      const onbatt = only(before.observe(ups(0, "OB")), "ONBATT");
      before.observe(ups(10, "OB"));
      const state = roundTrip(before.state());
      assert.deepEqual(state.outage, { since: isoAt(0), onbatt: { id: onbatt.id, ts: isoAt(0) } });

      const after = detector({}, { state, newId: () => "after" });
      assert.deepEqual(after.observe(ups(70, "OB")), [], "the restart is not a new outage");
      const online = after.observe(ups(80, "OL"));
      assert.deepEqual(types(online), ["ONLINE"]);
      assert.equal(online[0]?.recovery_of, onbatt.id);
      assert.match(online[0]?.message ?? "", /after 80 s on battery/);
    });

    it("mid-outage, power back during the restart: the first snapshot gives the ONLINE, a fresh detector nothing", () => {
      const before = detector();
      const onbatt = only(before.observe(ups(0, "OB")), "ONBATT");
      const restored = detector({}, { state: roundTrip(before.state()) });
      const online = restored.observe(ups(60, "OL"));
      assert.deepEqual(types(online), ["ONLINE"]);
      assert.equal(online[0]?.recovery_of, onbatt.id);
      assert.deepEqual(detector().observe(ups(60, "OL")), []);
    });

    it("with ONBATT held by the debounce: it fires once, at the original deadline", () => {
      const before = detector({ on_battery_delay_s: 60 });
      before.observe(ups(0, "OB"));
      const after = detector({ on_battery_delay_s: 60 }, { state: roundTrip(before.state()) });
      assert.equal(after.outage, "held");
      const fired = after.tick(at(90));
      assert.deepEqual(types(fired), ["ONBATT"]);
      assert.equal(fired[0]?.ts, isoAt(60));
      assert.equal(fired[0]?.snapshot, null, "the snapshot before the restart is not kept");
      assert.deepEqual(after.observe(ups(100, "OB")), []);
      assert.equal(after.observe(ups(110, "OL"))[0]?.recovery_of, fired[0]?.id);
    });

    it("keeps COMMBAD, OVER, BYPASS, LB, RB, thresholds and the failure count", () => {
      const before = detector({ failure_threshold: 2, charge_low_pct: 50 });
      const opened = feed(before, [ups(0, "OB LB OVER BYPASS RB", { "battery.charge": "30" }), down(10), down(20)]);
      assert.deepEqual(types(opened), ["ONBATT", "LOWBATT", "CHARGE_LOW", "OVER", "BYPASS", "REPLBATT", "COMMBAD"]);
      const after = detector({ failure_threshold: 2, charge_low_pct: 50 }, { state: roundTrip(before.state()) });
      const events = after.observe(ups(30, "OB LB RB", { "battery.charge": "25" }));
      assert.deepEqual(types(events), ["COMMOK", "NOTOVER", "NOTBYPASS"]);
      assert.equal(events[0]?.recovery_of, only(opened, "COMMBAD").id);
      assert.equal(events[1]?.recovery_of, only(opened, "OVER").id);
      assert.equal(events[2]?.recovery_of, only(opened, "BYPASS").id);

      const counting = detector({ failure_threshold: 3 });
      feed(counting, [down(0), down(10)]);
      const resumed = detector({ failure_threshold: 3 }, { state: roundTrip(counting.state()) });
      assert.deepEqual(types(resumed.observe(down(20))), ["COMMBAD"]);
    });

    it("ignores snapshots older than the last one, across a restart too", () => {
      const d = detector();
      d.observe(ups(100, "OL"));
      assert.deepEqual(d.observe(ups(50, "OB")), []);
      const after = detector({}, { state: roundTrip(d.state()) });
      assert.deepEqual(after.observe(ups(99, "OB")), []);
      assert.deepEqual(types(after.observe(ups(100, "OB"))), ["ONBATT"]);
    });

    it("refuses the state of another device, or one that is not a state", () => {
      const other = new EventDetector({ deviceId: "other" }).state();
      assert.throws(() => detector({}, { state: other }), /the state of other given to the detector of rack-ups/);
      assert.throws(() => detector({}, { state: { version: 2 } as unknown as DetectorState }));
    });

    it("a fresh detector's state is valid and empty", () => {
      const state = DetectorState.parse(detector().state());
      assert.equal(state.outage, null);
      assert.equal(state.last_ts, null);
      assert.equal(state.failures, 0);
    });
  });

  describe("events", () => {
    it("every type: valid PowerEvents, the severity of the table, recoveries linked to what they end", () => {
      const d = new EventDetector({
        deviceId: DEVICE,
        settings: { failure_threshold: 1, charge_low_pct: 50, runtime_low_s: 300 },
      });
      const events = feed(d, [
        ups(0, "OL OVER BYPASS RB"),
        ups(10, "OL"),
        ups(20, "OB", { "battery.charge": "60" }),
        ups(30, "OB", { "battery.charge": "40", "battery.runtime": "200" }),
        ups(40, "FSD OB LB"),
        ups(50, "OL"),
        down(60),
        ups(70, "OL"),
      ]);
      assert.deepEqual([...new Set(types(events))].sort(), [...EVENT_TYPES].sort());
      const byId = new Map(events.map((event) => [event.id, event]));
      for (const event of events) {
        PowerEvent.parse(event);
        assert.equal(event.device_id, DEVICE);
        assert.equal(event.ts, event.snapshot?.ts);
        assert.equal(
          event.severity,
          event.type === "LOWBATT" || event.type === "FSD" ? "critical" : EVENT_SEVERITY[event.type],
        );
        if (isRecovery(event.type)) {
          assert.equal(byId.get(event.recovery_of ?? "")?.type, RECOVERY_OF[event.type], `${event.type} recovery_of`);
        } else {
          assert.equal(event.recovery_of, null);
        }
        assert.match(event.message, /^rack-ups /, "the device id stands in for a missing name");
      }
      assert.equal(new Set(events.map((event) => event.id)).size, events.length, "ids are unique");
      assert.match(events[0]?.id ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it("refuses a snapshot of another device and a device id that is not one", () => {
      const d = detector();
      assert.throws(
        () => d.observe(ups(0, "OB", {}, "other")),
        /a snapshot of other given to the detector of rack-ups/,
      );
      assert.throws(() => new EventDetector({ deviceId: "Not An Id" }));
    });

    it("formats durations for people", () => {
      assert.deepEqual([45, 119, 120, 1500, 3600, 3900, 86_400 * 3 + 3600].map(formatDuration), [
        "45 s",
        "119 s",
        "2 min",
        "25 min",
        "1 h",
        "1 h 5 min",
        "3 d 1 h",
      ]);
    });
  });
});

describe("EventDetectors", () => {
  it("keeps one detector per device, named by nameOf, and restores them all", () => {
    const names: Record<string, string> = { a: "Office UPS" };
    const detectors = new EventDetectors({
      settings: { on_battery_delay_s: 30 },
      nameOf: (id) => names[id],
      newId: counter(),
    });
    assert.deepEqual(detectors.observe(ups(0, "OB", {}, "a")), []);
    assert.deepEqual(detectors.observe(ups(0, "OL", {}, "b")), []);
    assert.equal(detectors.nextDueAt(), at(30));
    const fired = detectors.tick(at(30));
    assert.deepEqual(types(fired), ["ONBATT"]);
    assert.equal(fired[0]?.device_id, "a");
    assert.match(fired[0]?.message ?? "", /^Office UPS is on battery/);
    assert.deepEqual(types(detectors.observe(ups(40, "OB", {}, "b"))), [], "b's own delay");

    const states = JSON.parse(JSON.stringify(detectors.state())) as Record<string, DetectorState>;
    assert.deepEqual(Object.keys(states).sort(), ["a", "b"]);
    const restored = new EventDetectors({ settings: { on_battery_delay_s: 30 }, states });
    const online = restored.observe(ups(50, "OL", {}, "a"));
    assert.equal(online[0]?.recovery_of, fired[0]?.id);
    assert.deepEqual(types(restored.tick(at(70))), ["ONBATT"], "b's held ONBATT survived the restart");
    assert.equal(restored.delete("a"), true);
    assert.equal(restored.get("a"), undefined);
  });

  it("applies new settings to every detector", () => {
    const detectors = new EventDetectors();
    detectors.observe(ups(0, "OL", {}, "a"));
    detectors.configure({ failure_threshold: 1 });
    assert.equal(detectors.get("a")?.settings.failure_threshold, 1);
    assert.deepEqual(types(detectors.observe(down(10, "a"))), ["COMMBAD"]);
  });
});

describe("DetectorSettings", () => {
  it("defaults as upsmon: threshold 3, no delay, REPLBATT every 12 h, thresholds off", () => {
    assert.deepEqual(DetectorSettings.parse({}), {
      failure_threshold: 3,
      on_battery_delay_s: 0,
      replbatt_repeat_s: 43_200,
      charge_low_pct: null,
      charge_hysteresis_pct: 5,
      runtime_low_s: null,
      runtime_hysteresis_s: null,
    });
  });

  it("refuses nonsense: a zero threshold, a REPLBATT storm, unknown fields", () => {
    assert.equal(DetectorSettings.safeParse({ failure_threshold: 0 }).success, false);
    assert.equal(DetectorSettings.safeParse({ replbatt_repeat_s: 5 }).success, false);
    assert.equal(DetectorSettings.safeParse({ replbatt_repeat_s: 0 }).success, true);
    assert.equal(DetectorSettings.safeParse({ charge_low_pct: 150 }).success, false);
    assert.equal(DetectorSettings.safeParse({ on_battery_delay: 30 }).success, false);
  });

  it("takes failure_threshold and on_battery_delay_s from the alert configuration", () => {
    const config = AlertConfig.parse({ failure_threshold: 5, on_battery_delay_s: 45 });
    const settings = detectorSettingsFromAlertConfig(config, { charge_low_pct: 40 });
    assert.equal(settings.failure_threshold, 5);
    assert.equal(settings.on_battery_delay_s, 45);
    assert.equal(settings.charge_low_pct, 40);
  });
});
