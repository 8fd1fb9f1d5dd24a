// SNMP agents for integration tests and benchmarks:
//   - SnmpSim: Debian's snmpsimd (a real, separate agent) serving the recorded .snmprec data of one profile over
//     v1, v2c and v3, with values changed at runtime by rewriting its data file;
//   - FaultAgent: npm net-snmp's own agent in this process, programmable per OID (slow, silent, genErr, wrong type,
//     missing), and 10 to 20 times faster than snmpsimd, which makes it the benchmark's agent too.
//   - snmpget(): Net-SNMP's command-line client, the independent oracle the tests compare the driver against.
//
// Deliberately independent of src/snmp, so a bug there cannot hide behind the fixture. Every snmpsimd is a direct
// child of this process, stopped by its PID and reaped by Node, and its files live in one mkdtemp directory.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { chownSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as snmp from "net-snmp";
import { ManagedProcess } from "./managed-process";
import { waitFor } from "./wait";

const execFileAsync = promisify(execFile);

const SNMPSIMD_BIN = "/usr/bin/snmpsimd";
const SNMPGET_BIN = "/usr/bin/snmpget";
const HOST = "127.0.0.1";
const START_ATTEMPTS = 3;
/** The data file snmpsimd serves to a v3 request with an empty context (net-snmp's default). */
const EMPTY_CONTEXT_FILE = "1.3.6.1.6.1.1.0.snmprec";

export const FIXTURES_DIR = join(__dirname, "..", "fixtures", "snmp");
export const FIXTURE_PROFILES = ["ups-mib", "apc", "eaton", "cyberpower"] as const;
export type FixtureProfile = (typeof FIXTURE_PROFILES)[number];

// ---------------------------------------------------------------------------------------------------------------
// .snmprec data: `OID|TAG|VALUE` lines, sorted numerically

/** snmprec tags: 2 Integer32, 4 OctetString, 6 OID, 65 Counter32, 66 Gauge32, 67 TimeTicks. */
export type SnmprecValue = readonly [tag: number, value: string | number];
export type Snmprec = Map<string, SnmprecValue>;

export function parseSnmprec(text: string): Snmprec {
  const records: Snmprec = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [oid, tag, ...rest] = line.split("|");
    if (!oid || !tag) throw new Error(`bad snmprec line: ${line}`);
    records.set(oid, [Number(tag), rest.join("|")]);
  }
  return records;
}

export function formatSnmprec(records: Snmprec): string {
  return [...records.entries()]
    .sort(([a], [b]) => compareOids(a, b))
    .map(([oid, [tag, value]]) => `${oid}|${tag}|${value}\n`)
    .join("");
}

export function readFixture(profile: FixtureProfile): Snmprec {
  return parseSnmprec(readFileSync(join(FIXTURES_DIR, `${profile}.snmprec`), "utf8"));
}

function compareOids(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] as number) - (right[i] as number);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/**
 * Replaces a data file so snmpsimd notices: it compares mtimes in whole seconds, so a second write within the
 * same second would go unseen for good. Write a temp file, give it mtime max(now, old + 1 s), rename over.
 */
async function replaceDataFile(path: string, records: Snmprec): Promise<void> {
  const nowS = Math.floor(Date.now() / 1000);
  const oldS = await stat(path).then(
    (s) => Math.floor(s.mtimeMs / 1000),
    () => nowS - 1,
  );
  const mtimeS = Math.max(nowS, oldS + 1);
  const temp = `${path}.tmp`;
  await writeFile(temp, formatSnmprec(records), { mode: 0o644 });
  await utimes(temp, mtimeS, mtimeS);
  await rename(temp, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Ports, sockets, processes

/** A UDP port on 127.0.0.1 that was free a moment ago (callers retry when another process took it meanwhile). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, HOST, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Sockets this process holds open (from /proc/self/fd), for leak checks. */
export function openSockets(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:");
    } catch {
      return false; // closed between readdir and readlink
    }
  }).length;
}

// ---------------------------------------------------------------------------------------------------------------
// snmpsimd

