import { strict as assert } from "node:assert";
import { unreachableSnapshot } from "../../src/model/snapshot";
import { formatRuntime, snapshotStatus } from "../../src/nodes/snapshot-status";
import { snapshotFromNutVars } from "../../src/nut/snapshot";

const TS = new Date("2026-11-27T10:00:00Z");

describe("node status of a snapshot", () => {
  it("is a green dot with status, charge, runtime and power on mains", () => {
    const snapshot = snapshotFromNutVars(
      "u",
      { "ups.status": "OL", "battery.charge": "100", "battery.runtime": "1800", "ups.realpower": "207" },
      TS,
    );
    assert.deepEqual(snapshotStatus(snapshot), { fill: "green", shape: "dot", text: "OL · 100% · 30 min · 207 W" });
  });

  it("is yellow on battery and red on low battery", () => {
    const onBattery = snapshotFromNutVars("u", { "ups.status": "OB DISCHRG", "battery.charge": "80" }, TS);
    assert.deepEqual(snapshotStatus(onBattery), { fill: "yellow", shape: "dot", text: "OB DISCHRG · 80%" });
    const low = snapshotFromNutVars("u", { "ups.status": "OB LB" }, TS);
    assert.equal(snapshotStatus(low).fill, "red");
  });

  it("is a red ring with the reason when unreachable", () => {
    const snapshot = unreachableSnapshot("u", TS, { code: "DATA-STALE", message: "data stale: driver stopped" });
    assert.deepEqual(snapshotStatus(snapshot), { fill: "red", shape: "ring", text: "data stale: driver stopped" });
  });

  it("formats runtimes for people", () => {
    assert.equal(formatRuntime(45), "45 s");
    assert.equal(formatRuntime(1800), "30 min");
    assert.equal(formatRuntime(3 * 3600 + 300), "3 h 5 min");
  });
});
