/** The argus-events node in a Node-RED runtime: its own detector on snapshots, and a server's events. */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import argusEvents from "../../src/nodes/argus-events";
import argusNut from "../../src/nodes/argus-nut";
import argusServer from "../../src/nodes/argus-server";
import type { PowerEvent } from "../../src/model/power-event";
import { unreachableSnapshot } from "../../src/model/snapshot";
import { snapshotFromNutVars } from "../../src/nut/snapshot";
import { catchNode, helper } from "../support/node-red";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { waitFor } from "../support/wait";

interface EventMessage {
  topic: string;
  payload: PowerEvent;
  tag?: string;
}

function collect(id: string): EventMessage[] {
  const messages: EventMessage[] = [];
  helper.getNode(id).on("input", (msg: EventMessage) => messages.push(msg));
  return messages;
}

const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s));
const snapshot = (status: string, s: number, charge = "90") =>
  snapshotFromNutVars("rack", { "ups.status": status, "battery.charge": charge, "battery.runtime": "900" }, at(s));

describe("argus-events node", function () {
  this.timeout(30_000);
  afterEach(() => helper.unload());

  const detectFlow = (props: Record<string, unknown> = {}) => [
    { id: "tab", type: "tab" },
    { id: "events", z: "tab", type: "argus-events", mode: "detect", failureThreshold: "2", wires: [["out"]], ...props },
    { id: "out", z: "tab", type: "helper" },
    { id: "catch", z: "tab", type: "catch", scope: null, uncaught: false, x: 0, y: 0, wires: [["caught"]] },
    { id: "caught", z: "tab", type: "helper" },
  ];

  it("turns snapshots into ONBATT and ONLINE with recovery_of, keeping the message's properties", async () => {
    await helper.load([argusEvents, catchNode], detectFlow());
    const out = collect("out");
    const events = helper.getNode("events");
    events.receive({ payload: snapshot("OL", 0), tag: "a" });
    events.receive({ payload: snapshot("OB DISCHRG", 10), tag: "b" });
    events.receive({ payload: snapshot("OB DISCHRG", 20), tag: "c" });
    events.receive({ payload: snapshot("OL CHRG", 30), tag: "d" });
    await waitFor(() => out.length === 2, { what: "two events" });
    const [onBattery, online] = out;
    assert.equal(onBattery?.payload.type, "ONBATT");
    assert.equal(onBattery?.payload.severity, "warning");
    assert.equal(onBattery?.tag, "b");
    assert.equal(onBattery?.topic, "rack");
    assert.equal(online?.payload.type, "ONLINE");
    assert.equal(online?.payload.recovery_of, onBattery?.payload.id);
  });

  it("raises COMMBAD after the configured failures in a row, and COMMOK after", async () => {
    await helper.load([argusEvents, catchNode], detectFlow());
    const out = collect("out");
    const events = helper.getNode("events");
    const down = (s: number) => unreachableSnapshot("rack", at(s), { code: "TIMEOUT", message: "no answer" });
    for (const payload of [snapshot("OL", 0), down(10), down(20), down(30), snapshot("OL", 40)]) {
      events.receive({ payload });
    }
    await waitFor(() => out.length === 2, { what: "COMMBAD and COMMOK" });
    assert.deepEqual(
      out.map((m) => [m.payload.type, m.payload.ts]),
      [
        ["COMMBAD", at(20).toISOString()],
        ["COMMOK", at(40).toISOString()],
      ],
    );
  });

  it("filters by type and severity", async () => {
    await helper.load([argusEvents, catchNode], detectFlow({ types: "ONLINE,LOWBATT", minSeverity: "critical" }));
    const out = collect("out");
    const events = helper.getNode("events");
    for (const payload of [snapshot("OL", 0), snapshot("OB", 10), snapshot("OB LB", 20, "5"), snapshot("OL", 30)]) {
      events.receive({ payload });
    }
    await waitFor(() => out.length === 1, { what: "LOWBATT" });
    assert.equal(out[0]?.payload.type, "LOWBATT");
    assert.equal(out[0]?.payload.severity, "critical");
  });

  it("sends a message that is not a snapshot to a Catch node", async () => {
    await helper.load([argusEvents, catchNode], detectFlow());
    const caught = collect("caught");
    helper.getNode("events").receive({ payload: { hello: "world" } });
    await waitFor(() => caught.length === 1, { what: "caught" });
    assert.match((caught[0] as unknown as { error: { message: string } }).error.message, /^Error: not a snapshot: /);
  });

  describe("with a server, from a real upsd", () => {
    let upsd: Upsd;
    let dataDir: string;
    before(async () => {
      upsd = await Upsd.start({ upses: [{ name: "rack", vars: SAMPLE_UPS_VARS }] });
      dataDir = await mkdtemp(join(tmpdir(), "argus-events-"));
    });
    after(async () => {
      await upsd?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("sends the events the server detects for its devices", async () => {
      await helper.load(
        [argusServer, argusNut, argusEvents, catchNode],
        [
          { id: "tab", type: "tab" },
          { id: "srv", type: "argus-server", dataDir },
          {
            id: "ups",
            z: "tab",
            type: "argus-nut",
            name: "Rack",
            server: "srv",
            host: upsd.host,
            port: String(upsd.port),
            ups: "rack",
            interval: "0.2",
            wires: [[]],
          },
          { id: "events", z: "tab", type: "argus-events", mode: "server", server: "srv", wires: [["out"]] },
          { id: "out", z: "tab", type: "helper" },
        ],
        { srv: { apiKey: "k".repeat(40) } },
      );
      const out = collect("out");
      await upsd.setVarAsAdmin("rack", "ups.status", "OB DISCHRG");
      await waitFor(() => out.some((m) => m.payload.type === "ONBATT"), { what: "ONBATT from the server" });
      await upsd.setVarAsAdmin("rack", "ups.status", "OL");
      await waitFor(() => out.some((m) => m.payload.type === "ONLINE"), { what: "ONLINE from the server" });
      const onBattery = out.find((m) => m.payload.type === "ONBATT");
      const online = out.find((m) => m.payload.type === "ONLINE");
      assert.equal(online?.payload.recovery_of, onBattery?.payload.id);
      assert.equal(onBattery?.payload.device_id, "rack");
      assert.match(onBattery?.payload.message ?? "", /^Rack is on battery/);
    });
  });
});
