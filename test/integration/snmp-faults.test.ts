/**
 * Faults a real agent cannot be made to produce on demand, injected with npm net-snmp's own agent serving the APC
 * recording: slow replies, no reply, genErr, values of the wrong type, missing OIDs, a v1 noSuchName; and the
 * sockets a long run of polls leaves behind.
 */
import { strict as assert } from "node:assert";
import * as snmp from "net-snmp";
import { resolveSnmpSettings, type SnmpSettingsInput } from "../../src/model/snmp-settings";
import { SnmpDriver } from "../../src/snmp/driver";
import { SnmpSessionPool } from "../../src/snmp/pool";
import { APC } from "../../src/snmp/profiles";
import { agentValues, FaultAgent, openSockets } from "../support/snmpsim";

const P = "1.3.6.1.4.1.318.1.1.1";
const V3_USER: snmp.V3User = {
  name: "argus",
  level: snmp.SecurityLevel.authPriv,
  authProtocol: snmp.AuthProtocols.sha,
  authKey: "fault-auth-key",
  privProtocol: snmp.PrivProtocols.aes,
  privKey: "fault-priv-key",
};

describe("SNMP driver under injected faults (net-snmp agent fault injection)", function () {
  this.timeout(30_000);
  let agent: FaultAgent;
  let pool: SnmpSessionPool;
  const drivers: SnmpDriver[] = [];

  before(async () => {
    agent = await FaultAgent.start({ values: agentValues("apc"), users: [V3_USER] });
  });
  after(async () => agent?.stop());
  beforeEach(() => {
    pool = new SnmpSessionPool();
    agent.faults.clear();
  });
  afterEach(() => {
    for (const driver of drivers.splice(0)) driver.close();
    assert.equal(pool.size, 0, "every session released");
  });

  const driverWith = (input: SnmpSettingsInput = {}): SnmpDriver => {
    const settings = resolveSnmpSettings({ host: agent.host, port: agent.port, profile: "apc", ...input }, {});
    const driver = new SnmpDriver("apc-ups", settings, { pool });
    drivers.push(driver);
    return driver;
  };

  it("reads a slow reply that comes within the timeout", async () => {
    const driver = driverWith({ timeout: 1, retries: 0 });
    agent.faults.set(`${P}.2.2.1.0`, { kind: "delay", ms: 200 });
    const started = performance.now();
    const snapshot = await driver.poll();
    assert.equal(snapshot.reachable, true, snapshot.error?.message);
    assert.ok(performance.now() - started >= 190, "the poll waited for the slow value");
    assert.equal(snapshot.battery_charge_pct, 99.8);
  });

  it("times out a reply slower than timeout x (retries + 1), and the late reply does not confuse the next poll", async () => {
    const driver = driverWith({ timeout: 0.2, retries: 1 });
    agent.faults.set(`${P}.4.1.1.0`, { kind: "delay", ms: 700 });
    const started = performance.now();
    const slow = await driver.poll();
    const waited = performance.now() - started;
    assert.equal(slow.error?.code, "TIMEOUT");
    assert.ok(waited >= 400 && waited < 1000, `waited ${Math.round(waited)} ms`);
    agent.faults.clear();
    const next = await driver.poll();
    assert.equal(next.reachable, true);
    assert.equal(next.status.raw, "OL");
  });

  it("reports no reply at all as TIMEOUT with the look-alike causes, and recovers when the agent answers again", async () => {
    const driver = driverWith({ timeout: 0.2, retries: 0 });
    agent.faults.set(`${P}.2.2.3.0`, { kind: "silent" });
    const silent = await driver.poll();
    assert.deepEqual(silent.error, {
      code: "TIMEOUT",
      message:
        "no answer from the SNMP agent: it is down or unreachable, or the community, v3 user name or privacy key " +
        "is wrong (agents ignore those silently, so they all look alike)",
    });
    assert.equal(silent.reachable, false);
    agent.faults.clear();
    assert.equal((await driver.poll()).reachable, true);
  });

  it("leaves out one OID the agent answers genErr for and reports it; fails with AGENT-ERROR when many do", async () => {
    const driver = driverWith();
    agent.faults.set(`${P}.2.2.3.0`, { kind: "genError" });
    const snapshot = await driver.poll();
    assert.equal(snapshot.reachable, true);
    assert.equal(snapshot.battery_runtime_s, null);
    assert.equal(snapshot.battery_charge_pct, 99.8, "the other values are read");
    assert.deepEqual(
      driver.warnings.map((warning) => [warning.code, warning.name]),
      [["AGENT-ERROR", "upsAdvBatteryRunTimeRemaining"]],
    );
    for (const def of APC.scalars.slice(0, 5)) agent.faults.set(def.oid, { kind: "genError" });
    const failed = await driver.poll();
    assert.equal(failed.reachable, false);
    assert.equal(failed.error?.code, "AGENT-ERROR");
    assert.match(failed.error?.message ?? "", /^the SNMP agent answered with an error \(GeneralError for 1\.3\.6\./);
  });

  it("does not trust values of the wrong type: they are reported and the next source is used", async () => {
    const driver = driverWith();
    agent.faults.set(`${P}.4.3.3.0`, { kind: "wrongType", type: snmp.ObjectType.OctetString, value: "18.3 %" });
    agent.faults.set(`${P}.2.2.3.0`, { kind: "wrongType", type: snmp.ObjectType.Integer, value: 39 });
    agent.faults.set(`${P}.4.1.1.0`, { kind: "wrongType", type: snmp.ObjectType.OID, value: "1.3.6.1.4.1.318" });
    const snapshot = await driver.poll();
    assert.equal(snapshot.reachable, true);
    assert.equal(snapshot.load_pct, 18, "the basic load, not the unreadable high-precision one");
    assert.equal(snapshot.battery_runtime_s, null, "an Integer is not TimeTicks");
    assert.equal(snapshot.status.raw, "");
    assert.deepEqual(
      driver.warnings.map((warning) => warning.message),
      [
        `upsAdvBatteryRunTimeRemaining (${P}.2.2.3.0) arrived as Integer, expected TimeTicks: not used`,
        `upsBasicOutputStatus (${P}.4.1.1.0) arrived as OID, expected Integer or Gauge or Counter: not used`,
        `upsHighPrecOutputLoad (${P}.4.3.3.0) arrived as OctetString, expected Integer or Gauge or Counter: not used`,
      ],
    );
  });

  it("reads a missing OID as not reported (null), not as a failure", async () => {
    const driver = driverWith();
    agent.faults.set(`${P}.2.3.2.0`, { kind: "missing" });
    assert.equal((await driver.poll()).temperature_c, 27, "falls back to the whole-degree value");
    agent.faults.set(`${P}.2.2.2.0`, { kind: "missing" });
    const snapshot = await driver.poll();
    assert.equal(snapshot.reachable, true);
    assert.equal(snapshot.temperature_c, null);
    assert.equal("upsAdvBatteryTemperature" in snapshot.vars, false);
    assert.deepEqual(driver.warnings, []);
  });

  it("v1: asks again without the OID named in noSuchName, and leaves it out of later polls (one GET each)", async () => {
    const driver = driverWith({ version: "1" });
    agent.faults.set(`${P}.4.2.9.0`, { kind: "noSuchName" });
    const first = await driver.poll();
    assert.equal(first.reachable, true, first.error?.message);
    assert.equal("upsAdvOutputApparentPower" in first.vars, false);
    assert.deepEqual(driver.absentOids, [`${P}.4.2.9.0`]);
    const handledBefore = agent.handled;
    const second = await driver.poll();
    assert.equal(second.reachable, true);
    assert.equal(agent.handled - handledBefore, APC.scalars.length - 1, "one GET of the present OIDs");
  });

  it("1,000 polls leave the number of open sockets where it was (v2c), and closing releases the socket", async () => {
    const before = openSockets();
    const driver = driverWith();
    for (let i = 0; i < 1000; i++) {
      const snapshot = await driver.poll();
      if (!snapshot.reachable) assert.fail(`poll ${i}: ${snapshot.error?.message}`);
    }
    assert.equal(openSockets(), before + 1, "one socket while polling");
    driver.close();
    drivers.splice(0);
    assert.equal(openSockets(), before);
  });

  it("SNMPv3 polls reuse one session (one discovery) and leave no socket behind either", async () => {
    const before = openSockets();
    const input = {
      version: "3",
      username: V3_USER.name,
      authProtocol: "sha",
      authKey: V3_USER.authKey,
      privProtocol: "aes",
      privKey: V3_USER.privKey,
    };
    const shared = [driverWith(input), driverWith(input), driverWith(input)];
    assert.equal(pool.size, 1, "three drivers, one session");
    for (let i = 0; i < 300; i++) {
      const snapshots = await Promise.all(shared.map((driver) => driver.poll()));
      for (const snapshot of snapshots) if (!snapshot.reachable) assert.fail(snapshot.error?.message);
    }
    assert.equal(openSockets(), before + 1);
    for (const driver of drivers.splice(0)) driver.close();
    assert.equal(openSockets(), before);
  });

  it("creating and closing drivers over and over leaks nothing", async () => {
    const before = openSockets();
    for (let i = 0; i < 50; i++) {
      const driver = driverWith();
      assert.equal((await driver.poll()).reachable, true);
      driver.close();
      drivers.splice(0);
    }
    assert.equal(openSockets(), before);
  });
});
