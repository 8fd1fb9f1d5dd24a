/**
 * The SNMP driver against Debian's snmpsimd, a real agent in its own process, serving recorded data of the four
 * profiles over v1, v2c and v3. Net-SNMP's snmpget is the oracle: every snapshot field must equal what it reads,
 * converted here by a separate table (not the driver's).
 */
import { strict as assert } from "node:assert";
import { resolveSnmpSettings, type SnmpSettingsInput } from "../../src/model/snmp-settings";
import type { Snapshot } from "../../src/model/snapshot";
import { SnmpDriver } from "../../src/snmp/driver";
import { SnmpSessionPool } from "../../src/snmp/pool";
import { PROFILES } from "../../src/snmp/profiles";
import { processGone } from "../support/upsd";
import {
  FIXTURE_PROFILES,
  snmpget,
  SnmpSim,
  type FixtureProfile,
  type SimUser,
  type SnmpgetValue,
  type SnmprecValue,
} from "../support/snmpsim";

const U = "1.3.6.1.2.1.33.1";
const P = "1.3.6.1.4.1.318.1.1.1";
const X = "1.3.6.1.4.1.534.1";
const C = "1.3.6.1.4.1.3808.1.1.1";
const INT = 2;
const OID = 6;
const GAUGE = 66;
const TICKS = 67;

type Field =
  | "battery_charge_pct"
  | "battery_runtime_s"
  | "battery_voltage_v"
  | "input_voltage_v"
  | "input_frequency_hz"
  | "output_voltage_v"
  | "load_pct"
  | "power_w"
  | "temperature_c";

/** The oracle's own reading of the MIBs: per field, the OIDs in order of preference and how to convert. */
type Source = [oid: string, convert: (raw: number) => number];
const same = (raw: number) => raw;
const tenths = (raw: number) => raw / 10;
const minutes = (raw: number) => raw * 60;
const ticks = (raw: number) => raw / 100;

const ORACLE: Record<FixtureProfile, Record<Field, Source[]>> = {
  "ups-mib": {
    battery_charge_pct: [[`${U}.2.4.0`, same]],
    battery_runtime_s: [[`${U}.2.3.0`, minutes]],
    battery_voltage_v: [[`${U}.2.5.0`, tenths]],
    input_voltage_v: [[`${U}.3.3.1.3.1`, same]],
    input_frequency_hz: [[`${U}.3.3.1.2.1`, tenths]],
    output_voltage_v: [[`${U}.4.4.1.2.1`, same]],
    load_pct: [[`${U}.4.4.1.5.1`, same]],
    power_w: [[`${U}.4.4.1.4.1`, same]],
    temperature_c: [[`${U}.2.7.0`, same]],
  },
  apc: {
    battery_charge_pct: [
      [`${P}.2.3.1.0`, tenths],
      [`${P}.2.2.1.0`, same],
    ],
    battery_runtime_s: [[`${P}.2.2.3.0`, ticks]],
    battery_voltage_v: [
      [`${P}.2.3.4.0`, tenths],
      [`${P}.2.2.8.0`, same],
    ],
    input_voltage_v: [
      [`${P}.3.3.1.0`, tenths],
      [`${P}.3.2.1.0`, same],
    ],
    input_frequency_hz: [
      [`${P}.3.3.4.0`, tenths],
      [`${P}.3.2.4.0`, same],
    ],
    output_voltage_v: [
      [`${P}.4.3.1.0`, tenths],
      [`${P}.4.2.1.0`, same],
    ],
    load_pct: [
      [`${P}.4.3.3.0`, tenths],
      [`${P}.4.2.3.0`, same],
    ],
    power_w: [[`${P}.4.2.8.0`, same]],
    temperature_c: [
      [`${P}.2.3.2.0`, tenths],
      [`${P}.2.2.2.0`, same],
    ],
  },
  eaton: {
    battery_charge_pct: [[`${X}.2.4.0`, same]],
    battery_runtime_s: [[`${X}.2.1.0`, same]],
    battery_voltage_v: [[`${X}.2.2.0`, same]],
    input_voltage_v: [
      [`${X}.3.4.1.2.1`, same],
      [`${X}.3.4.1.2.1.0`, same],
    ],
    input_frequency_hz: [[`${X}.3.1.0`, tenths]],
    output_voltage_v: [[`${X}.4.4.1.2.1`, same]],
    load_pct: [[`${X}.4.1.0`, same]],
    power_w: [[`${X}.4.4.1.4.1`, same]],
    temperature_c: [[`${X}.6.1.0`, same]],
  },
  cyberpower: {
    battery_charge_pct: [[`${C}.2.2.1.0`, same]],
    battery_runtime_s: [[`${C}.2.2.4.0`, ticks]],
    battery_voltage_v: [[`${C}.2.2.2.0`, tenths]],
    input_voltage_v: [[`${C}.3.2.1.0`, tenths]],
    input_frequency_hz: [[`${C}.3.2.4.0`, tenths]],
    output_voltage_v: [[`${C}.4.2.1.0`, tenths]],
    load_pct: [[`${C}.4.2.3.0`, same]],
    power_w: [[`${C}.4.2.5.0`, same]],
    temperature_c: [[`${C}.2.2.3.0`, same]],
  },
};

