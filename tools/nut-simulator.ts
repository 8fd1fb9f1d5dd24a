/**
 * A small NUT network protocol (upsd 2.8.0) simulator, for demos where Debian's nut-server is not installed and
 * for fault-injection tests: stalls, dropped lists, garbage and oversized replies, slow replies and refused
 * sessions are things a real upsd cannot be made to do on demand. Not part of the published package.
 *
 * Deliberately independent of src/nut: a second, separate reading of the protocol catches mistakes that a
 * simulator sharing the client's parser would repeat.
 */
import { randomUUID } from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";

export interface SimUps {
  name: string;
  desc?: string;
  vars: Record<string, string>;
  /** Writable variable names. */
  rw?: string[];
  /** Instant commands, e.g. ["load.off", "beeper.toggle"]. */
  commands?: string[];
}

export interface SimUser {
  password: string;
  instcmds?: string[] | "all";
  /** SET VAR (and FSD, which the simulator grants with the same right). */
  canSet?: boolean;
}

/** PEM key and certificate; without them STARTTLS answers ERR FEATURE-NOT-CONFIGURED, as an unconfigured upsd. */
export interface SimTls {
  key: string;
  cert: string;
}

export interface SimFaults {
  /** Read commands but never answer any (a stalled upsd). */
  silentReplies?: boolean;
  /** On LIST VAR: send BEGIN LIST and one item, then destroy the socket. */
  dropMidList?: boolean;
  /** Answer the next command with this raw line instead of the real reply (once). */
  garbageReply?: string | null;
  /** Answer the next command with one line of this many bytes, newline only at the end (once). */
  longLineBytes?: number | null;
  /** Delay every reply by this much, per connection (other connections are not held up). */
  delayMs?: number;
  /** Accept connections and destroy them at once. */
  refuseAfterAccept?: boolean;
}

export interface NutSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  upses: SimUps[];
  users?: Record<string, SimUser>;
  tls?: SimTls;
  /** upsd drops a client 60 s after its last command; default 60000. */
  idleTimeoutMs?: number;
  /** Called after an INSTCMD was accepted, so a demo can make the command visible (e.g. beeper.disable). */
  onInstcmd?: (ups: string, command: string, param: string | undefined) => void;
}

export const SIM_VERSION_LINE = "Network UPS Tools upsd 2.8.0 - https://www.networkupstools.org/";
const PROTOCOL_VERSION = "1.3";
const HELP_LINE = "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS";
/** upsd drops a client whose input line grows past its buffer. */
const MAX_LINE_BYTES = 1024;
const MAX_VALUE_CHARS = 256;
const NEWLINE = 0x0a;

/** Quotes a value the way upsd does: `"`, `\` and `#` backslash-escaped inside double quotes. */
export function quoteValue(value: string): string {
  return `"${value.replace(/["\\#]/g, "\\$&")}"`;
}

export interface ParsedCommand {
  words: string[];
  /** upsd 2.8.0 sends no reply to such a line and drops the rest of that read buffer (see the notes). */
  hashInQuotes: boolean;
}

/**
 * Splits a command line into words like upsd's parser: whitespace separates words, a double-quoted word may hold
 * spaces, `\X` stands for `X` (in quotes and out), and an unquoted `#` starts a comment.
 */
