/** MIB profiles: detection by sysObjectID, unit conversion, type checks and status flags, without an agent. */
import { strict as assert } from "node:assert";
import { ObjectType, type Varbind } from "net-snmp";
import { Snapshot } from "../../src/model/snapshot";
import {
  APC,
  CYBERPOWER,
  EATON,
  PROFILES,
  profileForSysObjectId,
  UPS_MIB,
  type MibProfile,
} from "../../src/snmp/profiles";
import { snapshotFromSnmp } from "../../src/snmp/snapshot";
import { convert, decode, rawText } from "../../src/snmp/values";
import { readFixture, type FixtureProfile, type SnmprecValue } from "../support/snmpsim";

const TS = new Date("2026-11-27T10:00:00.000Z");
const U = "1.3.6.1.2.1.33.1";
const P = "1.3.6.1.4.1.318.1.1.1";
const X = "1.3.6.1.4.1.534.1";
const C = "1.3.6.1.4.1.3808.1.1.1";

function varbindOf(oid: string, [tag, value]: SnmprecValue): Varbind {
  if (tag === ObjectType.OctetString) return { oid, type: tag, value: Buffer.from(String(value)) };
  if (tag === ObjectType.OID) return { oid, type: tag, value: String(value) };
  return { oid, type: tag, value: Number(value) };
}

/** The fixture's values as a GET would return them, with changes (null: the agent lacks the OID). */
function scalars(fixture: FixtureProfile, changes: Record<string, SnmprecValue | null> = {}): Map<string, Varbind> {
  const records = readFixture(fixture);
  for (const [oid, value] of Object.entries(changes)) {
    if (value === null) records.delete(oid);
    else records.set(oid, value);
  }
  return new Map([...records].map(([oid, value]) => [oid, varbindOf(oid, value)]));
}

function map(profile: MibProfile, values: Map<string, Varbind>, alarms: Record<string, string> = {}) {
  return snapshotFromSnmp("ups", profile, { scalars: values, alarms: new Map(Object.entries(alarms)) }, TS);
}

const INT = ObjectType.Integer;

