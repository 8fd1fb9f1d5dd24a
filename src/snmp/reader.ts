/**
 * Reading a profile's values: one GET of all its scalar OIDs per poll, and a walk of the alarm column only when
 * alarms are present.
 *
 * A GET is all-or-nothing in SNMPv1: one OID the agent lacks fails the whole request with noSuchName and the index
 * of that OID. The OID is then left out and the rest asked again, and remembered as absent so later polls do not
 * pay that extra round trip (it is asked again after a while, in case a firmware update added it). v2c and v3
 * answer noSuchObject/noSuchInstance per OID instead, which costs nothing. An agent error (genErr) that names one
 * OID leaves that one out too, a few times per poll at most; tooBig splits the request in halves.
 */
import { ObjectType, type Varbind } from "net-snmp";
import { SnmpError } from "./errors";
import type { SnmpSession } from "./session";

/** How long an OID that a v1 agent said it lacks is left out of the GET before it is asked again. */
export const ABSENT_RECHECK_MS = 10 * 60_000;
/** Agent errors tolerated per poll before the poll fails with AGENT-ERROR. */
const MAX_AGENT_ERRORS = 3;
/** Alarm tables list a handful of rows; a walk that goes on is an agent bug, not a reason to loop forever. */
const MAX_WALK_ROWS = 64;
const BULK_REPETITIONS = 16;

export interface ScalarReading {
  varbinds: Map<string, Varbind>;
  /** Agent errors that named one OID, which was left out. */
  agentErrors: SnmpError[];
}

export class ScalarReader {
  /** OID -> time until which it is left out (v1 noSuchName). */
  private readonly absentUntil = new Map<string, number>();

  constructor(
    private readonly session: SnmpSession,
    private readonly now: () => number = Date.now,
  ) {}

  async read(oids: readonly string[]): Promise<ScalarReading> {
    const reading: ScalarReading = { varbinds: new Map(), agentErrors: [] };
    await this.getInto(this.present(oids), reading);
    return reading;
  }

  /** OIDs currently left out as absent, for diagnostics and tests. */
  get absent(): string[] {
    return [...this.absentUntil.keys()];
  }

  private present(oids: readonly string[]): string[] {
    const now = this.now();
    return oids.filter((oid) => {
      const until = this.absentUntil.get(oid);
      if (until === undefined) return true;
      if (until > now) return false;
      this.absentUntil.delete(oid);
      return true;
    });
  }

  private async getInto(oids: string[], reading: ScalarReading): Promise<void> {
    if (oids.length === 0) return;
    try {
      const varbinds = await this.session.get(oids);
      // Keyed by the OID asked for: a sloppy agent may echo another OID, but the position is what net-snmp checks.
      oids.forEach((oid, i) => {
        const varbind = varbinds[i];
        if (varbind) reading.varbinds.set(oid, varbind);
      });
    } catch (error) {
      await this.recover(oids, reading, error);
    }
  }

  private async recover(oids: string[], reading: ScalarReading, error: unknown): Promise<void> {
    if (!(error instanceof SnmpError)) throw error;
    const named = error.oid !== undefined && oids.includes(error.oid) ? error.oid : undefined;
    if (error.code === "TOO-BIG" && oids.length > 1) return this.inHalves(oids, reading);
    if (error.code === "NO-SUCH-NAME" && (named || oids.length === 1)) {
      const missing = named ?? (oids[0] as string);
      this.absentUntil.set(missing, this.now() + ABSENT_RECHECK_MS);
      reading.varbinds.set(missing, { oid: missing, type: ObjectType.NoSuchObject, value: null });
      return this.getInto(without(oids, missing), reading);
    }
    if (error.code === "NO-SUCH-NAME" && oids.length > 1) return this.oneByOne(oids, reading);
    if (error.code === "AGENT-ERROR" && named && reading.agentErrors.length < MAX_AGENT_ERRORS) {
      reading.agentErrors.push(error);
      return this.getInto(without(oids, named), reading);
    }
    throw error;
  }

  private async inHalves(oids: string[], reading: ScalarReading): Promise<void> {
    const middle = Math.ceil(oids.length / 2);
    await this.getInto(oids.slice(0, middle), reading);
    await this.getInto(oids.slice(middle), reading);
  }

  /** An agent that says noSuchName without saying which: ask each OID alone. */
  private async oneByOne(oids: string[], reading: ScalarReading): Promise<void> {
    for (const oid of oids) await this.getInto([oid], reading);
  }
}

function without(oids: string[], oid: string): string[] {
  return oids.filter((candidate) => candidate !== oid);
}

/**
 * The rows of one table column, by row index (the OID after the column). GETBULK for v2c/v3, GETNEXT for v1
 * (which has no GETBULK). Stops at the end of the column, at endOfMibView, or when an agent goes backwards.
 */
export async function walkColumn(
  session: SnmpSession,
  version: "1" | "2c" | "3",
  column: string,
): Promise<Map<string, Varbind>> {
  const rows = new Map<string, Varbind>();
  const prefix = `${column}.`;
  let cursor = column;
  while (rows.size < MAX_WALK_ROWS) {
    const batch = await nextBatch(session, version, cursor);
    const next = takeRows(batch, prefix, cursor, rows);
    if (next === null) break;
    cursor = next;
  }
  return rows;
}

async function nextBatch(session: SnmpSession, version: "1" | "2c" | "3", cursor: string): Promise<Varbind[]> {
  if (version !== "1") return (await session.getBulk([cursor], BULK_REPETITIONS))[0] ?? [];
  try {
    return await session.getNext([cursor]);
  } catch (error) {
    // A v1 agent answers a GETNEXT past its last OID with noSuchName: the end of the walk, not a failure.
    if (error instanceof SnmpError && error.code === "NO-SUCH-NAME") return [];
    throw error;
  }
}

/** Adds the batch's rows under the prefix; the OID to continue from, or null when the column ended. */
function takeRows(batch: Varbind[], prefix: string, cursor: string, rows: Map<string, Varbind>): string | null {
  let last = cursor;
  for (const varbind of batch) {
    const ended = varbind.type === ObjectType.EndOfMibView || !varbind.oid.startsWith(prefix);
    if (ended || compareOids(varbind.oid, last) <= 0) return null;
    rows.set(varbind.oid.slice(prefix.length), varbind);
    last = varbind.oid;
  }
  return batch.length === 0 ? null : last;
}

export function compareOids(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] as number) - (right[i] as number);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
