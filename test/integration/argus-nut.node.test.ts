/** The argus-nut node in a Node-RED runtime (node-red-node-test-helper), polling a real upsd. */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import argusNut from "../../src/nodes/argus-nut";
import argusServer from "../../src/nodes/argus-server";
import type { Snapshot } from "../../src/model/snapshot";
import { NutSimulator } from "../../tools/nut-simulator";
import { catchNode, helper, type StatusCall } from "../support/node-red";
import { SAMPLE_UPS_VARS, Upsd } from "../support/upsd";
import { freePort, waitFor } from "../support/wait";

interface Message {
  topic?: string;
  payload: Snapshot & { ok?: boolean; reply?: string; command?: string };
  [key: string]: unknown;
}

/** Collects what a helper node receives, and what a node's status() was called with. */
function collect(nodeId: string): Message[] {
  const messages: Message[] = [];
  helper.getNode(nodeId).on("input", (msg: Message) => messages.push(msg));
  return messages;
}

function statuses(nodeId: string): StatusCall[] {
  const calls: StatusCall[] = [];
  helper.getNode(nodeId).on("call:status", (call: { args: [StatusCall] }) => calls.push(call.args[0]));
  return calls;
}

describe("argus-nut node in Node-RED", function () {
  this.timeout(30_000);
  let upsd: Upsd;

  before(async () => {
    upsd = await Upsd.start({ upses: [{ name: "rack", desc: "Rack", vars: SAMPLE_UPS_VARS }] });
  });
  after(async () => upsd?.stop());
  afterEach(async () => {
    await helper.unload();
    delete process.env.NUT_HOST;
    delete process.env.NUT_PORT;
    delete process.env.NUT_UPS_NAME;
  });

  const flow = (props: Record<string, unknown> = {}) => [
    { id: "f1", type: "tab" },
    {
      id: "ups",
      z: "f1",
      type: "argus-nut",
      name: "Rack UPS",
      host: upsd.host,
      port: String(upsd.port),
      ups: "rack",
      interval: "10",
      tls: "off",
      output: "always",
      wires: [["out"]],
      ...props,
    },
    { id: "out", z: "f1", type: "helper" },
    { id: "catch", z: "f1", type: "catch", scope: null, uncaught: false, x: 0, y: 0, wires: [["caught"]] },
    { id: "caught", z: "f1", type: "helper" },
  ];

  it("sends a snapshot per poll with the device id as topic, and shows it in the status", async () => {
    await helper.load([argusNut, catchNode], flow());
    const messages = collect("out");
    const status = statuses("ups");
    await waitFor(() => messages.length >= 1, { what: "first snapshot" });
    const [first] = messages;
    assert.equal(first?.topic, "rack-ups");
    assert.equal(first?.payload.device_id, "rack-ups");
    assert.equal(first?.payload.reachable, true);
    assert.deepEqual(first?.payload.vars, await upsd.upsc("rack"));
    await waitFor(() => status.some((s) => s.fill === "green"), { what: "green status" });
    assert.deepEqual(status.at(-1), { fill: "green", shape: "dot", text: "OL · 100% · 30 min · 207 W" });
  });

  it("polls now on any input and keeps the message's other properties", async () => {
    await helper.load([argusNut, catchNode], flow({ interval: "3600" }));
    const messages = collect("out");
    await waitFor(() => messages.length === 1, { what: "first snapshot" });
    await upsd.setVarAsAdmin("rack", "ups.status", "OB DISCHRG");
    helper.getNode("ups").receive({ payload: "now", correlation: 42 });
    await waitFor(() => messages.length === 2, { what: "snapshot on input" });
    assert.equal(messages[1]?.correlation, 42);
    assert.equal(messages[1]?.payload.status.on_battery, true);
    await upsd.writeVars("rack", { "ups.status": "OL" });
  });

  it("sends only changed snapshots in 'change' mode", async () => {
    await helper.load([argusNut, catchNode], flow({ interval: "0.05", output: "change" }));
    const messages = collect("out");
    const status = statuses("ups");
    await waitFor(() => status.length >= 6, { what: "five polls" });
    assert.equal(messages.length, 1, "unchanged polls send nothing");
    await upsd.setVarAsAdmin("rack", "battery.charge", "99");
    await waitFor(() => messages.length === 2, { what: "the changed snapshot" });
    assert.equal(messages[1]?.payload.battery_charge_pct, 99);
    await upsd.writeVars("rack", { "battery.charge": "100" });
  });

  it("runs an instant command with the node's credentials and sends the result", async () => {
    const credentials = { ups: { username: upsd.users.admin.username, password: upsd.users.admin.password } };
    await helper.load([argusNut, catchNode], flow({ interval: "3600" }), credentials);
    const messages = collect("out");
    await waitFor(() => messages.length === 1, { what: "first snapshot" });
    helper.getNode("ups").receive({ payload: { command: "instcmd", name: "load.off" } });
    await waitFor(() => messages.length === 2, { what: "command result" });
    assert.deepEqual(messages[1]?.payload, {
      device_id: "rack-ups",
      command: "instcmd",
      name: "load.off",
      ok: true,
      reply: "OK",
    });
  });

  it("sends a refused command to a Catch node with the reason", async () => {
    const credentials = { ups: { username: upsd.users.nobody.username, password: upsd.users.nobody.password } };
    await helper.load([argusNut, catchNode], flow({ interval: "3600" }), credentials);
    const caught = collect("caught");
    helper.getNode("ups").receive({ payload: { command: "set", variable: "ups.delay.shutdown", value: 30 } });
    await waitFor(() => caught.length === 1, { what: "caught error" });
    const error = caught[0]?.error as { message: string; source: { id: string } };
    assert.match(error.message, /^NutError: access denied: wrong username or password/);
    assert.equal(error.source.id, "ups");
  });

  it("sends an invalid command to a Catch node naming the field", async () => {
    await helper.load([argusNut, catchNode], flow({ interval: "3600" }));
    const caught = collect("caught");
    helper.getNode("ups").receive({ payload: { command: "instcmd" } });
    await waitFor(() => caught.length === 1, { what: "caught error" });
    assert.match((caught[0]?.error as { message: string }).message, /name: /);
  });

  it("falls back to NUT_HOST, NUT_PORT and NUT_UPS_NAME for empty fields", async () => {
    process.env.NUT_HOST = upsd.host;
    process.env.NUT_PORT = String(upsd.port);
    process.env.NUT_UPS_NAME = "rack";
    await helper.load([argusNut, catchNode], flow({ name: "", host: "", port: "", ups: "" }));
    const messages = collect("out");
    await waitFor(() => messages.length === 1, { what: "snapshot" });
    assert.equal(messages[0]?.payload.reachable, true);
    assert.equal(messages[0]?.topic, "rack-127-0-0-1");
  });

  it("reads host, port and UPS name from environment variables the editor's typed inputs name", async () => {
    process.env.ARGUS_TEST_UPS_HOST = upsd.host;
    process.env.ARGUS_TEST_UPS_PORT = String(upsd.port);
    process.env.ARGUS_TEST_UPS_NAME = "rack";
    try {
      await helper.load(
        [argusNut, catchNode],
        flow({
          host: "ARGUS_TEST_UPS_HOST",
          hostType: "env",
          port: "ARGUS_TEST_UPS_PORT",
          portType: "env",
          ups: "ARGUS_TEST_UPS_NAME",
          upsType: "env",
        }),
      );
      const messages = collect("out");
      await waitFor(() => messages.length === 1, { what: "snapshot" });
      assert.equal(messages[0]?.payload.reachable, true);
    } finally {
      delete process.env.ARGUS_TEST_UPS_HOST;
      delete process.env.ARGUS_TEST_UPS_PORT;
      delete process.env.ARGUS_TEST_UPS_NAME;
    }
  });

  it("shows a red ring with the reason when the server is down", async () => {
    const port = await freePort();
    await helper.load([argusNut, catchNode], flow({ port: String(port) }));
    const status = statuses("ups");
    const messages = collect("out");
    await waitFor(() => status.some((s) => s.fill === "red"), { what: "red status" });
    assert.deepEqual(status.at(-1), { fill: "red", shape: "ring", text: "server down: connection refused" });
    // The status is set as the snapshot is sent; the message reaches the next node a moment later.
    await waitFor(() => messages.length >= 1, { what: "the unreachable snapshot" });
    assert.equal(messages[0]?.payload.reachable, false);
    assert.deepEqual(messages[0]?.payload.error, {
      code: "CONNECTION-REFUSED",
      message: "server down: connection refused",
    });
  });

  it("shows the invalid field when the configuration cannot run", async () => {
    await helper.load([argusNut, catchNode], flow({ ups: "", port: "99999" }));
    const node = helper.getNode("ups");
    const calls = (node.status as unknown as { args: [StatusCall][] }).args;
    assert.deepEqual(calls.at(-1)?.[0], {
      fill: "red",
      shape: "ring",
      text: "port: Too big: expected number to be <=65535; ups: a UPS name is required",
    });
  });
});