/** A v3 user as snmpsimd's flags name the protocols (AES256BLMT is Blumenthal, what Net-SNMP calls AES-256). */
export interface SimUser {
  name: string;
  authProtocol: "MD5" | "SHA" | "SHA256" | "SHA512";
  authKey: string;
  privProtocol?: "DES" | "AES" | "AES256" | "AES256BLMT";
  privKey?: string;
}

export interface SimUsers {
  /** authPriv, SHA and AES-128. */
  shaAes: SimUser;
  /** authPriv, SHA-256 and AES-256 (with a 32-byte SHA-256 key both AES-256 variants derive the same key). */
  sha256Aes256: SimUser;
  /** authPriv, SHA and AES-256 Blumenthal (net-snmp `aes256b`): here the variant matters. */
  shaAes256b: SimUser;
  /** authNoPriv, SHA. */
  authOnly: SimUser;
}

function makeUsers(): SimUsers {
  const key = () => randomBytes(10).toString("hex");
  return {
    shaAes: { name: "argus-sha-aes", authProtocol: "SHA", authKey: key(), privProtocol: "AES", privKey: key() },
    sha256Aes256: {
      name: "argus-sha256-aes256",
      authProtocol: "SHA256",
      authKey: key(),
      privProtocol: "AES256",
      privKey: key(),
    },
    shaAes256b: {
      name: "argus-sha-aes256b",
      authProtocol: "SHA",
      authKey: key(),
      privProtocol: "AES256BLMT",
      privKey: key(),
    },
    authOnly: { name: "argus-auth-only", authProtocol: "SHA", authKey: key() },
  };
}

function userFlags(user: SimUser): string[] {
  const flags = [`--v3-user=${user.name}`, `--v3-auth-proto=${user.authProtocol}`, `--v3-auth-key=${user.authKey}`];
  if (user.privProtocol && user.privKey) {
    flags.push(`--v3-priv-proto=${user.privProtocol}`, `--v3-priv-key=${user.privKey}`);
  }
  return flags;
}

export interface SnmpSimOptions {
  profile: FixtureProfile;
  /** The v1/v2c community (default "public"); any other community gets no answer, as on a real agent. */
  community?: string;
}

/** One snmpsimd process simulating one device of a profile, on its own UDP port. */
export class SnmpSim {
  readonly host = HOST;
  readonly users: SimUsers = makeUsers();
  readonly engineId = `80001f8880${randomBytes(8).toString("hex")}`;
  readonly community: string;
  private currentPort = 0;
  private process?: ManagedProcess;
  private records: Snmprec;
  private stopped = false;
  private readonly everStarted: number[] = [];
  // If the test process exits without stop(), still take down what this harness started.
  private readonly onProcessExit = (): void => this.killSync();

  private constructor(
    readonly dir: string,
    readonly profile: FixtureProfile,
    community: string,
  ) {
    this.community = community;
    this.records = readFixture(profile);
    process.on("exit", this.onProcessExit);
  }

  static async start(options: SnmpSimOptions): Promise<SnmpSim> {
    const dir = await mkdtemp(join(tmpdir(), "argus-snmpsim-"));
    const sim = new SnmpSim(dir, options.profile, options.community ?? "public");
    try {
      await sim.boot();
      return sim;
    } catch (error) {
      await sim.stop();
      throw error;
    }
  }

