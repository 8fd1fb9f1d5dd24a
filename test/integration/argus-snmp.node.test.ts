/**
 * The argus-snmp node in a Node-RED runtime (node-red-node-test-helper), polling snmpsimd (a real agent) and, for
 * faults, net-snmp's agent; and the editor's test-connection route.
 */
import { strict as assert } from "node:assert";
import argusSnmp from "../../src/nodes/argus-snmp";
import type { Snapshot } from "../../src/model/snapshot";
import { snmpSessions } from "../../src/snmp/pool";
import { catchNode, helper, type StatusCall } from "../support/node-red";
import { agentValues, FaultAgent, openSockets, SnmpSim } from "../support/snmpsim";
import { waitFor } from "../support/wait";

interface Message {
  topic?: string;
  payload: Snapshot;
  [key: string]: unknown;
}

const U = "1.3.6.1.2.1.33.1";
const P = "1.3.6.1.4.1.318.1.1.1";
const TIMEOUT_MESSAGE =
  "no answer from the SNMP agent: it is down or unreachable, or the community, v3 user name or privacy key is " +
  "wrong (agents ignore those silently, so they all look alike)";
const ENV = [
  "SNMP_COMMUNITY",
  "SNMP_VERSION",
  "SNMP_TIMEOUT",
  "SNMP_RETRIES",
  "SNMP_V3_USERNAME",
  "SNMP_V3_AUTH_PROTOCOL",
  "SNMP_V3_AUTH_KEY",
  "SNMP_V3_PRIV_PROTOCOL",
  "SNMP_V3_PRIV_KEY",
];

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

function warnings(nodeId: string): string[] {
  const calls: string[] = [];
  helper.getNode(nodeId).on("call:warn", (call: { args: [string] }) => calls.push(call.args[0]));
  return calls;
}

