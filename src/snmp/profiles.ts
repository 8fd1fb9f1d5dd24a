/**
 * MIB profiles as data: which OIDs a poll reads, in what type and unit, and what the enums mean as NUT status
 * tokens (OL, OB, LB, RB, ...), so one mapping function serves every vendor and `parseUpsStatus` turns the tokens
 * into the Snapshot's flags exactly as it does for NUT. OIDs and enums: `notes/snmp.md`.
 */
import type { SnmpProfileSetting } from "../model/snmp-settings";

export type ProfileId = Exclude<SnmpProfileSetting, "auto">;

/** The numeric Snapshot fields a profile can feed, plus the nominal power used to derive watts from load. */
export type MeasurementField =
  | "battery_charge_pct"
  | "battery_runtime_s"
  | "battery_voltage_v"
  | "input_voltage_v"
  | "input_frequency_hz"
  | "output_voltage_v"
  | "load_pct"
  | "power_w"
  | "temperature_c"
  | "nominal_power_w";

/** The ASN.1 type a value must arrive in; anything else is reported (WRONG-TYPE), never converted. */
export type ValueKind = "integer" | "timeticks" | "text" | "oid";

/** How the raw number becomes the Snapshot's unit. */
export type Unit = "one" | "tenth" | "minute" | "timeticks";

export interface ScalarDef {
  /** The MIB object's name (with the instance when it is not `.0`): the key of the value in `vars`. */
  name: string;
  oid: string;
  kind: ValueKind;
  /** The Snapshot field this value feeds; where several feed one field, the first one reported wins. */
  field?: MeasurementField;
  unit?: Unit;
  /** An enum mapped to NUT status tokens (space separated; "" for a value that adds none). */
  tokens?: Readonly<Record<number, string>>;
}

export interface AlarmTableDef {
  /** The scalar that counts present alarms: the table is only walked when it is above 0. */
  countName: string;
  /** The column whose values are the alarm type OIDs (`upsAlarmDescr`, `xupsAlarmDescr`). */
  descrColumn: string;
  descrName: string;
  /** Alarm type OID to status tokens; an alarm not listed adds ALARM. */
  tokens: Readonly<Record<string, string>>;
}

export interface MibProfile {
  id: ProfileId;
  label: string;
  /** sysObjectID prefixes that point to this profile. */
  sysObjectIds: readonly string[];
  /** The model OID, read once to confirm a detection. */
  modelOid: string;
  /** Where the agent names the manufacturer; else `manufacturer` is the profile's own constant. */
  manufacturerOid?: string;
  manufacturer?: string;
  scalars: readonly ScalarDef[];
  alarms?: AlarmTableDef;
}

export const SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0";

const U = "1.3.6.1.2.1.33.1";
const P = "1.3.6.1.4.1.318.1.1.1";
const X = "1.3.6.1.4.1.534.1";
const C = "1.3.6.1.4.1.3808.1.1.1";

/** RFC 1628 upsOutputSource and XUPS xupsOutputSource share their first seven values. */
const OUTPUT_SOURCE: Readonly<Record<number, string>> = {
  1: "",
  2: "OFF",
  3: "OL",
  4: "BYPASS",
  5: "OB DISCHRG",
  6: "OL BOOST",
  7: "OL TRIM",
};