describe("argus-nut node: nothing left behind after a redeploy (simulator counts connections)", function () {
  it("closes every connection when the flow is stopped", async () => {
    const sim = new NutSimulator({ upses: ["a", "b", "c"].map((name) => ({ name, vars: { "ups.status": "OL" } })) });
    await sim.start();
    try {
      const nodes = ["a", "b", "c"].map((ups) => ({
        id: `n-${ups}`,
        type: "argus-nut",
        host: "127.0.0.1",
        port: String(sim.port),
        ups,
        interval: "0.05",
        wires: [["out"]],
      }));
      for (let deploy = 0; deploy < 3; deploy++) {
        await helper.load([argusNut], [...nodes, { id: "out", type: "helper" }]);
        const messages = collect("out");
        await waitFor(() => new Set(messages.map((m) => m.topic)).size === 3, { what: "all three polled" });
        assert.equal(sim.openConnections, 1, "three UPSes of one server share one connection");
        await helper.unload();
        await waitFor(() => sim.openConnections === 0, { what: "connection closed after unload" });
      }
      assert.equal(sim.acceptedConnections, 3);
    } finally {
      await sim.stop();
    }
  });
});

describe("argus-nut node with a server that cannot start", function () {
  this.timeout(30_000);
  let upsd: Upsd;
  let dataDir: string;
  before(async () => {
    upsd = await Upsd.start({ upses: [{ name: "rack", vars: SAMPLE_UPS_VARS }] });
    dataDir = await mkdtemp(join(tmpdir(), "argus-nut-server-"));
  });
  after(async () => {
    await helper.unload();
    await upsd?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("shows the server's reason as a red ring: its data would go nowhere", async () => {
    await helper.load(
      [argusServer, argusNut],
      [
        { id: "tab", type: "tab" },
        { id: "srv", type: "argus-server", dataDir },
        {
          id: "ups",
          z: "tab",
          type: "argus-nut",
          server: "srv",
          host: upsd.host,
          port: String(upsd.port),
          ups: "rack",
          interval: "0.1",
          wires: [[]],
        },
      ],
      { srv: { apiKey: "too-short-key" } },
    );
    const status = statuses("ups");
    await waitFor(() => status.some((s) => s.fill === "red"), { what: "red status" });
    assert.deepEqual(status.at(-1), {
      fill: "red",
      shape: "ring",
      text: "server: API_KEY must be at least 32 characters long",
    });
  });
});