const MODEL_OID: Record<FixtureProfile, string> = {
  "ups-mib": `${U}.1.2.0`,
  apc: `${P}.1.1.1.0`,
  eaton: `${X}.1.2.0`,
  cyberpower: `${C}.1.1.1.0`,
};

type Changes = Record<string, SnmprecValue | null>;

/** What each profile's agent says in the three states the tests flip to. */
const FLIPS: Record<FixtureProfile, { onBattery: Changes; lowBattery: Changes; replaceBattery: Changes }> = {
  "ups-mib": {
    onBattery: { [`${U}.4.1.0`]: [INT, 5], [`${U}.2.2.0`]: [INT, 95], ...upsMibAlarms([`${U}.6.3.2`]) },
    lowBattery: { [`${U}.4.1.0`]: [INT, 5], [`${U}.2.1.0`]: [INT, 3], ...upsMibAlarms([`${U}.6.3.2`, `${U}.6.3.3`]) },
    replaceBattery: upsMibAlarms([`${U}.6.3.1`]),
  },
  apc: {
    onBattery: { [`${P}.4.1.1.0`]: [INT, 3] },
    lowBattery: { [`${P}.4.1.1.0`]: [INT, 3], [`${P}.2.1.1.0`]: [INT, 3] },
    replaceBattery: { [`${P}.2.2.4.0`]: [INT, 2] },
  },
  eaton: {
    onBattery: { [`${X}.4.5.0`]: [INT, 5], ...eatonAlarms([`${X}.7.3`]) },
    lowBattery: { [`${X}.4.5.0`]: [INT, 5], ...eatonAlarms([`${X}.7.3`, `${X}.7.4`]) },
    replaceBattery: eatonAlarms([`${X}.7.23`]),
  },
  cyberpower: {
    onBattery: { [`${C}.4.1.1.0`]: [INT, 3] },
    lowBattery: { [`${C}.4.1.1.0`]: [INT, 3], [`${C}.2.1.1.0`]: [INT, 3] },
    replaceBattery: { [`${C}.2.2.5.0`]: [INT, 2] },
  },
};

function upsMibAlarms(types: string[]): Changes {
  return alarmRows(`${U}.6.1.0`, `${U}.6.2.1`, types);
}

function eatonAlarms(types: string[]): Changes {
  return alarmRows(`${X}.7.1.0`, `${X}.7.2.1`, types);
}

/** The count scalar and the rows (id, descr, time) of an alarm table. */
function alarmRows(countOid: string, entry: string, types: string[]): Changes {
  const changes: Changes = { [countOid]: [GAUGE, types.length] };
  types.forEach((type, i) => {
    changes[`${entry}.1.${i + 1}`] = [INT, i + 1];
    changes[`${entry}.2.${i + 1}`] = [OID, type];
    changes[`${entry}.3.${i + 1}`] = [TICKS, 8640000 + i];
  });
  return changes;
}

/** The changes that put back what the fixture had (null removes a row the flip added). */
function undo(changes: Changes, original: Map<string, SnmprecValue>): Changes {
  return Object.fromEntries(Object.keys(changes).map((oid) => [oid, original.get(oid) ?? null]));
}

function expectedField(profile: FixtureProfile, field: Field, read: Map<string, SnmpgetValue | null>): number | null {
  for (const [oid, convert] of ORACLE[profile][field]) {
    const value = read.get(oid);
    if (value) return convert(Number(value.value));
  }
  return null;
}

function oracleOids(profile: FixtureProfile): string[] {
  return Object.values(ORACLE[profile]).flatMap((sources) => sources.map(([oid]) => oid));
}