export const UPS_MIB: MibProfile = {
  id: "ups-mib",
  label: "RFC 1628 UPS-MIB",
  sysObjectIds: ["1.3.6.1.2.1.33"],
  modelOid: `${U}.1.2.0`,
  manufacturerOid: `${U}.1.1.0`,
  scalars: [
    { name: "upsIdentManufacturer", oid: `${U}.1.1.0`, kind: "text" },
    { name: "upsIdentModel", oid: `${U}.1.2.0`, kind: "text" },
    { name: "upsIdentUPSSoftwareVersion", oid: `${U}.1.3.0`, kind: "text" },
    { name: "upsIdentName", oid: `${U}.1.5.0`, kind: "text" },
    { name: "upsBatteryStatus", oid: `${U}.2.1.0`, kind: "integer", tokens: { 1: "", 2: "", 3: "LB", 4: "LB" } },
    { name: "upsSecondsOnBattery", oid: `${U}.2.2.0`, kind: "integer" },
    {
      name: "upsEstimatedMinutesRemaining",
      oid: `${U}.2.3.0`,
      kind: "integer",
      field: "battery_runtime_s",
      unit: "minute",
    },
    { name: "upsEstimatedChargeRemaining", oid: `${U}.2.4.0`, kind: "integer", field: "battery_charge_pct" },
    { name: "upsBatteryVoltage", oid: `${U}.2.5.0`, kind: "integer", field: "battery_voltage_v", unit: "tenth" },
    { name: "upsBatteryTemperature", oid: `${U}.2.7.0`, kind: "integer", field: "temperature_c" },
    { name: "upsInputFrequency.1", oid: `${U}.3.3.1.2.1`, kind: "integer", field: "input_frequency_hz", unit: "tenth" },
    { name: "upsInputVoltage.1", oid: `${U}.3.3.1.3.1`, kind: "integer", field: "input_voltage_v" },
    { name: "upsOutputSource", oid: `${U}.4.1.0`, kind: "integer", tokens: OUTPUT_SOURCE },
    { name: "upsOutputVoltage.1", oid: `${U}.4.4.1.2.1`, kind: "integer", field: "output_voltage_v" },
    { name: "upsOutputPower.1", oid: `${U}.4.4.1.4.1`, kind: "integer", field: "power_w" },
    { name: "upsOutputPercentLoad.1", oid: `${U}.4.4.1.5.1`, kind: "integer", field: "load_pct" },
    { name: "upsAlarmsPresent", oid: `${U}.6.1.0`, kind: "integer" },
    { name: "upsConfigOutputPower", oid: `${U}.9.6.0`, kind: "integer", field: "nominal_power_w" },
  ],
  alarms: {
    countName: "upsAlarmsPresent",
    descrColumn: `${U}.6.2.1.2`,
    descrName: "upsAlarmDescr",
    tokens: {
      [`${U}.6.3.1`]: "RB", // upsAlarmBatteryBad
      [`${U}.6.3.2`]: "OB", // upsAlarmOnBattery
      [`${U}.6.3.3`]: "LB", // upsAlarmLowBattery
      [`${U}.6.3.4`]: "LB", // upsAlarmDepletedBattery
      [`${U}.6.3.8`]: "OVER", // upsAlarmOutputOverload
      [`${U}.6.3.9`]: "BYPASS", // upsAlarmOnBypass
      [`${U}.6.3.11`]: "OFF", // upsAlarmOutputOffAsRequested
      [`${U}.6.3.12`]: "OFF", // upsAlarmUpsOffAsRequested
      [`${U}.6.3.14`]: "OFF", // upsAlarmUpsOutputOff
      [`${U}.6.3.24`]: "CAL", // upsAlarmTestInProgress
    },
  },
};