  get port(): number {
    return this.currentPort;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** PIDs of every snmpsimd this harness started, including ones that have exited since. */
  get startedPids(): readonly number[] {
    return this.everStarted;
  }

  /** The values currently served (a copy). */
  get values(): Snmprec {
    return new Map(this.records);
  }

  /**
   * Changes values (null removes an OID), rewrites the data file, and returns once the agent serves every change
   * (confirmed by GETs, not by sleeping).
   */
  async set(changes: Record<string, SnmprecValue | null>): Promise<void> {
    for (const [oid, value] of Object.entries(changes)) {
      if (value === null) this.records.delete(oid);
      else this.records.set(oid, value);
    }
    await replaceDataFile(this.dataPath, this.records);
    await waitFor(() => this.serves(changes), { what: `snmpsimd to serve ${Object.keys(changes).join(", ")}` });
  }

  /** Stops snmpsimd (by PID), waits until it is gone, removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.process?.terminate();
    } finally {
      process.off("exit", this.onProcessExit);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private get dataPath(): string {
    return join(this.dir, "data", `${this.community}.snmprec`);
  }

  private async boot(): Promise<void> {
    const data = join(this.dir, "data");
    const cache = join(this.dir, "cache");
    await chmod(this.dir, 0o755);
    await mkdir(data, { mode: 0o755 });
    await mkdir(cache, { mode: 0o700 });
    await writeFile(this.dataPath, formatSnmprec(this.records), { mode: 0o644 });
    // A v3 request without a context reads this file: the same data for v1, v2c and v3.
    if (this.community !== EMPTY_CONTEXT_FILE.replace(/\.snmprec$/, "")) {
      await symlink(`${this.community}.snmprec`, join(data, EMPTY_CONTEXT_FILE));
    }
    // As root snmpsimd insists on dropping to another user, which must own the cache directory.
    if (process.getuid?.() === 0) chownSync(cache, 65534, 65534);
    await this.launchOnFreePort(data, cache);
  }

  private async launchOnFreePort(data: string, cache: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.currentPort = await freeUdpPort();
      try {
        await this.launch(data, cache);
        return;
      } catch (error) {
        if (attempt >= START_ATTEMPTS || this.process?.running) throw error;
      }
    }
  }

  private async launch(data: string, cache: string): Promise<void> {
    const root = process.getuid?.() === 0 ? ["--process-user=nobody", "--process-group=nogroup"] : [];
    const users = Object.values(this.users).flatMap(userFlags);
    // Order matters: --v3-engine-id opens an engine section that the data dir, endpoint and users belong to.
    const args = [
      ...root,
      "--logging-method=null",
      `--cache-dir=${cache}`,
      `--v3-engine-id=${this.engineId}`,
      `--data-dir=${data}`,
      `--agent-udpv4-endpoint=${HOST}:${this.currentPort}`,
      ...users,
    ];
    const logPath = join(this.dir, `snmpsimd-${this.everStarted.length + 1}.log`);
    const proc = ManagedProcess.spawn("snmpsimd", SNMPSIMD_BIN, args, process.env, logPath);
    this.process = proc;
    this.everStarted.push(proc.pid);
    const outcome = await waitFor(async () => (!proc.running ? "exited" : await this.answers()), {
      what: `snmpsimd to answer on ${HOST}:${this.currentPort}`,
    });
    if (outcome === "exited") throw new Error(`snmpsimd failed to start: ${proc.describe()}`);
  }

  private async answers(): Promise<boolean> {
    const result = await v2cGet(this.host, this.port, this.community, ["1.3.6.1.2.1.1.2.0"]);
    return result[0]?.type === snmp.ObjectType.OID;
  }

  private async serves(changes: Record<string, SnmprecValue | null>): Promise<boolean> {
    const oids = Object.keys(changes);
    const varbinds = await v2cGet(this.host, this.port, this.community, oids);
    return oids.every((oid, i) => {
      const expected = changes[oid];
      const varbind = varbinds[i];
      if (!varbind) return false;
      if (expected === null || expected === undefined) return snmp.isVarbindError(varbind);
      return varbind.type === expected[0] && textOf(varbind) === String(expected[1]);
    });
  }

  private killSync(): void {
    this.process?.signal("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A one-off v2c GET with a short timeout, straight through net-snmp (not src/snmp). */
function v2cGet(host: string, port: number, community: string, oids: string[]): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) => {
    const session = snmp.createSession(host, community, { port, version: snmp.Version2c, timeout: 300, retries: 0 });
    session.get(oids, (error, varbinds) => {
      session.close();
      if (error) reject(error);
      else resolve(varbinds ?? []);
    });
  });
}

