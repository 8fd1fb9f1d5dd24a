/**
 * One SnmpSession per agent, credentials and timing, shared by every driver polling through it and counted by its
 * users, so fifty nodes on one agent hold one socket (and one v3 engine discovery), and the last release closes it.
 */
import { createHash } from "node:crypto";
import { SnmpSession, type SessionFactory, type SnmpTarget } from "./session";

interface Entry {
  session: SnmpSession;
  users: number;
}

export class SnmpSessionPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly factory?: SessionFactory) {}

  acquire(target: SnmpTarget): SnmpSession {
    const key = keyOf(target);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { session: new SnmpSession(target, this.factory), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    return entry.session;
  }

  release(session: SnmpSession): void {
    const key = keyOf(session.target);
    const entry = this.entries.get(key);
    if (!entry || entry.session !== session) return;
    if (--entry.users > 0) return;
    this.entries.delete(key);
    session.close();
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Secrets are part of the identity (other keys, other session) but hashed, so the key holds none of them. */
function keyOf(target: SnmpTarget): string {
  const v3 = target.v3;
  const secrets = createHash("sha256")
    .update(JSON.stringify([target.community, v3?.auth_key ?? "", v3?.priv_key ?? ""]))
    .digest("base64url");
  return JSON.stringify([
    target.host.toLowerCase(),
    target.port,
    target.version,
    target.timeout_ms,
    target.retries,
    v3 ? [v3.username, v3.level, v3.auth_protocol, v3.priv_protocol, v3.context] : null,
    secrets,
  ]);
}

/** The process-wide pool the nodes and the server share. */
export const snmpSessions = new SnmpSessionPool();