describe("argus-snmp node in Node-RED", function () {
  this.timeout(30_000);
  let sim: SnmpSim;

  before(async () => {
    sim = await SnmpSim.start({ profile: "ups-mib" });
  });
  after(async () => sim?.stop());
  afterEach(async () => {
    await helper.unload();
    // Reflect.deleteProperty: process.env needs a real delete (assigning undefined stores "undefined").
    for (const name of ENV) Reflect.deleteProperty(process.env, name);
  });

  const flow = (props: Record<string, unknown> = {}) => [
    { id: "f1", type: "tab" },
    {
      id: "ups",
      z: "f1",
      type: "argus-snmp",
      name: "Rack UPS",
      host: sim.host,
      port: String(sim.port),
      version: "2c",
      profile: "auto",
      interval: "10",
      timeout: "1",
      retries: "0",
      output: "always",
      wires: [["out"]],
      ...props,
    },
    { id: "out", z: "f1", type: "helper" },
    { id: "catch", z: "f1", type: "catch", scope: null, uncaught: false, x: 0, y: 0, wires: [["caught"]] },
    { id: "caught", z: "f1", type: "helper" },
  ];

  it("sends a snapshot per poll with the device id as topic, and shows it in the status", async () => {
    await helper.load([argusSnmp, catchNode], flow());
    const messages = collect("out");
    const status = statuses("ups");
    await waitFor(() => messages.length >= 1, { what: "first snapshot" });
    const [first] = messages;
    assert.equal(first?.topic, "rack-ups");
    assert.equal(first?.payload.device_id, "rack-ups");
    assert.equal(first?.payload.reachable, true);
    assert.equal(first?.payload.vars.upsIdentModel, "Sentinel RFC 3000");
    await waitFor(() => status.some((s) => s.fill === "green"), { what: "green status" });
    assert.deepEqual(status.at(-1), { fill: "green", shape: "dot", text: "OL · 97% · 42 min · 310 W" });
  });

  it("polls now on any input, keeps the message's other properties, and shows on battery in yellow", async () => {
    await helper.load([argusSnmp, catchNode], flow({ interval: "3600" }));
    const messages = collect("out");
    const status = statuses("ups");
    await waitFor(() => messages.length === 1, { what: "first snapshot" });
    const original = sim.values;
    await sim.set({ [`${U}.4.1.0`]: [2, 5] });
    try {
      helper.getNode("ups").receive({ payload: "now", correlation: 42 });
      await waitFor(() => messages.length === 2, { what: "snapshot on input" });
      assert.equal(messages[1]?.correlation, 42);
      assert.equal(messages[1]?.payload.status.on_battery, true);
      assert.deepEqual(status.at(-1), { fill: "yellow", shape: "dot", text: "OB DISCHRG · 97% · 42 min · 310 W" });
    } finally {
      await sim.set({ [`${U}.4.1.0`]: original.get(`${U}.4.1.0`) ?? null });
    }
  });

  it("sends only changed snapshots in 'change' mode", async () => {
    await helper.load([argusSnmp, catchNode], flow({ interval: "0.05", output: "change" }));
    const messages = collect("out");
    const status = statuses("ups");
    await waitFor(() => status.length >= 6, { what: "five polls" });
    assert.equal(messages.length, 1, "unchanged polls send nothing");
    const original = sim.values;
    await sim.set({ [`${U}.2.4.0`]: [2, 96] });
    try {
      await waitFor(() => messages.length === 2, { what: "the changed snapshot" });
      assert.equal(messages[1]?.payload.battery_charge_pct, 96);
    } finally {
      await sim.set({ [`${U}.2.4.0`]: original.get(`${U}.2.4.0`) ?? null });
    }
  });

  it("sends a command to a Catch node: SNMP control is not offered", async () => {
    await helper.load([argusSnmp, catchNode], flow({ interval: "3600" }));
    const caught = collect("caught");
    helper.getNode("ups").receive({ payload: { command: "instcmd", name: "load.off" } });
    await waitFor(() => caught.length === 1, { what: "caught error" });
    const error = caught[0]?.error as { message: string; source: { id: string } };
    assert.equal(error.message, "Error: argus-snmp takes no commands: send any other message to poll now");
    assert.equal(error.source.id, "ups");
  });

  it("falls back to SNMP_VERSION, SNMP_COMMUNITY and SNMP_TIMEOUT for empty fields", async () => {
    process.env.SNMP_VERSION = "1";
    process.env.SNMP_COMMUNITY = "public";
    process.env.SNMP_TIMEOUT = "2";
    await helper.load([argusSnmp, catchNode], flow({ name: "", version: "", timeout: "" }));
    const messages = collect("out");
    await waitFor(() => messages.length === 1, { what: "snapshot" });
    assert.equal(messages[0]?.payload.reachable, true, messages[0]?.payload.error?.message);
    assert.equal(messages[0]?.topic, `127-0-0-1-${sim.port}`);
  });

  it("reads the agent's address, timeout and retries from environment variables the editor's typed inputs name", async () => {
    process.env.ARGUS_TEST_SNMP_HOST = sim.host;
    process.env.ARGUS_TEST_SNMP_TIMEOUT = "2";
    process.env.ARGUS_TEST_SNMP_RETRIES = "0";
    try {
      const typed = { host: "ARGUS_TEST_SNMP_HOST", hostType: "env", timeout: "ARGUS_TEST_SNMP_TIMEOUT" };
      const more = { timeoutType: "env", retries: "ARGUS_TEST_SNMP_RETRIES", retriesType: "env" };
      await helper.load([argusSnmp, catchNode], flow({ ...typed, ...more }));
      const messages = collect("out");
      await waitFor(() => messages.length === 1, { what: "snapshot" });
      assert.equal(messages[0]?.payload.reachable, true);
    } finally {
      delete process.env.ARGUS_TEST_SNMP_HOST;
      delete process.env.ARGUS_TEST_SNMP_TIMEOUT;
      delete process.env.ARGUS_TEST_SNMP_RETRIES;
    }
  });

  it("falls back to the SNMP_V3_* variables, with protocol names as manuals write them", async () => {
    const user = sim.users.shaAes;
    Object.assign(process.env, {
      SNMP_VERSION: "3",
      SNMP_V3_USERNAME: user.name,
      SNMP_V3_AUTH_PROTOCOL: "SHA",
      SNMP_V3_AUTH_KEY: user.authKey,
      SNMP_V3_PRIV_PROTOCOL: "AES",
      SNMP_V3_PRIV_KEY: user.privKey,
    });
    await helper.load([argusSnmp, catchNode], flow({ version: "", username: "" }));
    const messages = collect("out");
    await waitFor(() => messages.length === 1, { what: "snapshot" });
    assert.equal(messages[0]?.payload.reachable, true, messages[0]?.payload.error?.message);
  });

  it("shows a red ring saying what to check when the agent does not answer", async () => {
    const credentials = { ups: { community: "wrong-community" } };
    await helper.load([argusSnmp, catchNode], flow({ timeout: "0.2" }), credentials);
    const status = statuses("ups");
    const messages = collect("out");
    await waitFor(() => status.some((s) => s.fill === "red"), { what: "red status" });
    assert.deepEqual(status.at(-1), { fill: "red", shape: "ring", text: TIMEOUT_MESSAGE });
    // The status is set as the snapshot is sent; the message reaches the next node a moment later.
    await waitFor(() => messages.length >= 1, { what: "the unreachable snapshot" });
    assert.deepEqual(messages[0]?.payload.error, { code: "TIMEOUT", message: TIMEOUT_MESSAGE });
  });

  it("shows the invalid fields when the configuration cannot run", async () => {
    await helper.load([argusSnmp, catchNode], flow({ host: "", version: "3", username: "", port: "99999" }));
    const calls = (helper.getNode("ups").status as unknown as { args: [StatusCall][] }).args;
    assert.deepEqual(calls.at(-1)?.[0], {
      fill: "red",
      shape: "ring",
      text: "host: an SNMP agent host is required; port: Too big: expected number to be <=65535",
    });
    await helper.unload();
    await helper.load([argusSnmp, catchNode], flow({ version: "3", username: "" }));
    const v3 = (helper.getNode("ups").status as unknown as { args: [StatusCall][] }).args;
    assert.deepEqual(v3.at(-1)?.[0], { fill: "red", shape: "ring", text: "v3.username: SNMPv3 needs a user name" });
  });

  it("shares one session among nodes polling one agent, and leaves no socket after a redeploy", async () => {
    const before = openSockets();
    const nodes = ["a", "b", "c"].map((id) => ({
      id,
      type: "argus-snmp",
      name: `ups ${id}`,
      host: sim.host,
      port: String(sim.port),
      version: "2c",
      interval: "0.05",
      wires: [["out"]],
    }));
    for (let deploy = 0; deploy < 3; deploy++) {
      await helper.load([argusSnmp], [...nodes, { id: "out", type: "helper" }]);
      const messages = collect("out");
      await waitFor(() => new Set(messages.map((m) => m.topic)).size === 3, { what: "all three polled" });
      assert.equal(snmpSessions.size, 1, "three nodes on one agent share one session");
      await helper.unload();
      assert.equal(snmpSessions.size, 0);
      assert.equal(openSockets(), before, "the session's socket is closed");
    }
  });

  describe("with injected faults (net-snmp agent fault injection)", () => {
    let agent: FaultAgent;

    before(async () => {
      agent = await FaultAgent.start({ values: agentValues("apc"), community: "s3cret" });
    });
    after(async () => agent?.stop());
    afterEach(() => agent.faults.clear());

    it("warns once about a value of the wrong type, not on every poll", async () => {
      agent.faults.set(`${P}.2.3.1.0`, { kind: "wrongType", type: 4, value: "99.8" });
      const credentials = { ups: { community: "s3cret" } };
      await helper.load([argusSnmp, catchNode], flow({ port: String(agent.port), interval: "0.05" }), credentials);
      const warned = warnings("ups");
      const status = statuses("ups");
      await waitFor(() => status.length >= 5, { what: "four polls" });
      assert.deepEqual(warned, [
        `WRONG-TYPE: upsHighPrecBatteryCapacity (${P}.2.3.1.0) arrived as OctetString, expected Integer or Gauge or Counter: not used`,
      ]);
    });
  });

  describe("the test-connection route", () => {
    let agent: FaultAgent;

    before(async () => {
      agent = await FaultAgent.start({ values: agentValues("apc"), community: "s3cret" });
    });
    after(async () => agent?.stop());

    it("answers the detected profile, the model and a sample reading", async () => {
      await helper.load([argusSnmp], []);
      const response = await helper
        .request()
        .post("/argus-snmp/test")
        .send({ host: sim.host, port: String(sim.port), version: "2c", community: "public", timeout: "1" })
        .expect(200);
      assert.deepEqual(
        { ...response.body, latency_ms: 0 },
        {
          profile: "ups-mib",
          profile_label: "RFC 1628 UPS-MIB",
          detected: true,
          sys_object_id: "1.3.6.1.2.1.33",
          manufacturer: "Argus Test Power",
          model: "Sentinel RFC 3000",
          latency_ms: 0,
          sample: {
            status: "OL",
            battery_charge_pct: 97,
            battery_runtime_s: 2520,
            input_voltage_v: 231,
            output_voltage_v: 230,
            load_pct: 21,
            power_w: 310,
            temperature_c: null,
          },
          warnings: [],
        },
      );
    });

    it("uses the deployed node's saved community when the editor sends the saved-password placeholder", async () => {
      const credentials = { ups: { community: "s3cret" } };
      await helper.load([argusSnmp], flow({ port: String(agent.port), interval: "3600" }).slice(0, 2), credentials);
      const response = await helper
        .request()
        .post("/argus-snmp/test")
        .send({ id: "ups", host: agent.host, port: String(agent.port), community: "__PWRD__", timeout: "1" })
        .expect(200);
      assert.equal(response.body.profile, "apc");
      assert.equal(response.body.model, "Smart-UPS 1500");
    });

    it("answers 400 naming the invalid fields, and 502 with the SNMP error code", async () => {
      await helper.load([argusSnmp], []);
      const invalid = await helper.request().post("/argus-snmp/test").send({ host: "", port: "0" }).expect(400);
      assert.deepEqual(
        invalid.body.issues.map((issue: { path: string }) => issue.path),
        ["host", "port"],
      );
      const failed = await helper
        .request()
        .post("/argus-snmp/test")
        .send({ host: agent.host, port: String(agent.port), community: "wrong", timeout: "0.2", retries: "0" })
        .expect(502);
      assert.deepEqual(failed.body, { error: TIMEOUT_MESSAGE, code: "TIMEOUT" });
    });
  });
});