function textOf(varbind: snmp.Varbind): string {
  const value = varbind.value as unknown;
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

// ---------------------------------------------------------------------------------------------------------------
// snmpget: the oracle

export interface SnmpgetValue {
  /** As snmpget names it: INTEGER, STRING, OID, Gauge32, Counter32, Timeticks. */
  type: string;
  value: string;
}

export interface SnmpgetAuth {
  version: "1" | "2c" | "3";
  community?: string;
  user?: SimUser;
}

/** The values snmpget reads for the OIDs (null for noSuchObject/noSuchInstance), by OID. */
export async function snmpget(
  host: string,
  port: number,
  oids: readonly string[],
  auth: SnmpgetAuth = { version: "2c", community: "public" },
): Promise<Map<string, SnmpgetValue | null>> {
  // -On numeric OIDs, -Oe enums as numbers, -m "" no MIB files to load.
  const args = ["-On", "-Oe", "-m", "", "-t", "2", "-r", "1", ...authArgs(auth), `${host}:${port}`, ...oids];
  const { stdout } = await execFileAsync(SNMPGET_BIN, args, { timeout: 10_000 });
  const values = new Map<string, SnmpgetValue | null>();
  for (const line of stdout.split("\n")) {
    const match = /^\.?([0-9.]+) = (.*)$/.exec(line);
    if (!match) continue;
    values.set(match[1] as string, parseSnmpgetValue(match[2] as string));
  }
  return values;
}

function authArgs(auth: SnmpgetAuth): string[] {
  if (auth.version !== "3") return [`-v${auth.version}`, "-c", auth.community ?? "public"];
  const user = auth.user;
  if (!user) throw new Error("snmpget v3 needs a user");
  const authProtocol = user.authProtocol.replace(/^SHA(\d+)$/, "SHA-$1");
  const args = ["-v3", "-u", user.name, "-a", authProtocol, "-A", user.authKey];
  if (!user.privProtocol || !user.privKey) return [...args, "-l", "authNoPriv"];
  const privProtocol = user.privProtocol === "AES" ? "AES" : user.privProtocol === "DES" ? "DES" : "AES-256";
  return [...args, "-l", "authPriv", "-x", privProtocol, "-X", user.privKey];
}

function parseSnmpgetValue(text: string): SnmpgetValue | null {
  if (/^No Such (Object|Instance)/.test(text)) return null;
  const colon = text.indexOf(": ");
  if (colon < 0) return { type: "", value: text.replace(/^"|"$/g, "") };
  const type = text.slice(0, colon);
  const raw = text.slice(colon + 2);
  if (type === "STRING") return { type, value: raw.replace(/^"|"$/g, "") };
  if (type === "OID") return { type, value: raw.replace(/^\./, "") };
  // "Timeticks: (234000) 0:39:00.00": the raw hundredths are in the parentheses.
  if (type === "Timeticks") return { type, value: /^\((\d+)\)/.exec(raw)?.[1] ?? raw };
  return { type, value: raw };
}

// ---------------------------------------------------------------------------------------------------------------
// FaultAgent: net-snmp's agent, programmable per OID

export type AgentFault =
  /** Answer after this long, without holding up other requests. */
  | { kind: "delay"; ms: number }
  /** Never answer a request that asks for this OID. */
  | { kind: "silent" }
  /** Answer with error-status genErr naming this OID. */
  | { kind: "genError" }
  /** Answer this type and value instead of the registered ones. */
  | { kind: "wrongType"; type: number; value: unknown }
  /** Answer noSuchObject (v2c/v3). */
  | { kind: "missing" }
  /** Answer error-status noSuchName naming this OID (what a v1 agent does). */
  | { kind: "noSuchName" };

export interface AgentValue {
  type: number;
  value: unknown;
}

export interface FaultAgentOptions {
  /** Scalar instances (`....0`) and their values. */
  values: ReadonlyMap<string, AgentValue>;
  community?: string;
  users?: snmp.V3User[];
}

export class FaultAgent {
  readonly host = HOST;
  /** Faults by instance OID; change them at any time. */
  readonly faults = new Map<string, AgentFault>();
  /** GET handler calls (one per OID asked), for tests that check what a poll sent. */
  handled = 0;
  private readonly names = new Map<string, string>();

  private constructor(
    private readonly agent: snmp.Agent,
    readonly port: number,
    readonly community: string,
  ) {}

  static async start(options: FaultAgentOptions): Promise<FaultAgent> {
    for (let attempt = 1; ; attempt++) {
      const port = await freeUdpPort();
      try {
        return await FaultAgent.listen(port, options);
      } catch (error) {
        if (attempt >= START_ATTEMPTS) throw error;
      }
    }
  }

  private static async listen(port: number, options: FaultAgentOptions): Promise<FaultAgent> {
    const state: { bindError: Error | null } = { bindError: null };
    const agent = snmp.createAgent({ port, address: HOST, transport: "udp4" }, (error) => {
      // Unknown communities and users also land here; only a socket error means the agent is not listening.
      if ((error as NodeJS.ErrnoException | null)?.syscall === "bind") state.bindError = error;
    });
    const community = options.community ?? "public";
    agent.getAuthorizer().addCommunity(community);
    for (const user of options.users ?? []) agent.getAuthorizer().addUser(user);
    const faultAgent = new FaultAgent(agent, port, community);
    faultAgent.register(options.values);
    const ready = await waitFor<Error | boolean>(
      () => state.bindError ?? v2cGet(HOST, port, community, ["1.3.6.1.2.1.1.2.0"]).then((vbs) => vbs.length === 1),
      { what: `net-snmp agent to answer on ${HOST}:${port}` },
    );
    if (ready instanceof Error) {
      agent.close();
      throw ready;
    }
    return faultAgent;
  }

  /** Changes a registered value. */
  setValue(oid: string, value: unknown): void {
    const name = this.names.get(oid);
    if (!name) throw new Error(`${oid} is not registered`);
    this.agent.getMib().setScalarValue(name, value);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.agent.close(() => resolve()));
  }

  private register(values: ReadonlyMap<string, AgentValue>): void {
    for (const [oid, { type, value }] of values) {
      if (!oid.endsWith(".0")) throw new Error(`FaultAgent serves scalars only, not ${oid}`);
      const name = `s${this.names.size}`;
      this.agent.registerProvider({
        name,
        type: snmp.MibProviderType.Scalar,
        oid: oid.slice(0, -2),
        scalarType: type,
        maxAccess: snmp.MaxAccess["read-only"],
        handler: (request) => this.handle(oid, request),
      });
      this.agent.getMib().setScalarValue(name, value);
      this.names.set(oid, name);
    }
  }

  private handle(oid: string, request: snmp.MibRequest): void {
    this.handled++;
    const fault = this.faults.get(oid);
    switch (fault?.kind) {
      case undefined:
        return request.done();
      case "delay":
        setTimeout(() => request.done(), fault.ms);
        return;
      case "silent":
        return;
      case "genError":
        return request.done({ errorStatus: snmp.ErrorStatus.GeneralError });
      case "wrongType":
        return request.done({ errorStatus: snmp.ErrorStatus.NoError, type: fault.type, value: fault.value });
      case "missing":
        return request.done({ errorStatus: snmp.ErrorStatus.NoError, type: snmp.ObjectType.NoSuchObject, value: null });
      case "noSuchName":
        return request.done({ errorStatus: snmp.ErrorStatus.NoSuchName });
    }
  }
}

/** A fixture's scalar instances as FaultAgent values (snmprec tags are the ASN.1 type numbers). */
export function agentValues(profile: FixtureProfile): Map<string, AgentValue> {
  const values = new Map<string, AgentValue>();
  for (const [oid, [tag, value]] of readFixture(profile)) {
    if (!oid.endsWith(".0")) continue;
    const numeric = tag !== snmp.ObjectType.OctetString && tag !== snmp.ObjectType.OID;
    values.set(oid, { type: tag, value: numeric ? Number(value) : String(value) });
  }
  return values;
}