export const APC: MibProfile = {
  id: "apc",
  label: "APC PowerNet",
  sysObjectIds: ["1.3.6.1.4.1.318."],
  modelOid: `${P}.1.1.1.0`,
  manufacturer: "APC",
  scalars: [
    { name: "upsBasicIdentModel", oid: `${P}.1.1.1.0`, kind: "text" },
    { name: "upsBasicIdentName", oid: `${P}.1.1.2.0`, kind: "text" },
    { name: "upsAdvIdentFirmwareRevision", oid: `${P}.1.2.1.0`, kind: "text" },
    { name: "upsAdvIdentSerialNumber", oid: `${P}.1.2.3.0`, kind: "text" },
    {
      name: "upsBasicBatteryStatus",
      oid: `${P}.2.1.1.0`,
      kind: "integer",
      tokens: { 1: "", 2: "", 3: "LB", 4: "ALARM", 5: "ALARM" },
    },
    // High-precision values (tenths) first: the basic ones are rounded to whole units.
    {
      name: "upsHighPrecBatteryCapacity",
      oid: `${P}.2.3.1.0`,
      kind: "integer",
      field: "battery_charge_pct",
      unit: "tenth",
    },
    { name: "upsAdvBatteryCapacity", oid: `${P}.2.2.1.0`, kind: "integer", field: "battery_charge_pct" },
    {
      name: "upsHighPrecBatteryTemperature",
      oid: `${P}.2.3.2.0`,
      kind: "integer",
      field: "temperature_c",
      unit: "tenth",
    },
    { name: "upsAdvBatteryTemperature", oid: `${P}.2.2.2.0`, kind: "integer", field: "temperature_c" },
    {
      name: "upsAdvBatteryRunTimeRemaining",
      oid: `${P}.2.2.3.0`,
      kind: "timeticks",
      field: "battery_runtime_s",
      unit: "timeticks",
    },
    { name: "upsAdvBatteryReplaceIndicator", oid: `${P}.2.2.4.0`, kind: "integer", tokens: { 1: "", 2: "RB" } },
    {
      name: "upsHighPrecBatteryActualVoltage",
      oid: `${P}.2.3.4.0`,
      kind: "integer",
      field: "battery_voltage_v",
      unit: "tenth",
    },
    { name: "upsAdvBatteryActualVoltage", oid: `${P}.2.2.8.0`, kind: "integer", field: "battery_voltage_v" },
    {
      name: "upsHighPrecInputLineVoltage",
      oid: `${P}.3.3.1.0`,
      kind: "integer",
      field: "input_voltage_v",
      unit: "tenth",
    },
    { name: "upsAdvInputLineVoltage", oid: `${P}.3.2.1.0`, kind: "integer", field: "input_voltage_v" },
    {
      name: "upsHighPrecInputFrequency",
      oid: `${P}.3.3.4.0`,
      kind: "integer",
      field: "input_frequency_hz",
      unit: "tenth",
    },
    { name: "upsAdvInputFrequency", oid: `${P}.3.2.4.0`, kind: "integer", field: "input_frequency_hz" },
    { name: "upsAdvInputLineFailCause", oid: `${P}.3.2.5.0`, kind: "integer" },
    {
      name: "upsBasicOutputStatus",
      oid: `${P}.4.1.1.0`,
      kind: "integer",
      tokens: {
        1: "",
        2: "OL",
        3: "OB DISCHRG",
        4: "OL BOOST",
        5: "OFF",
        6: "BYPASS",
        7: "OFF",
        8: "OFF",
        9: "BYPASS",
        10: "BYPASS ALARM",
        11: "OFF",
        12: "OL TRIM",
        13: "OL ECO",
        14: "OL",
        15: "OB DISCHRG CAL",
        16: "BYPASS",
        17: "BYPASS",
        18: "OL ECO",
        20: "OL ECO",
        28: "OL CAL",
      },
    },
    {
      name: "upsHighPrecOutputVoltage",
      oid: `${P}.4.3.1.0`,
      kind: "integer",
      field: "output_voltage_v",
      unit: "tenth",
    },
    { name: "upsAdvOutputVoltage", oid: `${P}.4.2.1.0`, kind: "integer", field: "output_voltage_v" },
    { name: "upsHighPrecOutputLoad", oid: `${P}.4.3.3.0`, kind: "integer", field: "load_pct", unit: "tenth" },
    { name: "upsAdvOutputLoad", oid: `${P}.4.2.3.0`, kind: "integer", field: "load_pct" },
    { name: "upsAdvOutputActivePower", oid: `${P}.4.2.8.0`, kind: "integer", field: "power_w" },
    { name: "upsAdvOutputApparentPower", oid: `${P}.4.2.9.0`, kind: "integer" },
  ],
};

