/**
 * Faults a real upsd cannot be made to produce on demand, injected with the project's NUT simulator
 * (tools/nut-simulator.ts): replies that never come, lists cut off, garbage and over-long lines, refused sessions.
 */
import { strict as assert } from "node:assert";
import { NutClient, type NutClientOptions } from "../../src/nut/client";
import { NutError } from "../../src/nut/errors";
import { NutSimulator } from "../../tools/nut-simulator";
import { waitFor } from "../support/wait";

const VARS = { "ups.status": "OL", "battery.charge": "100", "ups.load": "20" };
const FAST: NutClientOptions = { backoffMinMs: 100, backoffMaxMs: 400, limits: { timeoutMs: 300 } };

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof NutError, String(error));
    assert.equal(error.code, code);
    return true;
  });
}

describe("NUT client under injected faults (simulator)", function () {
  let sim: NutSimulator;
  let client: NutClient;

  beforeEach(async () => {
    sim = new NutSimulator({ upses: [{ name: "ups", vars: VARS }] });
    await sim.start();
  });
  afterEach(async () => {
    client?.close();
    await sim.stop();
  });

  const connect = (options: NutClientOptions = FAST) => {
    client = new NutClient({ host: "127.0.0.1", port: sim.port, tls: "off" }, options);
    return client;
  };

  it("times out a reply that never comes, closes the poisoned connection, and recovers on a new one", async () => {
    connect();
    assert.equal(await client.getVar("ups", "ups.status"), "OL");
    sim.faults.silentReplies = true;
    await rejectsWith(client.getVars("ups", ["ups.status", "battery.charge"]), "TIMEOUT");
    await waitFor(() => sim.openConnections === 0, { what: "the stalled connection closed" });
    sim.faults.silentReplies = false;
    await waitFor(() => client.state === "ready" || client.getVar("ups", "ups.status").then(() => true), {
      what: "reconnected",
    });
    assert.equal(await client.getVar("ups", "ups.status"), "OL");
    assert.equal(sim.acceptedConnections, 2);
  });

  it("fails a list cut off mid-way with CONNECTION-CLOSED, and reconnects", async () => {
    connect();
    sim.faults.dropMidList = true;
    await rejectsWith(client.listVars("ups"), "CONNECTION-CLOSED");
    sim.faults.dropMidList = false;
    const vars = await waitFor(() => client.listVars("ups"), { what: "list after reconnect" });
    assert.deepEqual({ ...vars }, VARS);
  });

  it("rejects a garbage reply as PROTOCOL and keeps the connection in step", async () => {
    connect();
    sim.faults.garbageReply = "\u0001\u0002 what is this";
    await rejectsWith(client.getVar("ups", "ups.status"), "PROTOCOL");
    assert.equal(await client.getVar("ups", "battery.charge"), "100");
  });

  it("refuses an over-long line without buffering it, and closes the connection", async () => {
    connect();
    sim.faults.longLineBytes = 1_000_000;
    await rejectsWith(client.getVar("ups", "ups.status"), "PROTOCOL");
    await waitFor(() => sim.openConnections === 0, { what: "connection closed" });
  });

  it("waits out slow replies within the timeout, in order", async () => {
    connect({ ...FAST, limits: { timeoutMs: 2000 } });
    sim.faults.delayMs = 150;
    const { values } = await client.getVars("ups", ["battery.charge", "ups.status", "ups.load"]);
    assert.deepEqual({ ...values }, { "battery.charge": "100", "ups.status": "OL", "ups.load": "20" });
  });

  it("during backoff fails at once with the last error instead of hammering the server", async () => {
    connect({ ...FAST, backoffMinMs: 400, backoffMaxMs: 400 });
    sim.faults.refuseAfterAccept = true;
    await assert.rejects(client.getVar("ups", "ups.status"), NutError);
    assert.equal(client.state, "backoff");
    for (let i = 0; i < 5; i++) await assert.rejects(client.getVar("ups", "ups.status"), NutError);
    assert.equal(sim.acceptedConnections, 1, "no new connection while backing off");
    sim.faults.refuseAfterAccept = false;
    await waitFor(() => client.state === "ready", { what: "reconnected after backoff" });
    assert.equal(await client.getVar("ups", "ups.status"), "OL");
  });

  it("keeps an idle connection open with keepalives before the server's idle drop", async () => {
    await sim.stop();
    sim = new NutSimulator({ upses: [{ name: "ups", vars: VARS }], idleTimeoutMs: 300 });
    await sim.start();
    connect({ ...FAST, keepaliveMs: 100 });
    await client.getVar("ups", "ups.status");
    await waitFor(() => sim.received.filter((line) => line === "VER").length >= 5, { what: "five keepalives" });
    assert.equal(sim.acceptedConnections, 1);
    assert.equal(sim.openConnections, 1);
  });

  it("leaves no socket behind on close, even with commands pending", async () => {
    connect();
    sim.faults.silentReplies = true;
    const pending = client.getVar("ups", "ups.status");
    await waitFor(() => sim.openConnections === 1, { what: "connected" });
    client.close();
    await rejectsWith(pending, "CLIENT-CLOSED");
    await waitFor(() => sim.openConnections === 0, { what: "socket closed" });
    await rejectsWith(client.getVar("ups", "ups.status"), "CLIENT-CLOSED");
  });

  it("escapes values so the server's parser sees exactly one command", async () => {
    const admin = new NutClient(
      { host: "127.0.0.1", port: sim.port, tls: "off", username: "admin", password: 'p#ss "w\\d' },
      FAST,
    );
    try {
      await sim.stop();
      sim = new NutSimulator({
        upses: [{ name: "ups", vars: { ...VARS, "ups.id": "x" }, rw: ["ups.id"] }],
        users: { admin: { password: 'p#ss "w\\d', canSet: true } },
        port: sim.port,
      });
      await sim.start();
      assert.equal(await admin.setVar("ups", "ups.id", 'rack "2" #1 \\'), "OK");
      assert.equal(await admin.getVar("ups", "ups.id"), 'rack "2" #1 \\');
      assert.ok(!sim.received.some((line) => line.includes("p#ss")), "the simulator masks the password it got");
    } finally {
      admin.close();
    }
  });
});