describe("SNMP MIB profiles", () => {
  describe("detection by sysObjectID", () => {
    it("picks the vendor by enterprise prefix and UPS-MIB by its own OID", () => {
      assert.equal(profileForSysObjectId("1.3.6.1.4.1.318.1.3.27"), APC);
      assert.equal(profileForSysObjectId(".1.3.6.1.4.1.534.1"), EATON);
      assert.equal(profileForSysObjectId("1.3.6.1.4.1.3808.1.1.3"), CYBERPOWER);
      assert.equal(profileForSysObjectId("1.3.6.1.2.1.33"), UPS_MIB);
      assert.equal(profileForSysObjectId("1.3.6.1.2.1.33.2"), UPS_MIB);
    });

    it("does not match an enterprise number that merely starts with the same digits", () => {
      assert.equal(profileForSysObjectId("1.3.6.1.4.1.3180.1"), null);
      assert.equal(profileForSysObjectId("1.3.6.1.2.1.330"), null);
      assert.equal(profileForSysObjectId("1.3.6.1.4.1.8072.3.2.10"), null);
    });

    it("lists every profile the settings offer", () => {
      assert.deepEqual(Object.keys(PROFILES).sort(), ["apc", "cyberpower", "eaton", "ups-mib"]);
    });
  });

  describe("values", () => {
    it("converts tenths, minutes and TimeTicks exactly", () => {
      assert.equal(convert(2301, "tenth"), 230.1);
      assert.equal(convert(499, "tenth"), 49.9);
      assert.equal(convert(42, "minute"), 2520);
      assert.equal(convert(234000, "timeticks"), 2340);
      assert.equal(convert(17, "one"), 17);
    });

    it("accepts only the ASN.1 types a profile expects", () => {
      const gauge: Varbind = { oid: "1.1", type: ObjectType.Gauge, value: 100 };
      assert.deepEqual(decode("integer", gauge), { state: "ok", value: 100, text: "100" });
      assert.deepEqual(decode("timeticks", gauge), { state: "wrong-type", text: "100", got: "Gauge" });
      const text: Varbind = { oid: "1.1", type: ObjectType.OctetString, value: Buffer.from("230") };
      assert.deepEqual(decode("integer", text), { state: "wrong-type", text: "230", got: "OctetString" });
      const counter64: Varbind = { oid: "1.1", type: ObjectType.Counter64, value: Buffer.from([0, 1]) };
      assert.deepEqual(decode("integer", counter64), { state: "wrong-type", text: "00 01", got: "Counter64" });
    });

    it("reads noSuchObject, noSuchInstance and an absent varbind as missing, not as a failure", () => {
      for (const type of [ObjectType.NoSuchObject, ObjectType.NoSuchInstance, ObjectType.EndOfMibView]) {
        assert.deepEqual(decode("integer", { oid: "1.1", type, value: null }), { state: "missing" });
      }
      assert.deepEqual(decode("text", undefined), { state: "missing" });
    });

    it("keeps printable text, trims NUL padding, and shows binary as hex", () => {
      const vb = (value: Buffer): Varbind => ({ oid: "1.1", type: ObjectType.OctetString, value });
      assert.equal(rawText(vb(Buffer.from("Smart-UPS 1500\0\0"))), "Smart-UPS 1500");
      assert.equal(rawText(vb(Buffer.from([0x00, 0x1f, 0xa0]))), "00 1F A0");
      assert.equal(rawText({ oid: "1.1", type: ObjectType.OID, value: "1.3.6.1.4.1.318" }), "1.3.6.1.4.1.318");
    });
  });

  describe("snapshots from the recorded data", () => {
    it("UPS-MIB: minutes to seconds, tenths of volts and hertz; a missing temperature is null", () => {
      const { snapshot, warnings } = map(UPS_MIB, scalars("ups-mib"));
      assert.deepEqual(warnings, []);
      assert.equal(Snapshot.safeParse(snapshot).success, true);
      assert.deepEqual(pickFields(snapshot), {
        battery_charge_pct: 97,
        battery_runtime_s: 2520,
        battery_voltage_v: 54.5,
        input_voltage_v: 231,
        input_frequency_hz: 49.9,
        output_voltage_v: 230,
        load_pct: 21,
        power_w: 310,
        power_source: "measured",
        temperature_c: null,
      });
      assert.equal(snapshot.status.raw, "OL");
      assert.equal(snapshot.vars.upsIdentModel, "Sentinel RFC 3000");
      assert.equal(snapshot.vars["upsInputVoltage.1"], "231");
      assert.equal("upsBatteryTemperature" in snapshot.vars, false, "a missing value is not in vars");
    });

    it("APC: prefers the high-precision values and converts TimeTicks", () => {
      const { snapshot } = map(APC, scalars("apc"));
      assert.deepEqual(pickFields(snapshot), {
        battery_charge_pct: 99.8,
        battery_runtime_s: 2340,
        battery_voltage_v: 27.4,
        input_voltage_v: 229.4,
        input_frequency_hz: 50,
        output_voltage_v: 230.1,
        load_pct: 18.3,
        power_w: 178,
        power_source: "measured",
        temperature_c: 27.3,
      });
      assert.equal(snapshot.vars.upsAdvBatteryRunTimeRemaining, "234000", "vars keep the raw TimeTicks");
    });

    it("APC: falls back to the basic values where the card has no high-precision ones", () => {
      const withoutHighPrecision = scalars("apc", {
        [`${P}.2.3.1.0`]: null,
        [`${P}.3.3.1.0`]: null,
        [`${P}.4.3.3.0`]: null,
      });
      const { snapshot } = map(APC, withoutHighPrecision);
      assert.equal(snapshot.battery_charge_pct, 100);
      assert.equal(snapshot.input_voltage_v, 229);
      assert.equal(snapshot.load_pct, 18);
    });

    it("Eaton: seconds of runtime, tenths of hertz, the nominal power", () => {
      const { snapshot } = map(EATON, scalars("eaton"));
      assert.deepEqual(pickFields(snapshot), {
        battery_charge_pct: 100,
        battery_runtime_s: 2400,
        battery_voltage_v: 72,
        input_voltage_v: 228,
        input_frequency_hz: 49.9,
        output_voltage_v: 230,
        load_pct: 27,
        power_w: 540,
        power_source: "measured",
        temperature_c: 25,
      });
      assert.equal(snapshot.status.raw, "OL", "ABM floating is neither charging nor discharging");
    });

    it("Eaton: reads the input voltage from the `.1.0` row some cards use", () => {
      const { snapshot } = map(EATON, scalars("eaton", { [`${X}.3.4.1.2.1`]: null, [`${X}.3.4.1.2.1.0`]: [INT, 226] }));
      assert.equal(snapshot.input_voltage_v, 226);
    });

    it("CyberPower: tenths of volts and TimeTicks", () => {
      const { snapshot } = map(CYBERPOWER, scalars("cyberpower"));
      assert.deepEqual(pickFields(snapshot), {
        battery_charge_pct: 100,
        battery_runtime_s: 1860,
        battery_voltage_v: 27.4,
        input_voltage_v: 228.8,
        input_frequency_hz: 50,
        output_voltage_v: 230,
        load_pct: 31,
        power_w: 290,
        power_source: "measured",
        temperature_c: 24,
      });
    });
  });

  describe("power", () => {
    it("is derived from load and the UPS's nominal power when it does not measure it, and marked so", () => {
      const { snapshot } = map(UPS_MIB, scalars("ups-mib", { [`${U}.4.4.1.4.1`]: null }));
      assert.equal(snapshot.power_w, 378); // 21 % of 1800 W
      assert.equal(snapshot.power_source, "derived");
    });

    it("uses the node's real power over the UPS's, and stays null without either", () => {
      const values = scalars("ups-mib", { [`${U}.4.4.1.4.1`]: null });
      const options = { nominalPowerW: 1000 };
      const result = snapshotFromSnmp("ups", UPS_MIB, { scalars: values, alarms: new Map() }, TS, options);
      assert.equal(result.snapshot.power_w, 210);
      values.delete(`${U}.9.6.0`);
      assert.equal(map(UPS_MIB, values).snapshot.power_w, null);
    });
  });

  describe("status flags", () => {
    it("UPS-MIB: output source on battery, battery status low, alarms for battery bad and overload", () => {
      const values = scalars("ups-mib", { [`${U}.4.1.0`]: [INT, 5], [`${U}.2.1.0`]: [INT, 3] });
      const alarms = { "1": `${U}.6.3.2`, "2": `${U}.6.3.1`, "3": `${U}.6.3.8`, "4": `${U}.6.3.5` };
      const { snapshot } = map(UPS_MIB, values, alarms);
      assert.equal(snapshot.status.raw, "OB LB RB DISCHRG OVER ALARM");
      const { on_battery, low_battery, replace_battery, overload, alarm, on_line } = snapshot.status;
      assert.deepEqual(
        { on_battery, low_battery, replace_battery, overload, alarm, on_line },
        {
          on_battery: true,
          low_battery: true,
          replace_battery: true,
          overload: true,
          alarm: true,
          on_line: false,
        },
      );
      assert.equal(snapshot.vars["upsAlarmDescr.2"], `${U}.6.3.1`);
    });

    it("trusts the output source over a stale on-battery alarm row", () => {
      const { snapshot } = map(UPS_MIB, scalars("ups-mib"), { "7": `${U}.6.3.2` });
      assert.equal(snapshot.status.raw, "OL");
      assert.equal(snapshot.status.on_battery, false);
    });

    it("takes on battery from the alarm table when the agent has no output source", () => {
      const { snapshot } = map(UPS_MIB, scalars("ups-mib", { [`${U}.4.1.0`]: null }), { "1": `${U}.6.3.2` });
      assert.equal(snapshot.status.on_battery, true);
    });

    it("UPS-MIB: bypass, boost, trim and off from the output source", () => {
      const raw = (source: number) =>
        map(UPS_MIB, scalars("ups-mib", { [`${U}.4.1.0`]: [INT, source] })).snapshot.status.raw;
      assert.deepEqual([2, 3, 4, 5, 6, 7].map(raw), ["OFF", "OL", "BYPASS", "OB DISCHRG", "OL BOOST", "OL TRIM"]);
    });

    it("APC: on battery, low battery, replace battery, smart trim and self test", () => {
      const status = (changes: Record<string, SnmprecValue>) => map(APC, scalars("apc", changes)).snapshot.status;
      assert.equal(status({ [`${P}.4.1.1.0`]: [INT, 3], [`${P}.2.1.1.0`]: [INT, 3] }).raw, "OB LB DISCHRG");
      assert.equal(status({ [`${P}.2.2.4.0`]: [INT, 2] }).replace_battery, true);
      assert.equal(status({ [`${P}.4.1.1.0`]: [INT, 12] }).trim, true);
      assert.equal(status({ [`${P}.4.1.1.0`]: [INT, 15] }).calibrating, true);
      assert.equal(status({ [`${P}.4.1.1.0`]: [INT, 13] }).raw, "OL ECO");
    });

    it("Eaton: ABM charging, and low battery and battery bad from the alarm table", () => {
      const charging = map(EATON, scalars("eaton", { [`${X}.2.5.0`]: [INT, 1] })).snapshot.status;
      assert.equal(charging.raw, "OL CHRG");
      const values = scalars("eaton", { [`${X}.4.5.0`]: [INT, 5], [`${X}.2.5.0`]: [INT, 2] });
      const { snapshot } = map(EATON, values, { "1": `${X}.7.3`, "2": `${X}.7.4`, "3": `${X}.7.23` });
      assert.equal(snapshot.status.raw, "OB LB RB DISCHRG");
    });

    it("CyberPower: overload, buck and replace battery", () => {
      const status = (changes: Record<string, SnmprecValue>) =>
        map(CYBERPOWER, scalars("cyberpower", changes)).snapshot.status;
      assert.equal(status({ [`${C}.4.1.1.0`]: [INT, 11] }).raw, "OL OVER");
      assert.equal(status({ [`${C}.4.1.1.0`]: [INT, 10] }).raw, "OL TRIM");
      assert.equal(status({ [`${C}.2.2.5.0`]: [INT, 2] }).raw, "OL RB");
    });

    it("reports nothing for a status the MIB calls unknown", () => {
      const { snapshot } = map(UPS_MIB, scalars("ups-mib", { [`${U}.4.1.0`]: [INT, 1] }));
      assert.equal(snapshot.status.raw, "");
    });
  });

  describe("values of the wrong type", () => {
    it("are not used, are reported, and stay visible in vars", () => {
      const values = scalars("ups-mib", {
        [`${U}.2.4.0`]: [ObjectType.OctetString, "97%"],
        [`${U}.4.1.0`]: [ObjectType.OctetString, "online"],
      });
      const { snapshot, warnings } = map(UPS_MIB, values);
      assert.equal(snapshot.battery_charge_pct, null);
      assert.equal(snapshot.status.raw, "");
      assert.equal(snapshot.vars.upsEstimatedChargeRemaining, "97%");
      assert.deepEqual(warnings, [
        {
          code: "WRONG-TYPE",
          oid: `${U}.2.4.0`,
          name: "upsEstimatedChargeRemaining",
          message: `upsEstimatedChargeRemaining (${U}.2.4.0) arrived as OctetString, expected Integer or Gauge or Counter: not used`,
        },
        {
          code: "WRONG-TYPE",
          oid: `${U}.4.1.0`,
          name: "upsOutputSource",
          message: `upsOutputSource (${U}.4.1.0) arrived as OctetString, expected Integer or Gauge or Counter: not used`,
        },
      ]);
    });

    it("does not read an Integer runtime as TimeTicks (the unit would be a guess)", () => {
      const { snapshot, warnings } = map(APC, scalars("apc", { [`${P}.2.2.3.0`]: [INT, 39] }));
      assert.equal(snapshot.battery_runtime_s, null);
      assert.deepEqual(
        warnings.map((warning) => warning.code),
        ["WRONG-TYPE"],
      );
    });
  });
});

function pickFields(snapshot: Snapshot) {
  const {
    battery_charge_pct,
    battery_runtime_s,
    battery_voltage_v,
    input_voltage_v,
    input_frequency_hz,
    output_voltage_v,
    load_pct,
    power_w,
    power_source,
    temperature_c,
  } = snapshot;
  return {
    battery_charge_pct,
    battery_runtime_s,
    battery_voltage_v,
    input_voltage_v,
    input_frequency_hz,
    output_voltage_v,
    load_pct,
    power_w,
    power_source,
    temperature_c,
  };
}