export const EATON: MibProfile = {
  id: "eaton",
  label: "Eaton XUPS",
  sysObjectIds: ["1.3.6.1.4.1.534."],
  modelOid: `${X}.1.2.0`,
  manufacturerOid: `${X}.1.1.0`,
  manufacturer: "Eaton",
  scalars: [
    { name: "xupsIdentManufacturer", oid: `${X}.1.1.0`, kind: "text" },
    { name: "xupsIdentModel", oid: `${X}.1.2.0`, kind: "text" },
    { name: "xupsIdentSoftwareVersion", oid: `${X}.1.3.0`, kind: "text" },
    { name: "xupsBatTimeRemaining", oid: `${X}.2.1.0`, kind: "integer", field: "battery_runtime_s" },
    { name: "xupsBatVoltage", oid: `${X}.2.2.0`, kind: "integer", field: "battery_voltage_v" },
    { name: "xupsBatCapacity", oid: `${X}.2.4.0`, kind: "integer", field: "battery_charge_pct" },
    // ABM: 3 floating and 4 resting are neither charging nor discharging.
    { name: "xupsBatteryAbmStatus", oid: `${X}.2.5.0`, kind: "integer", tokens: { 1: "CHRG", 2: "DISCHRG" } },
    { name: "xupsInputFrequency", oid: `${X}.3.1.0`, kind: "integer", field: "input_frequency_hz", unit: "tenth" },
    { name: "xupsInputVoltage.1", oid: `${X}.3.4.1.2.1`, kind: "integer", field: "input_voltage_v" },
    // Some cards index the single-phase row as `.1.0`.
    { name: "xupsInputVoltage.1.0", oid: `${X}.3.4.1.2.1.0`, kind: "integer", field: "input_voltage_v" },
    { name: "xupsOutputLoad", oid: `${X}.4.1.0`, kind: "integer", field: "load_pct" },
    { name: "xupsOutputVoltage.1", oid: `${X}.4.4.1.2.1`, kind: "integer", field: "output_voltage_v" },
    { name: "xupsOutputWatts.1", oid: `${X}.4.4.1.4.1`, kind: "integer", field: "power_w" },
    {
      name: "xupsOutputSource",
      oid: `${X}.4.5.0`,
      kind: "integer",
      tokens: { ...OUTPUT_SOURCE, 8: "OL", 9: "OL", 10: "OL ECO", 11: "BYPASS", 12: "OL ECO" },
    },
    { name: "xupsEnvAmbientTemp", oid: `${X}.6.1.0`, kind: "integer", field: "temperature_c" },
    { name: "xupsAlarms", oid: `${X}.7.1.0`, kind: "integer" },
    { name: "xupsConfigOutputWatts", oid: `${X}.10.3.0`, kind: "integer", field: "nominal_power_w" },
  ],
  alarms: {
    countName: "xupsAlarms",
    descrColumn: `${X}.7.2.1.2`,
    descrName: "xupsAlarmDescr",
    tokens: {
      [`${X}.7.3`]: "OB", // xupsOnBattery
      [`${X}.7.4`]: "LB", // xupsLowBattery
      [`${X}.7.7`]: "OVER", // xupsOutputOverload
      [`${X}.7.11`]: "BYPASS", // xupsOnBypass
      [`${X}.7.13`]: "OFF", // xupsOutputOff
      [`${X}.7.23`]: "RB", // xupsAlarmBatteryBad
    },
  },
};