export function parseCommand(line: string): ParsedCommand {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let inQuotes = false;
  let hashInQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (ch === "\\") {
      i++;
      word += line.charAt(i);
      inWord = true;
    } else if (inQuotes) {
      if (ch === '"') inQuotes = false;
      else word += ch;
      if (ch === "#") hashInQuotes = true;
    } else if (ch === " " || ch === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (ch === "#") {
      break;
    } else if (ch === '"') {
      inQuotes = true;
      inWord = true;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words, hashInQuotes };
}

/** What the session does after writing a reply. */
type After = "close" | "destroy" | "starttls";

interface Reply {
  lines: string[];
  after?: After;
}

type LineOutcome = { kind: "reply"; reply: Reply } | { kind: "silent" } | { kind: "drop-rest" };

interface VarState {
  name: string;
  value: string;
}

interface UpsState {
  name: string;
  desc: string;
  /** Keyed by lower-case name: NUT names are case-insensitive. */
  vars: Map<string, VarState>;
  rw: Set<string>;
  commands: Map<string, string>;
}

/** What the command handlers may read and change about one client. */
interface ClientState {
  readonly address: string;
  readonly tls: boolean;
  username?: string;
  password?: string;
  loginUps?: string;
  tracking: boolean;
}

interface SessionHost {
  readonly faults: SimFaults;
  readonly idleTimeoutMs: number;
  readonly secureContext: tls.SecureContext | undefined;
  handleLine(client: ClientState, line: string): LineOutcome;
}

function reply(...lines: string[]): LineOutcome {
  return { kind: "reply", reply: { lines } };
}

function err(code: string): LineOutcome {
  return reply(`ERR ${code}`);
}

/** One client connection: framing, the ordered (optionally delayed) reply queue, STARTTLS and the idle timer. */
class Session implements ClientState {
  readonly address: string;
  tls = false;
  username?: string;
  password?: string;
  loginUps?: string;
  tracking = false;
  readonly closed: Promise<void>;

  private stream: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private readonly queue: { dueAt: number; reply: Reply }[] = [];
  private lastDueAt = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set once a reply ends the session or switches to TLS: later plaintext input must not be read as commands. */
  private halted = false;
  private finished = false;
  private markClosed: () => void = () => undefined;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);

  constructor(
    private readonly raw: net.Socket,
    private readonly host: SessionHost,
  ) {
    this.address = raw.remoteAddress ?? "unknown";
    this.stream = raw;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.watch(raw);
    raw.on("data", this.onData);
    this.touch();
  }

  destroy(): void {
    this.halted = true;
    this.stream.destroy();
    this.raw.destroy();
  }

  private watch(socket: net.Socket): void {
    // A reset client must never become an unhandled 'error' that takes the process down.
    socket.on("error", () => this.destroy());
    socket.on("close", () => this.finish());
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.halted = true;
    clearTimeout(this.queueTimer);
    clearTimeout(this.idleTimer);
    this.queue.length = 0;
    this.stream.destroy();
    this.raw.destroy();
    this.markClosed();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.destroy(), this.host.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private receive(chunk: Buffer): void {
    if (this.halted) return;
    const buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let start = 0;
    for (let end = buffer.indexOf(NEWLINE); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      // upsd drops a client whose line outgrows its buffer rather than guessing where the next command starts.
      if (end - start > MAX_LINE_BYTES) return this.destroy();
      const line = buffer.toString("utf8", start, end).replace(/\r/g, "");
      start = end + 1;
      if (!this.runLine(line)) return;
    }
    const rest = buffer.subarray(start);
    if (rest.length > MAX_LINE_BYTES) return this.destroy();
    this.pending = rest;
  }

  /** Runs one command; false when the rest of this read buffer must be thrown away. */
  private runLine(line: string): boolean {
    this.touch();
    const outcome = this.host.handleLine(this, line);
    if (outcome.kind === "drop-rest") return false;
    if (outcome.kind === "silent") return true;
    // Decided before enqueueing: delivering may upgrade to TLS at once, and plaintext after STARTTLS is no command.
    const last = outcome.reply.after !== undefined;
    if (last) this.halted = true;
    this.enqueue(outcome.reply);
    return !last;
  }

  private enqueue(reply: Reply): void {
    // Due times never go backwards, so a delayed batch still leaves in the order it came in.
    const dueAt = Math.max(Date.now() + (this.host.faults.delayMs ?? 0), this.lastDueAt);
    this.lastDueAt = dueAt;
    this.queue.push({ dueAt, reply });
    this.pump();
  }

  private pump(): void {
    while (!this.finished && this.queueTimer === undefined) {
      const head = this.queue[0];
      if (!head) return;
      const wait = head.dueAt - Date.now();
      if (wait > 0) {
        this.queueTimer = setTimeout(() => {
          this.queueTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      this.deliver(head.reply);
    }
  }

  private deliver(reply: Reply): void {
    const text = reply.lines.map((line) => `${line}\n`).join("");
    const stream = this.stream;
    if (reply.after === "close") stream.end(text, () => stream.destroy());
    else if (reply.after === "destroy") stream.write(text, () => stream.destroy());
    else stream.write(text);
    if (reply.after === "starttls") this.upgrade();
  }

  /** Runs in the same tick as the OK STARTTLS write, so no ClientHello byte can reach the plaintext reader. */
  private upgrade(): void {
    const context = this.host.secureContext;
    if (!context) return this.destroy();
    this.raw.off("data", this.onData);
    this.pending = Buffer.alloc(0);
    const secure = new tls.TLSSocket(this.raw, { isServer: true, secureContext: context });
    this.stream = secure;
    this.tls = true;
    this.watch(secure);
    secure.on("data", this.onData);
    this.halted = false;
  }
}

/** An in-process upsd look-alike; see the module comment. */
export class NutSimulator {
  faults: SimFaults = {};
  /** Commands received, in order, with the PASSWORD argument replaced by "***". */
  readonly received: string[] = [];

  private readonly host: string;
  private readonly requestedPort: number;
  private readonly upses = new Map<string, UpsState>();
  private readonly users: Record<string, SimUser>;
  private readonly sessions = new Set<Session>();
  private readonly sessionHost: SessionHost;
  private readonly onInstcmd: NutSimulatorOptions["onInstcmd"];
  private readonly trackingIds = new Set<string>();
  private server: net.Server | undefined;
  private boundPort = 0;
  private accepted = 0;

  constructor(opts: NutSimulatorOptions) {
    this.host = opts.host ?? "127.0.0.1";
    this.requestedPort = opts.port ?? 0;
    this.users = { ...opts.users };
    this.onInstcmd = opts.onInstcmd;
    for (const ups of opts.upses) this.upses.set(ups.name.toLowerCase(), toUpsState(ups));
    const secureContext = opts.tls ? tls.createSecureContext({ key: opts.tls.key, cert: opts.tls.cert }) : undefined;
    const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    // The faults getter keeps sessions reading the current object, which tests may replace at any time.
    const faultsOf = (): SimFaults => this.faults;
    this.sessionHost = {
      get faults() {
        return faultsOf();
      },
      idleTimeoutMs,
      secureContext,
      handleLine: (client, line) => this.handleLine(client, line),
    };
  }

  get port(): number {
    return this.boundPort;
  }

  get openConnections(): number {
    return this.sessions.size;
  }

  get acceptedConnections(): number {
    return this.accepted;
  }

  start(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error("NutSimulator already started"));
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off("error", reject);
        server.on("error", () => undefined);
        const address = server.address();
        this.boundPort = typeof address === "object" && address ? address.port : this.requestedPort;
        resolve({ host: this.host, port: this.boundPort });
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closing = [...this.sessions].map((session) => session.closed);
    for (const session of this.sessions) session.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(closing);
  }

  setVar(ups: string, name: string, value: string): void {
    const state = this.requireUps(ups);
    const existing = state.vars.get(name.toLowerCase());
    if (existing) existing.value = value;
    else state.vars.set(name.toLowerCase(), { name, value });
  }

  removeVar(ups: string, name: string): void {
    this.requireUps(ups).vars.delete(name.toLowerCase());
  }

  private requireUps(name: string): UpsState {
    const ups = this.upses.get(name.toLowerCase());
    if (!ups) throw new Error(`NutSimulator has no UPS named ${name}`);
    return ups;
  }

  private accept(socket: net.Socket): void {
    this.accepted++;
    const session = new Session(socket, this.sessionHost);
    this.sessions.add(session);
    void session.closed.then(() => this.sessions.delete(session));
    if (this.faults.refuseAfterAccept) session.destroy();
  }

  private handleLine(client: ClientState, line: string): LineOutcome {
    const { words, hashInQuotes } = parseCommand(line);
    if (words.length === 0) return { kind: "silent" };
    this.received.push(maskPassword(line, words));
    if (hashInQuotes) return { kind: "drop-rest" };
    const injected = this.injectedReply();
    if (injected) return injected;
    try {
      return this.dispatch(client, words);
    } catch {
      // Never let a bad line take the simulator down; upsd would answer something, so do too.
      return err("INVALID-ARGUMENT");
    }
  }

  /** The one-shot and stalling faults, which replace whatever the command would have answered. */
  private injectedReply(): LineOutcome | undefined {
    const faults = this.faults;
    if (faults.silentReplies) return { kind: "silent" };
    if (faults.garbageReply != null) {
      const garbage = faults.garbageReply;
      faults.garbageReply = null;
      return reply(garbage);
    }
    if (faults.longLineBytes != null) {
      const bytes = faults.longLineBytes;
      faults.longLineBytes = null;
      return reply("X".repeat(Math.max(0, bytes)));
    }
    return undefined;
  }

  private dispatch(client: ClientState, words: string[]): LineOutcome {
    const args = words.slice(1);
    switch (words[0]?.toUpperCase()) {
      case "VER":
        return reply(SIM_VERSION_LINE);
      case "NETVER":
      case "PROTVER":
        return reply(PROTOCOL_VERSION);
      case "HELP":
        return reply(HELP_LINE);
      case "STARTTLS":
        return this.startTls(client);
      case "USERNAME":
        return this.setUsername(client, args);
      case "PASSWORD":
        return this.setPassword(client, args);
      case "LOGIN":
        return this.login(client, args);
      case "LOGOUT":
        return { kind: "reply", reply: { lines: ["OK Goodbye"], after: "close" } };
      case "GET":
        return this.get(client, args);
      case "LIST":
        return this.list(args);
      case "SET":
        return this.set(client, args);
      case "INSTCMD":
        return this.instcmd(client, args);
      case "FSD":
        return this.fsd(client, args);
      default:
        return err("UNKNOWN-COMMAND");
    }
  }

  private startTls(client: ClientState): LineOutcome {
    if (client.tls) return err("ALREADY-SSL-MODE");
    if (!this.sessionHost.secureContext) return err("FEATURE-NOT-CONFIGURED");
    return { kind: "reply", reply: { lines: ["OK STARTTLS"], after: "starttls" } };
  }

  private setUsername(client: ClientState, args: string[]): LineOutcome {
    if (client.username !== undefined) return err("ALREADY-SET-USERNAME");
    if (args[0] === undefined) return err("INVALID-ARGUMENT");
    client.username = args[0];
    return reply("OK");
  }

  /** Always OK, right or wrong, as upsd: a bad password only shows as ACCESS-DENIED later. */
  private setPassword(client: ClientState, args: string[]): LineOutcome {
    if (client.password !== undefined) return err("ALREADY-SET-PASSWORD");
    if (args[0] === undefined) return err("INVALID-ARGUMENT");
    client.password = args[0];
    return reply("OK");
  }

  private login(client: ClientState, args: string[]): LineOutcome {
    if (client.loginUps !== undefined) return err("ALREADY-LOGGED-IN");
    if (client.username === undefined) return err("USERNAME-REQUIRED");
    if (client.password === undefined) return err("PASSWORD-REQUIRED");
    if (args[0] === undefined) return err("INVALID-ARGUMENT");
    const ups = this.upses.get(args[0].toLowerCase());
    if (!ups) return err("UNKNOWN-UPS");
    if (!this.authenticated(client)) return err("ACCESS-DENIED");
    client.loginUps = ups.name;
    return reply("OK");
  }

  private authenticated(client: ClientState): SimUser | undefined {
    if (client.username === undefined) return undefined;
    const user = Object.hasOwn(this.users, client.username) ? this.users[client.username] : undefined;
    return user && user.password === client.password ? user : undefined;
  }

  private get(client: ClientState, args: string[]): LineOutcome {
    const [sub = "", upsName, name] = args;
    const kind = sub.toUpperCase();
    if (kind === "TRACKING") return this.getTracking(client, upsName);
    const needsName = ["VAR", "TYPE", "DESC", "CMDDESC"].includes(kind);
    if (!needsName && kind !== "UPSDESC" && kind !== "NUMLOGINS") return err("INVALID-ARGUMENT");
    if (upsName === undefined || (needsName && name === undefined)) return err("INVALID-ARGUMENT");
    const ups = this.upses.get(upsName.toLowerCase());
    if (!ups) return err("UNKNOWN-UPS");
    if (kind === "UPSDESC") return reply(`UPSDESC ${upsName} ${quoteValue(ups.desc)}`);
    if (kind === "NUMLOGINS") return reply(`NUMLOGINS ${upsName} ${this.loginsTo(ups)}`);
    return this.getNamed(kind, ups, upsName, name ?? "");
  }

  private getNamed(kind: string, ups: UpsState, upsName: string, name: string): LineOutcome {
    if (kind === "CMDDESC") {
      if (!ups.commands.has(name.toLowerCase())) return err("CMD-NOT-SUPPORTED");
      return reply(`CMDDESC ${upsName} ${name} ${quoteValue("Description unavailable")}`);
    }
    const variable = ups.vars.get(name.toLowerCase());
    if (!variable) return err("VAR-NOT-SUPPORTED");
    if (kind === "VAR") return reply(`VAR ${upsName} ${name} ${quoteValue(variable.value)}`);
    if (kind === "DESC") return reply(`DESC ${upsName} ${name} ${quoteValue("Description unavailable")}`);
    return reply(`TYPE ${upsName} ${name} ${typeOf(variable, ups.rw.has(name.toLowerCase()))}`);
  }

  private getTracking(client: ClientState, id: string | undefined): LineOutcome {
    if (id === undefined) return reply(client.tracking ? "ON" : "OFF");
    return this.trackingIds.has(id) ? reply("SUCCESS") : err("UNKNOWN");
  }

  private loginsTo(ups: UpsState): number {
    return [...this.sessions].filter((session) => session.loginUps === ups.name).length;
  }

  private list(args: string[]): LineOutcome {
    const [sub = "", upsName, name] = args;
    const kind = sub.toUpperCase();
    if (kind === "UPS") return this.listUps();
    if (upsName === undefined) return err("INVALID-ARGUMENT");
    const known = ["VAR", "RW", "CMD", "ENUM", "RANGE", "CLIENT"];
    if (!known.includes(kind)) return err("INVALID-ARGUMENT");
    if ((kind === "ENUM" || kind === "RANGE") && name === undefined) return err("INVALID-ARGUMENT");
    const ups = this.upses.get(upsName.toLowerCase());
    if (!ups) return err("UNKNOWN-UPS");
    const heading = name === undefined ? `${kind} ${upsName}` : `${kind} ${upsName} ${name}`;
    const items = this.listItems(kind, ups, upsName, name ?? "");
    if (items === undefined) return err("VAR-NOT-SUPPORTED");
    if (kind === "VAR" && this.faults.dropMidList) {
      return { kind: "reply", reply: { lines: [`BEGIN LIST ${heading}`, ...items.slice(0, 1)], after: "destroy" } };
    }
    return reply(`BEGIN LIST ${heading}`, ...items, `END LIST ${heading}`);
  }

  private listUps(): LineOutcome {
    const items = [...this.upses.values()].map((ups) => `UPS ${ups.name} ${quoteValue(ups.desc)}`);
    return reply("BEGIN LIST UPS", ...items, "END LIST UPS");
  }

  /** Items of one list; undefined when ENUM/RANGE name a variable the UPS does not have. */
  private listItems(kind: string, ups: UpsState, upsName: string, name: string): string[] | undefined {
    const vars = [...ups.vars.values()].sort((a, b) => a.name.localeCompare(b.name));
    switch (kind) {
      case "VAR":
        return vars.map((v) => `VAR ${upsName} ${v.name} ${quoteValue(v.value)}`);
      case "RW":
        return vars
          .filter((v) => ups.rw.has(v.name.toLowerCase()))
          .map((v) => `RW ${upsName} ${v.name} ${quoteValue(v.value)}`);
      case "CMD":
        return [...ups.commands.values()].map((cmd) => `CMD ${upsName} ${cmd}`);
      case "CLIENT":
        return [...this.sessions].filter((s) => s.loginUps === ups.name).map((s) => `CLIENT ${upsName} ${s.address}`);
      default:
        // The simulator has no enumerations or ranges: an empty list for a variable that exists.
        return ups.vars.has(name.toLowerCase()) ? [] : undefined;
    }
  }

  private set(client: ClientState, args: string[]): LineOutcome {
    const [sub = "", upsName, name, value] = args;
    const kind = sub.toUpperCase();
    if (kind === "TRACKING") return this.setTracking(client, upsName);
    if (kind !== "VAR" || upsName === undefined || name === undefined || value === undefined) {
      return err("INVALID-ARGUMENT");
    }
    const ups = this.upses.get(upsName.toLowerCase());
    if (!ups) return err("UNKNOWN-UPS");
    if (!this.authenticated(client)?.canSet) return err("ACCESS-DENIED");
    const variable = ups.vars.get(name.toLowerCase());
    if (!variable) return err("VAR-NOT-SUPPORTED");
    if (!ups.rw.has(name.toLowerCase())) return err("READONLY");
    if (value.length > MAX_VALUE_CHARS) return err("TOO-LONG");
    variable.value = value;
    return this.done(client);
  }

  private setTracking(client: ClientState, mode: string | undefined): LineOutcome {
    const upper = mode?.toUpperCase();
    if (upper !== "ON" && upper !== "OFF") return err("INVALID-ARGUMENT");
    client.tracking = upper === "ON";
    return reply("OK");
  }

  /** The OK of an accepted SET or INSTCMD; with tracking on it carries an id that GET TRACKING reports done. */
  private done(client: ClientState): LineOutcome {
    if (!client.tracking) return reply("OK");
    const id = randomUUID();
    this.trackingIds.add(id);
    return reply(`OK TRACKING ${id}`);
  }

  private instcmd(client: ClientState, args: string[]): LineOutcome {
    const [upsName, command, param] = args;
    if (upsName === undefined || command === undefined) return err("INVALID-ARGUMENT");
    const ups = this.upses.get(upsName.toLowerCase());
    if (!ups) return err("UNKNOWN-UPS");
    if (!mayRun(this.authenticated(client), command)) return err("ACCESS-DENIED");
    const known = ups.commands.get(command.toLowerCase());
    if (known === undefined) return err("CMD-NOT-SUPPORTED");
    this.onInstcmd?.(ups.name, known, param);
    return this.done(client);
  }

  private fsd(client: ClientState, args: string[]): LineOutcome {
    if (args[0] === undefined) return err("INVALID-ARGUMENT");
    const ups = this.upses.get(args[0].toLowerCase());
    if (!ups) return err("UNKNOWN-UPS");
    if (!this.authenticated(client)?.canSet) return err("ACCESS-DENIED");
    const status = ups.vars.get("ups.status");
    // upsd adds FSD as a prefix of the status it reports.
    if (status && !status.value.split(" ").includes("FSD")) status.value = `FSD ${status.value}`.trim();
    return reply("OK FSD-SET");
  }
}

function toUpsState(ups: SimUps): UpsState {
  const vars = new Map<string, VarState>();
  for (const [name, value] of Object.entries(ups.vars)) vars.set(name.toLowerCase(), { name, value });
  return {
    name: ups.name,
    // upsd's answer for a UPS without a desc.
    desc: ups.desc ?? "Unavailable",
    vars,
    rw: new Set((ups.rw ?? []).map((name) => name.toLowerCase())),
    commands: new Map((ups.commands ?? []).map((cmd) => [cmd.toLowerCase(), cmd])),
  };
}

function mayRun(user: SimUser | undefined, command: string): boolean {
  if (!user?.instcmds) return false;
  if (user.instcmds === "all") return true;
  return user.instcmds.some((allowed) => allowed.toLowerCase() === command.toLowerCase());
}

/** Roughly upsd's GET TYPE: RW flag, then STRING:<n> for text and NUMBER for numbers. */
function typeOf(variable: VarState, writable: boolean): string {
  const numeric = variable.value.trim() !== "" && Number.isFinite(Number(variable.value));
  const type = numeric ? "NUMBER" : `STRING:${Math.max(variable.value.length, 32)}`;
  return writable ? `RW ${type}` : type;
}

/** The command as received, with the password hidden so logs and test output never carry it. */
function maskPassword(line: string, words: string[]): string {
  if (words[0]?.toUpperCase() !== "PASSWORD" || words.length < 2) return line;
  return `${words[0]} ***`;
}
