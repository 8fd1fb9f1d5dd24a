/**
 * One net-snmp session to one agent with one set of credentials, kept for as long as someone polls through it
 * (a new session per poll would repeat v3 engine discovery every time and churn sockets).
 *
 * net-snmp's pitfalls handled here (`notes/snmp.md`): a request's callback can be lost after a socket error, so
 * every request has a watchdog timer of our own; socket errors only reach `session.dgram`'s 'error' event, so that
 * is listened to, and a socket that failed or closed under us is replaced by a new session on the next request.
 */
import { isIPv6 } from "node:net";
import * as snmp from "net-snmp";
import type { Session, Varbind } from "net-snmp";
import type { SnmpSettings } from "../model/snmp-settings";
import { fromNetSnmp, SnmpError } from "./errors";

/** Everything that identifies a session: the settings minus what only the driver uses. */
export type SnmpTarget = Omit<SnmpSettings, "profile">;

/** Slack over net-snmp's own timeout x (retries + 1), so its RequestTimedOutError normally comes first. */
const WATCHDOG_SLACK_MS = 250;

type Callback<T> = (error: Error | null, result?: T) => void;

interface Pending {
  fail(error: SnmpError): void;
}

export type SessionFactory = (target: SnmpTarget) => Session;

export class SnmpSession {
  private session: Session | null = null;
  /** v3: false until the agent answered once, i.e. until engine discovery is done (it doubles the first wait). */
  private discovered = false;
  private closed = false;
  private readonly pending = new Set<Pending>();

  constructor(
    readonly target: SnmpTarget,
    private readonly factory: SessionFactory = createNetSnmpSession,
  ) {}

  get(oids: readonly string[]): Promise<Varbind[]> {
    return this.request<Varbind[]>((session, done) => session.get([...oids], done));
  }

  getNext(oids: readonly string[]): Promise<Varbind[]> {
    return this.request<Varbind[]>((session, done) => session.getNext([...oids], done));
  }

  /** One GETBULK without non-repeaters: a list of rows per requested OID. */
  getBulk(oids: readonly string[], maxRepetitions: number): Promise<Varbind[][]> {
    return this.request<Varbind[][]>((session, done) => session.getBulk([...oids], 0, maxRepetitions, done));
  }

  /** Requests waiting for an answer right now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Fails what is in flight with CLOSED and closes the socket; the session cannot be used again. */
  close(): void {
    this.closed = true;
    this.discard(new SnmpError("CLOSED"));
  }

  private request<T>(send: (session: Session, done: Callback<T>) => void): Promise<T> {
    if (this.closed) return Promise.reject(new SnmpError("CLOSED"));
    let session: Session;
    try {
      session = this.current();
    } catch (error) {
      return Promise.reject(fromNetSnmp(error));
    }
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const entry: Pending = { fail: (error) => finish(error) };
      const finish = (error: unknown, result?: T) => {
        if (!this.pending.delete(entry)) return; // settled already (watchdog, socket error or close)
        clearTimeout(timer);
        if (error) return reject(fromNetSnmp(error));
        if (session === this.session) this.discovered = true;
        resolve(result as T);
      };
      this.pending.add(entry);
      timer = setTimeout(() => finish(new SnmpError("TIMEOUT", "no callback from net-snmp")), this.watchdogMs());
      try {
        send(session, (error, result) => finish(error, result));
      } catch (error) {
        finish(error);
      }
    });
  }

  private watchdogMs(): number {
    const budget = this.target.timeout_ms * (this.target.retries + 1);
    const rounds = this.target.version === "3" && !this.discovered ? 2 : 1;
    return budget * rounds + WATCHDOG_SLACK_MS;
  }

  private current(): Session {
    if (this.session) return this.session;
    const session = this.factory(this.target);
    // net-snmp's own 'error' handler re-emits the error object as an event name, which nobody can listen to.
    session.dgram.on("error", (error) => this.onSocketFailure(session, fromNetSnmp(error)));
    session.dgram.on("close", () => this.onSocketFailure(session, new SnmpError("CLOSED")));
    this.session = session;
    this.discovered = false;
    return session;
  }

  /** A socket that failed or closed is dropped; the next request opens a new one. */
  private onSocketFailure(session: Session, error: SnmpError): void {
    if (session !== this.session) return;
    this.discard(error);
  }

  private discard(error: SnmpError): void {
    const session = this.session;
    this.session = null;
    for (const entry of [...this.pending]) entry.fail(error);
    if (!session) return;
    try {
      session.close();
    } catch {
      // already closed by the failure that brought us here
    }
  }
}

/** The net-snmp session for a target: community based for v1/v2c, USM for v3. */
export function createNetSnmpSession(target: SnmpTarget): Session {
  const options = {
    port: target.port,
    timeout: target.timeout_ms,
    retries: target.retries,
    backoff: 1,
    transport: isIPv6(target.host) ? ("udp6" as const) : ("udp4" as const),
  };
  if (target.version !== "3") {
    const version = target.version === "1" ? snmp.Version1 : snmp.Version2c;
    return snmp.createSession(target.host, target.community, { ...options, version });
  }
  if (!target.v3) throw new SnmpError("UNKNOWN-ERROR", "SNMPv3 without a user");
  const { v3 } = target;
  const user: snmp.V3User = { name: v3.username, level: snmp.SecurityLevel[v3.level] };
  if (v3.level !== "noAuthNoPriv") {
    user.authProtocol = snmp.AuthProtocols[v3.auth_protocol];
    user.authKey = v3.auth_key;
  }
  if (v3.level === "authPriv") {
    user.privProtocol = snmp.PrivProtocols[v3.priv_protocol];
    user.privKey = v3.priv_key;
  }
  return snmp.createV3Session(target.host, user, { ...options, context: v3.context });
}