export const CYBERPOWER: MibProfile = {
  id: "cyberpower",
  label: "CyberPower CPS-MIB",
  sysObjectIds: ["1.3.6.1.4.1.3808."],
  modelOid: `${C}.1.1.1.0`,
  manufacturer: "CyberPower",
  scalars: [
    { name: "upsBaseIdentModel", oid: `${C}.1.1.1.0`, kind: "text" },
    { name: "upsBaseIdentName", oid: `${C}.1.1.2.0`, kind: "text" },
    { name: "upsAdvanceIdentFirmwareRevision", oid: `${C}.1.2.1.0`, kind: "text" },
    { name: "upsAdvanceIdentSerialNumber", oid: `${C}.1.2.3.0`, kind: "text" },
    { name: "upsBaseBatteryStatus", oid: `${C}.2.1.1.0`, kind: "integer", tokens: { 1: "", 2: "", 3: "LB" } },
    { name: "upsAdvanceBatteryCapacity", oid: `${C}.2.2.1.0`, kind: "integer", field: "battery_charge_pct" },
    {
      name: "upsAdvanceBatteryVoltage",
      oid: `${C}.2.2.2.0`,
      kind: "integer",
      field: "battery_voltage_v",
      unit: "tenth",
    },
    { name: "upsAdvanceBatteryTemperature", oid: `${C}.2.2.3.0`, kind: "integer", field: "temperature_c" },
    {
      name: "upsAdvanceBatteryRunTimeRemaining",
      oid: `${C}.2.2.4.0`,
      kind: "timeticks",
      field: "battery_runtime_s",
      unit: "timeticks",
    },
    { name: "upsAdvanceBatteryReplaceIndicator", oid: `${C}.2.2.5.0`, kind: "integer", tokens: { 1: "", 2: "RB" } },
    {
      name: "upsAdvanceInputLineVoltage",
      oid: `${C}.3.2.1.0`,
      kind: "integer",
      field: "input_voltage_v",
      unit: "tenth",
    },
    {
      name: "upsAdvanceInputFrequency",
      oid: `${C}.3.2.4.0`,
      kind: "integer",
      field: "input_frequency_hz",
      unit: "tenth",
    },
    {
      name: "upsBaseOutputStatus",
      oid: `${C}.4.1.1.0`,
      kind: "integer",
      tokens: {
        1: "",
        2: "OL",
        3: "OB DISCHRG",
        4: "OL BOOST",
        5: "OFF",
        6: "OFF",
        7: "OL",
        8: "OL ECO",
        9: "BYPASS",
        10: "OL TRIM",
        11: "OL OVER",
      },
    },
    { name: "upsAdvanceOutputVoltage", oid: `${C}.4.2.1.0`, kind: "integer", field: "output_voltage_v", unit: "tenth" },
    { name: "upsAdvanceOutputLoad", oid: `${C}.4.2.3.0`, kind: "integer", field: "load_pct" },
    { name: "upsAdvanceOutputPower", oid: `${C}.4.2.5.0`, kind: "integer", field: "power_w" },
    { name: "upsAdvanceTestCalibrationResults", oid: `${C}.7.2.7.0`, kind: "integer", tokens: { 3: "CAL" } },
  ],
};

export const PROFILES: Readonly<Record<ProfileId, MibProfile>> = {
  "ups-mib": UPS_MIB,
  apc: APC,
  eaton: EATON,
  cyberpower: CYBERPOWER,
};

/** Vendor profiles first: their devices often also answer parts of UPS-MIB, which is the fallback. */
const DETECTION_ORDER: readonly MibProfile[] = [APC, EATON, CYBERPOWER, UPS_MIB];

/** The profile whose sysObjectID prefix matches, or null; `1.3.6.1.2.1.33` matches itself and what is under it. */
export function profileForSysObjectId(sysObjectId: string): MibProfile | null {
  const oid = sysObjectId.replace(/^\./, "");
  return (
    DETECTION_ORDER.find((profile) =>
      profile.sysObjectIds.some((prefix) => oid === prefix.replace(/\.$/, "") || oid.startsWith(withDot(prefix))),
    ) ?? null
  );
}

function withDot(prefix: string): string {
  return prefix.endsWith(".") ? prefix : `${prefix}.`;
}