describe("SNMP driver against snmpsimd (a real agent, snmpget as the oracle)", function () {
  this.timeout(60_000);
  const sims = new Map<FixtureProfile, SnmpSim>();
  const drivers: SnmpDriver[] = [];

  before(async () => {
    const started = await Promise.all(FIXTURE_PROFILES.map((profile) => SnmpSim.start({ profile })));
    started.forEach((sim) => sims.set(sim.profile, sim));
  });

  after(async () => {
    const all = [...sims.values()];
    await Promise.all(all.map((sim) => sim.stop()));
    for (const sim of all) for (const pid of sim.startedPids) assert.ok(processGone(pid), `snmpsimd ${pid} is gone`);
  });

  afterEach(() => {
    for (const driver of drivers.splice(0)) driver.close();
  });

  const simOf = (profile: FixtureProfile): SnmpSim => {
    const sim = sims.get(profile);
    if (!sim) throw new Error(`no simulator for ${profile}`);
    return sim;
  };

  const driverFor = (sim: SnmpSim, input: SnmpSettingsInput = {}): SnmpDriver => {
    const settings = resolveSnmpSettings({ host: sim.host, port: sim.port, timeout: 2, ...input }, {});
    const driver = new SnmpDriver(`${sim.profile}-ups`, settings, { pool: new SnmpSessionPool() });
    drivers.push(driver);
    return driver;
  };

  const v3Input = (user: SimUser, privProtocol?: string): SnmpSettingsInput => ({
    version: "3",
    username: user.name,
    level: user.privKey ? "authPriv" : "authNoPriv",
    authProtocol: user.authProtocol,
    authKey: user.authKey,
    privProtocol: privProtocol ?? user.privProtocol,
    privKey: user.privKey,
  });

  for (const profile of FIXTURE_PROFILES) {
    describe(`${profile} profile`, () => {
      it("is detected from sysObjectID and confirmed by its model", async () => {
        const sim = simOf(profile);
        const test = await driverFor(sim).testConnection();
        const read = await snmpget(sim.host, sim.port, ["1.3.6.1.2.1.1.2.0", MODEL_OID[profile]]);
        assert.equal(test.profile, profile);
        assert.equal(test.detected, true);
        assert.equal(test.sys_object_id, read.get("1.3.6.1.2.1.1.2.0")?.value);
        assert.equal(test.model, read.get(MODEL_OID[profile])?.value);
      });

      it("reads every snapshot field and raw value equal to what snmpget reads and converts", async () => {
        const sim = simOf(profile);
        const snapshot = await driverFor(sim).poll();
        assert.equal(snapshot.reachable, true, snapshot.error?.message);
        const read = await snmpget(sim.host, sim.port, oracleOids(profile));
        for (const field of Object.keys(ORACLE[profile]) as Field[]) {
          assert.equal(snapshot[field], expectedField(profile, field, read), field);
        }
        assert.equal(snapshot.status.raw, "OL");
        const scalars = PROFILES[profile].scalars;
        const raw = await snmpget(
          sim.host,
          sim.port,
          scalars.map((def) => def.oid),
        );
        for (const def of scalars) assert.equal(snapshot.vars[def.name], raw.get(def.oid)?.value, def.name);
      });

      it("reads the same snapshot over v1 (noSuchName handled) and over v3 SHA/AES", async () => {
        const sim = simOf(profile);
        const reference = withoutTs(await driverFor(sim).poll());
        const v1 = driverFor(sim, { version: "1" });
        assert.deepEqual(withoutTs(await v1.poll()), reference);
        assert.deepEqual(withoutTs(await v1.poll()), reference, "again, with the absent OIDs left out");
        const v3 = driverFor(sim, v3Input(sim.users.shaAes));
        assert.deepEqual(withoutTs(await v3.poll()), reference);
      });

      for (const state of ["onBattery", "lowBattery", "replaceBattery"] as const) {
        it(`sees ${state} on the next poll, and the way back`, async () => {
          const sim = simOf(profile);
          const driver = driverFor(sim);
          const original = sim.values;
          const before = await driver.poll();
          assert.equal(before.status.raw, "OL");
          const changes = FLIPS[profile][state];
          await sim.set(changes);
          try {
            const { status } = await driver.poll();
            if (state === "onBattery") {
              assert.deepEqual([status.on_battery, status.on_line, status.low_battery], [true, false, false]);
            }
            if (state === "lowBattery") assert.deepEqual([status.on_battery, status.low_battery], [true, true]);
            if (state === "replaceBattery") assert.deepEqual([status.replace_battery, status.on_line], [true, true]);
          } finally {
            await sim.set(undo(changes, original));
          }
          assert.equal((await driver.poll()).status.raw, "OL");
        });
      }
    });
  }

  describe("SNMPv3 users and protocols", () => {
    it("works with SHA-256 and AES-256 in both AES-256 key variants", async () => {
      const sim = simOf("ups-mib");
      const user = sim.users.sha256Aes256;
      for (const privProtocol of ["aes256b", "aes256r"]) {
        const snapshot = await driverFor(sim, v3Input(user, privProtocol)).poll();
        assert.equal(snapshot.reachable, true, `${privProtocol}: ${snapshot.error?.message}`);
      }
    });

    it("needs the right AES-256 variant with SHA-1: Blumenthal works, Reeder times out", async () => {
      const sim = simOf("apc");
      const user = sim.users.shaAes256b;
      assert.equal((await driverFor(sim, v3Input(user, "aes256b")).poll()).reachable, true);
      const reeder = await driverFor(sim, { ...v3Input(user, "aes256r"), timeout: 0.3, retries: 0 }).poll();
      assert.equal(reeder.error?.code, "TIMEOUT");
    });

    it("works with authNoPriv", async () => {
      const sim = simOf("eaton");
      const snapshot = await driverFor(sim, v3Input(sim.users.authOnly)).poll();
      assert.equal(snapshot.reachable, true, snapshot.error?.message);
      assert.equal(snapshot.load_pct, 27);
    });
  });

  describe("wrong credentials", () => {
    const fast = { timeout: 0.3, retries: 0 };

    it("a wrong community times out, and the message names it among the look-alike causes", async () => {
      const sim = simOf("cyberpower");
      const snapshot = await driverFor(sim, { community: "privat", ...fast }).poll();
      assert.equal(snapshot.reachable, false);
      assert.deepEqual(snapshot.error, {
        code: "TIMEOUT",
        message:
          "no answer from the SNMP agent: it is down or unreachable, or the community, v3 user name or privacy " +
          "key is wrong (agents ignore those silently, so they all look alike)",
      });
    });

    it("a wrong v3 authentication key is an authentication failure", async () => {
      const sim = simOf("ups-mib");
      const user = { ...sim.users.shaAes, authKey: "wrong-auth-key" };
      const snapshot = await driverFor(sim, { ...v3Input(user), ...fast }).poll();
      assert.deepEqual(snapshot.error, {
        code: "AUTH",
        message: "SNMPv3 authentication failed: wrong authentication key or protocol",
      });
    });

    it("a wrong v3 privacy key and an unknown v3 user time out (snmpsimd answers neither)", async () => {
      const sim = simOf("ups-mib");
      const wrongPriv = { ...sim.users.shaAes, privKey: "wrong-priv-key" };
      assert.equal((await driverFor(sim, { ...v3Input(wrongPriv), ...fast }).poll()).error?.code, "TIMEOUT");
      const unknown = { ...sim.users.shaAes, name: "nobody-here" };
      assert.equal((await driverFor(sim, { ...v3Input(unknown), ...fast }).poll()).error?.code, "TIMEOUT");
    });

    it("a test connection with a wrong community throws the typed error", async () => {
      const sim = simOf("apc");
      await assert.rejects(driverFor(sim, { community: "nope", ...fast }).testConnection(), {
        name: "SnmpError",
        code: "TIMEOUT",
      });
    });
  });

  describe("auto detection fallback", () => {
    it("falls back to UPS-MIB when a vendor's sysObjectID has no vendor model, or the prefix is unknown", async () => {
      const sim = simOf("ups-mib");
      const original = sim.values;
      const sysObjectId = "1.3.6.1.2.1.1.2.0";
      try {
        for (const id of ["1.3.6.1.4.1.318.1.3.27", "1.3.6.1.4.1.8072.3.2.10"]) {
          await sim.set({ [sysObjectId]: [OID, id] });
          const test = await driverFor(sim).testConnection();
          assert.deepEqual([test.profile, test.detected, test.sys_object_id], ["ups-mib", false, id]);
          assert.equal(test.snapshot.battery_charge_pct, 97);
        }
      } finally {
        await sim.set({ [sysObjectId]: original.get(sysObjectId) ?? null });
      }
    });

    it("skips detection when the profile is set", async () => {
      const sim = simOf("eaton");
      const test = await driverFor(sim, { profile: "eaton" }).testConnection();
      assert.deepEqual([test.profile, test.detected, test.sys_object_id], ["eaton", false, null]);
    });
  });
});

function withoutTs(snapshot: Snapshot): Omit<Snapshot, "ts"> {
  const { ts: _ts, ...rest } = snapshot;
  return rest;
}
