/**
 * SNMP values checked against the type a profile expects. net-snmp hands over whatever the agent put on the wire
 * (a number for Integer, Gauge and TimeTicks alike, a Buffer for text), so a value in the wrong type would be read
 * in the wrong unit, or not be a number at all: it is reported and not used.
 */
import { ObjectType, type Varbind } from "net-snmp";
import type { ScalarDef, Unit, ValueKind } from "./profiles";

export type Decoded =
  | { state: "ok"; value: number | string; text: string }
  | { state: "missing" }
  | { state: "wrong-type"; text: string; got: string };

const EXPECTED: Record<ValueKind, readonly number[]> = {
  integer: [ObjectType.Integer, ObjectType.Gauge, ObjectType.Counter],
  timeticks: [ObjectType.TimeTicks],
  text: [ObjectType.OctetString],
  oid: [ObjectType.OID],
};

const MISSING: readonly number[] = [ObjectType.NoSuchObject, ObjectType.NoSuchInstance, ObjectType.EndOfMibView];

export function decode(kind: ValueKind, varbind: Varbind | undefined): Decoded {
  if (!varbind || MISSING.includes(varbind.type) || varbind.type === ObjectType.Null) return { state: "missing" };
  const text = rawText(varbind);
  if (!EXPECTED[kind].includes(varbind.type)) return { state: "wrong-type", text, got: typeName(varbind.type) };
  if (kind === "integer" || kind === "timeticks") {
    const value = varbind.value as unknown;
    if (typeof value !== "number" || !Number.isFinite(value)) return { state: "wrong-type", text, got: "non-number" };
    return { state: "ok", value, text };
  }
  return { state: "ok", value: text, text };
}

/** The value as text for `vars`: numbers in decimal (TimeTicks raw, in 1/100 s), text as text, OIDs dotted. */
export function rawText(varbind: Varbind): string {
  const value = varbind.value as unknown;
  if (Buffer.isBuffer(value)) return varbind.type === ObjectType.OctetString ? bufferText(value) : hex(value);
  if (value === null || value === undefined) return "";
  return String(value);
}

/** Printable UTF-8 stays text (trailing NULs, which some cards pad with, trimmed); anything else becomes hex. */
function bufferText(buffer: Buffer): string {
  const text = buffer.toString("utf8").replace(/\0+$/, "");
  // eslint-disable-next-line no-control-regex
  const printable = !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/.test(text);
  return printable ? text : hex(buffer);
}

function hex(buffer: Buffer): string {
  return buffer
    .toString("hex")
    .toUpperCase()
    .replace(/(..)(?!$)/g, "$1 ");
}

export function typeName(type: number): string {
  const name = Object.entries(ObjectType).find(([, value]) => value === type)?.[0];
  return name ?? `type ${type}`;
}

export function expectedTypeName(kind: ValueKind): string {
  return EXPECTED[kind].map(typeName).join(" or ");
}

/** The raw number in the Snapshot's unit. Division, not multiplication by 0.1, keeps 2301 -> 230.1 exact. */
export function convert(value: number, unit: Unit = "one"): number {
  switch (unit) {
    case "tenth":
      return value / 10;
    case "minute":
      return value * 60;
    case "timeticks":
      return value / 100;
    default:
      return value;
  }
}

/** A scalar's value in the Snapshot's unit, or null when it is missing or not a number. */
export function measurementOf(def: ScalarDef, decoded: Decoded): number | null {
  if (decoded.state !== "ok" || typeof decoded.value !== "number") return null;
  return convert(decoded.value, def.unit);
}
