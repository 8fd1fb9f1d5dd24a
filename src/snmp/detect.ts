/**
 * `auto` profile detection: sysObjectID's prefix names a candidate, one GET of the candidate's model OID confirms
 * it (a vendor's sysObjectID on a card that only speaks UPS-MIB is not rare), and UPS-MIB is the fallback.
 */
import { decode } from "./values";
import { profileForSysObjectId, SYS_OBJECT_ID, UPS_MIB, type MibProfile } from "./profiles";
import type { ScalarReader } from "./reader";

export interface Detection {
  profile: MibProfile;
  sysObjectId: string | null;
  /** True when the candidate's model OID answered; false for the UPS-MIB fallback without confirmation. */
  confirmed: boolean;
}

export async function detectProfile(reader: ScalarReader): Promise<Detection> {
  const sysObjectId = await readOne(reader, SYS_OBJECT_ID, "oid");
  const candidate = sysObjectId === null ? null : profileForSysObjectId(sysObjectId);
  if (candidate && (await readOne(reader, candidate.modelOid, "text")) !== null) {
    return { profile: candidate, sysObjectId, confirmed: true };
  }
  return { profile: UPS_MIB, sysObjectId, confirmed: false };
}

async function readOne(reader: ScalarReader, oid: string, kind: "oid" | "text"): Promise<string | null> {
  const { varbinds } = await reader.read([oid]);
  const decoded = decode(kind, varbinds.get(oid));
  return decoded.state === "ok" && decoded.text !== "" ? decoded.text : null;
}
