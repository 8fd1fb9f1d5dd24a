// A real NUT upsd with dummy-ups drivers, for integration tests and benchmarks.
//
// Everything lives in one mkdtemp directory (config, state sockets, logs, TLS material) and every process is a
// direct child of this Node process, run in the foreground (-F). That way the harness always knows the exact PID,
// Node reaps the child itself (no late-reaped zombies, no pid files to race with) and it can never signal a process
// it did not start. Debian's upsd and drivers drop to user "nut" unless given "-u root", which then cannot read
// the root-owned temp directory, hence "-u root" everywhere.
import { execFile } from "node:child_process";
import { X509Certificate, randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import { promisify } from "node:util";
import { ManagedProcess } from "./managed-process";
import { freePort, waitFor } from "./wait";

const execFileAsync = promisify(execFile);

const UPSD_BIN = "/lib/nut/upsd";
const DUMMY_UPS_BIN = "/lib/nut/dummy-ups";
const UPSC_BIN = "/usr/bin/upsc";
const HOST = "127.0.0.1";

/**
 * dummy-ups re-reads its .dev file (if the mtime changed) once per poll, so writeVars takes up to this long.
 * Measured with 2.8.0: at 2 s the driver answers its socket at once (SET VAR visible in ~1 ms, upsd restart ready
 * in ~30 ms, UPS ready 2 s after spawn); at 1 s it only serves the socket once per poll (SET VAR ~1 s, upsd
 * restart ~2 s, ready 3 s after spawn). 2 s is quicker overall.
 */
const POLL_INTERVAL_S = 2;
/**
 * upsd answers DATA-STALE once a driver has been silent for more than MAXAGE seconds (it pings a quiet driver
 * after MAXAGE/3 and counts whole seconds): with 3, a paused driver turns stale 2.2 to 4 s after SIGSTOP, which
 * keeps pauseDriver tests short while a busy driver still has 2 s to answer a ping.
 */
const DEFAULT_MAX_AGE_S = 3;
const COMMAND_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;
const UNCONFIRMABLE = 'values with ", \\ or # reach upsd mangled (dummy-ups 2.8.0 does not escape them)';

export interface UpsDefinition {
  name: string;
  desc?: string;
  vars: Record<string, string>;
}

export interface NutUser {
  username: string;
  password: string;
}

export interface UpsdOptions {
  upses: UpsDefinition[];
  /** 0 or absent: pick a free port. */
  port?: number;
  /** Serve STARTTLS with a certificate for 127.0.0.1/localhost signed by a fresh test CA. */
  tls?: boolean;
  /** upsd MAXAGE in seconds (default 3): how long a silent driver takes to turn DATA-STALE. */
  maxAge?: number;
}

export interface UpsdUsers {
  /** actions SET and FSD, instcmds ALL. */
  admin: NutUser;
  /** upsmon primary. */
  monitor: NutUser;
  /** No actions, no instcmds: for ACCESS-DENIED tests. */
  nobody: NutUser;
}

export interface UpsdTlsInfo {
  /** The test CA that signed the server certificate: pass as `ca` to tls.connect. */
  caPem: string;
  certPem: string;
  /** Same format as Node's PeerCertificate.fingerprint256 ("AB:CD:..."), for pinning tests. */
  certFingerprint256: string;
}

/** A realistic line-interactive UPS. dummy-ups adds driver.* and upsd nothing else. */
export const SAMPLE_UPS_VARS: Record<string, string> = {
  "battery.charge": "100",
  "battery.charge.low": "10",
  "battery.runtime": "1800",
  "battery.runtime.low": "120",
  "battery.voltage": "13.6",
  "battery.type": "PbAc",
  "battery.mfr.date": "2023/05/14",
  // NUT mirrors ups.mfr/ups.model into device.mfr/device.model, so the pairs must agree or the ups.* one wins.
  "device.mfr": "Argus Test Power",
  "device.model": "Sentinel 1500",
  "device.serial": "AS1500-000123",
  "device.type": "ups",
  "input.voltage": "230.4",
  "input.frequency": "50.0",
  "input.transfer.high": "264",
  "input.transfer.low": "176",
  "output.voltage": "230.0",
  "output.frequency": "50.0",
  "ups.load": "23",
  "ups.realpower": "207",
  "ups.realpower.nominal": "900",
  "ups.power.nominal": "1500",
  "ups.status": "OL",
  "ups.temperature": "29.5",
  "ups.mfr": "Argus Test Power",
  "ups.model": "Sentinel 1500",
  "ups.serial": "AS1500-000123",
  "ups.firmware": "02.08.0010",
  "ups.beeper.status": "enabled",
  "ups.test.result": "Done and passed",
  "ups.delay.shutdown": "20",
  "ups.timer.shutdown": "-1",
};

/** An `ERR <CODE>` (or otherwise unexpected) reply from upsd. */
export class NutReplyError extends Error {
  constructor(
    readonly command: string,
    readonly reply: string,
  ) {
    super(`${command} -> ${reply}`);
    this.name = "NutReplyError";
  }

  /** "DATA-STALE" for "ERR DATA-STALE"; the whole reply when it is not an ERR line. */
  get code(): string {
    return this.reply.startsWith("ERR ") ? (this.reply.split(" ")[1] ?? "") : this.reply;
  }
}

/**
 * True when the PID has no live process: /proc has no entry, or it is a zombie/dead (a zombie still answers
 * kill(pid, 0), which is why this reads /proc/<pid>/stat instead).
 */
export function processGone(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return true;
  }
  // The command name in parentheses may contain spaces: the state is the first field after the last ")".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state === "Z" || state === "X";
}

// ---------------------------------------------------------------------------------------------------------------
// NUT protocol helpers (deliberately independent of src/nut, so a bug there cannot hide behind the fixture)

/** upsd's quoting: backslash-escape `\`, `"` and `#` (an unescaped `#` makes upsd drop the command silently). */
function quoteArg(value: string): string {
  return `"${value.replace(/[\\"#]/g, "\\$&")}"`;
}

function parseVarReply(reply: string): string | undefined {
  const match = /^VAR \S+ \S+ "(.*)"$/.exec(reply);
  return match?.[1]?.replace(/\\(.)/g, "$1");
}

/**
 * Sends single-line commands pipelined on a fresh connection and returns one reply line per command
 * (upsd answers strictly in order). Not for LIST commands. Times out because upsd may drop a command silently.
 */
function exchange(port: number, commands: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    const replies: string[] = [];
    let buffered = "";
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply to ${commands[replies.length] ?? "?"} within ${timeoutMs}ms`)),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(commands.map((c) => `${c}\n`).join("")));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0 && replies.length < commands.length) {
        replies.push(buffered.slice(0, newline).replace(/\r$/, ""));
        buffered = buffered.slice(newline + 1);
      }
      if (replies.length === commands.length) finish();
    });
    socket.on("error", (err) => finish(err));
    socket.on("close", () => finish(new Error(`connection closed after ${replies.length}/${commands.length} replies`)));
  });
}

/**
 * dummy-ups 2.8.0 forwards values to upsd without escaping, so `"`, `\` and `#` arrive mangled: such a value can
 * be written but never confirmed through GET VAR.
 */
function roundTrips(value: string): boolean {
  return !/[\\"#]/.test(value);
}

function getVarCommand(ups: string, name: string): string {
  return `GET VAR ${ups} ${name}`;
}

/** Resolves true once a TCP connect is refused, i.e. nothing listens any more. */
function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

function portAccepts(port: number): Promise<boolean> {
  return portRefuses(port).then(async (refused) => !refused && (await exchange(port, ["VER"])).length === 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

// ---------------------------------------------------------------------------------------------------------------
// Config files

interface Paths {
  etc: string;
  state: string;
  logs: string;
}

function randomSecret(): string {
  return randomBytes(12).toString("hex");
}

/** ups.conf/.dev values go through NUT's parseconf, which understands "..." with backslash escapes. */
function confQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

function upsConf(upses: UpsDefinition[]): string {
  const sections = upses.map((ups) =>
    [`[${ups.name}]`, "  driver = dummy-ups", `  port = ${ups.name}.dev`]
      .concat(ups.desc === undefined ? [] : [`  desc = ${confQuote(ups.desc)}`])
      .join("\n"),
  );
  return [`maxretry = 1`, `pollinterval = ${POLL_INTERVAL_S}`, "", ...sections, ""].join("\n");
}

function usersConf(users: UpsdUsers): string {
  return [
    `[${users.admin.username}]`,
    `  password = ${confQuote(users.admin.password)}`,
    "  actions = SET",
    "  actions = FSD",
    "  instcmds = ALL",
    `[${users.monitor.username}]`,
    `  password = ${confQuote(users.monitor.password)}`,
    "  upsmon primary",
    `[${users.nobody.username}]`,
    `  password = ${confQuote(users.nobody.password)}`,
    "",
  ].join("\n");
}

interface TlsSetup {
  info: UpsdTlsInfo;
  dbDir: string;
  nickname: string;
  dbPassword: string;
}

function upsdConf(port: number, maxAge: number, tls: TlsSetup | undefined): string {
  const lines = [`LISTEN ${HOST} ${port}`, `MAXAGE ${maxAge}`];
  if (tls) {
    lines.push(`CERTPATH ${tls.dbDir}`, `CERTIDENT ${confQuote(tls.nickname)} ${confQuote(tls.dbPassword)}`);
    lines.push("DISABLE_WEAK_SSL true");
  }
  return lines.join("\n") + "\n";
}

function devFile(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([name, value]) => `${name}: ${confQuote(value)}\n`)
    .join("");
}

/** upsd refuses to run on group/world-readable secrets in some versions and warns in others. */
async function writePrivate(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
}

/**
 * Rewrites a .dev file so dummy-ups notices: it compares mtimes in whole seconds, so a second write within the
 * same second would be missed for good. Write a temp file, give it mtime max(now, old + 1 s), rename over.
 */
async function replaceDevFile(path: string, vars: Record<string, string>): Promise<void> {
  const nowS = Math.floor(Date.now() / 1000);
  const oldS = await stat(path).then(
    (s) => Math.floor(s.mtimeMs / 1000),
    () => nowS - 1,
  );
  const mtimeS = Math.max(nowS, oldS + 1);
  const temp = `${path}.tmp`;
  await writePrivate(temp, devFile(vars));
  await utimes(temp, mtimeS, mtimeS);
  await rename(temp, path);
}

// ---------------------------------------------------------------------------------------------------------------
// TLS material: a throwaway CA (openssl) and upsd's NSS database (certutil/pk12util)

async function run(bin: string, args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync(bin, args, { cwd });
  } catch (err) {
    // execFile's message already carries the command line and its stderr.
    throw new Error(`${bin} failed: ${(err as Error).message}`, { cause: err });
  }
}

const SERVER_EXTENSIONS = [
  "subjectAltName = IP:127.0.0.1, DNS:localhost",
  "basicConstraints = critical, CA:FALSE",
  "keyUsage = critical, digitalSignature, keyEncipherment",
  "extendedKeyUsage = serverAuth",
  "",
].join("\n");

/** CA and server certificate (EC P-256: fast to make, and upsd's NSS accepts it). */
async function makeCertificates(dir: string): Promise<void> {
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const caExtensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"];
  const caOut = ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Argus Test CA"];
  await run("openssl", ["req", "-x509", ...ecKey, ...caOut, ...caExtensions], dir);

  const csrOut = ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"];
  await run("openssl", ["req", ...ecKey, ...csrOut], dir);
  await writeFile(join(dir, "server.ext"), SERVER_EXTENSIONS);
  const signing = ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "server.ext"];
  await run("openssl", ["x509", "-req", "-in", "server.csr", "-out", "server.pem", ...signing], dir);
}

/** An NSS sql: database holding the server key and certificate under `nickname` (what CERTIDENT names). */
async function makeNssDb(dir: string, dbDir: string, nickname: string, dbPassword: string): Promise<void> {
  // Passwords go through files, never argv, so they do not show up in ps.
  const p12Password = randomSecret();
  await writePrivate(join(dir, "db.pw"), `${dbPassword}\n`);
  await writePrivate(join(dir, "p12.pw"), `${p12Password}\n`);
  const bundle = ["-inkey", "server.key", "-in", "server.pem", "-certfile", "ca.pem", "-name", nickname];
  await run("openssl", ["pkcs12", "-export", ...bundle, "-out", "server.p12", "-passout", "file:p12.pw"], dir);
  await mkdir(dbDir, { mode: 0o700 });
  await run("certutil", ["-N", "-d", `sql:${dbDir}`, "-f", "db.pw"], dir);
  await run("pk12util", ["-i", "server.p12", "-d", `sql:${dbDir}`, "-k", "db.pw", "-w", "p12.pw"], dir);
}

async function makeTls(root: string): Promise<TlsSetup> {
  const dir = join(root, "tls");
  await mkdir(dir, { mode: 0o700 });
  await makeCertificates(dir);
  const dbDir = join(dir, "nssdb");
  const nickname = "upsd";
  const dbPassword = randomSecret();
  await makeNssDb(dir, dbDir, nickname, dbPassword);
  const caPem = await readFile(join(dir, "ca.pem"), "utf8");
  const certPem = await readFile(join(dir, "server.pem"), "utf8");
  const certFingerprint256 = new X509Certificate(certPem).fingerprint256;
  return { info: { caPem, certPem, certFingerprint256 }, dbDir, nickname, dbPassword };
}

// ---------------------------------------------------------------------------------------------------------------

function validateOptions(opts: UpsdOptions): void {
  if (opts.upses.length === 0) throw new Error("Upsd needs at least one UPS");
  const seen = new Set<string>();
  for (const { name } of opts.upses) {
    // The name becomes a file name and a config section: keep it to what both accept unquoted.
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`unsupported UPS name ${JSON.stringify(name)}`);
    if (seen.has(name.toLowerCase())) throw new Error(`duplicate UPS name ${name}`);
    seen.add(name.toLowerCase());
  }
}

export class Upsd {
  readonly host = HOST;
  readonly users: UpsdUsers;
  readonly tls?: UpsdTlsInfo;
  readonly maxAge: number;

  private currentPort = 0;
  private server?: ManagedProcess;
  private readonly drivers = new Map<string, ManagedProcess>();
  private readonly paused = new Set<string>();
  private readonly fileVars = new Map<string, Record<string, string>>();
  private readonly everStarted: number[] = [];
  private readonly paths: Paths;
  private readonly env: NodeJS.ProcessEnv;
  private stopped = false;
  private serverLaunches = 0;
  // If the test process exits without stop() (crash, --exit), still take down what this harness started.
  private readonly onProcessExit = (): void => this.killAllSync();

  private constructor(
    readonly dir: string,
    private readonly opts: UpsdOptions,
    private readonly tlsSetup: TlsSetup | undefined,
  ) {
    this.paths = { etc: join(dir, "etc"), state: join(dir, "state"), logs: join(dir, "logs") };
    this.env = {
      ...process.env,
      NUT_CONFPATH: this.paths.etc,
      NUT_STATEPATH: this.paths.state,
      NUT_ALTPIDPATH: this.paths.state,
    };
    this.users = {
      admin: { username: "admin", password: randomSecret() },
      monitor: { username: "monitor", password: randomSecret() },
      nobody: { username: "nobody", password: randomSecret() },
    };
    this.tls = tlsSetup?.info;
    this.maxAge = opts.maxAge ?? DEFAULT_MAX_AGE_S;
    process.on("exit", this.onProcessExit);
  }

  get port(): number {
    return this.currentPort;
  }

  /** PIDs of every process this harness has started, including ones that have exited since. */
  get startedPids(): readonly number[] {
    return this.everStarted;
  }

  static async start(opts: UpsdOptions): Promise<Upsd> {
    validateOptions(opts);
    const dir = await mkdtemp(join(tmpdir(), "argus-upsd-"));
    let upsd: Upsd | undefined;
    try {
      await chmod(dir, 0o700);
      const tls = opts.tls ? await makeTls(dir) : undefined;
      upsd = new Upsd(dir, opts, tls);
      await upsd.boot();
      return upsd;
    } catch (err) {
      if (upsd) await upsd.stop();
      else await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  // ----- data -----------------------------------------------------------------------------------------------

  /**
   * Merges `vars` into the UPS's .dev file, rewrites it whole, and waits until upsd reports every given value.
   * An empty value removes the variable (dummy-ups semantics), so "" waits for VAR-NOT-SUPPORTED. Values with
   * `"`, a backslash or `#` are written but reach upsd mangled, so only the other values are awaited (at least one
   * needed). Nothing is awaited while upsd or the driver is stopped or paused.
   */
  async writeVars(ups: string, vars: Record<string, string>): Promise<void> {
    const checkable = Object.fromEntries(Object.entries(vars).filter(([, value]) => roundTrips(value)));
    if (Object.keys(checkable).length === 0 && Object.keys(vars).length > 0) {
      throw new Error(`writeVars(${ups}): add a plain variable to confirm the write; ${UNCONFIRMABLE}`);
    }
    const merged = { ...this.requireFileVars(ups), ...vars };
    await replaceDevFile(this.devPath(ups), merged);
    this.fileVars.set(ups, merged);
    // With upsd or the driver down (or paused) there is nothing to observe yet: the file is read on restart.
    if (!this.observable(ups)) return;
    await this.waitForValues(ups, checkable, `${ups} to report ${JSON.stringify(checkable)}`);
  }

  /** SET VAR as the admin user; dummy-ups keeps the value until its .dev file changes again. */
  async setVarAsAdmin(ups: string, name: string, value: string): Promise<void> {
    if (!roundTrips(value)) throw new Error(`setVarAsAdmin(${ups}, ${name}): ${UNCONFIRMABLE}`);
    const { username, password } = this.users.admin;
    const commands = [
      `USERNAME ${quoteArg(username)}`,
      `PASSWORD ${quoteArg(password)}`,
      `SET VAR ${ups} ${name} ${quoteArg(value)}`,
    ];
    const replies = await exchange(this.port, commands);
    replies.forEach((reply, i) => {
      if (reply !== "OK") throw new NutReplyError(commands[i] ?? "", reply);
    });
    await this.waitForValues(ups, { [name]: value }, `${ups} ${name} to become ${JSON.stringify(value)}`);
  }

  /** One GET VAR on a fresh connection; an ERR reply throws a NutReplyError naming the code. */
  async getVar(ups: string, name: string): Promise<string> {
    const command = getVarCommand(ups, name);
    const [reply = ""] = await exchange(this.port, [command]);
    const value = parseVarReply(reply);
    if (value === undefined) throw new NutReplyError(command, reply);
    return value;
  }

  /** All variables as upsc prints them (stdout only: stderr carries upsclient's SSL chatter). */
  async upsc(ups: string): Promise<Record<string, string>> {
    const { stdout } = await execFileAsync(UPSC_BIN, [`${ups}@${HOST}:${this.port}`], {
      env: this.env,
      timeout: COMMAND_TIMEOUT_MS,
    });
    const vars: Record<string, string> = {};
    for (const line of stdout.split("\n")) {
      const colon = line.indexOf(": ");
      if (colon > 0) vars[line.slice(0, colon)] = line.slice(colon + 2);
    }
    return vars;
  }

  // ----- faults ---------------------------------------------------------------------------------------------

  /** SIGSTOP: upsd keeps the socket but the driver stops answering pings, so DATA-STALE follows within MAXAGE. */
  pauseDriver(ups: string): void {
    this.requireRunningDriver(ups).signal("SIGSTOP");
    this.paused.add(ups);
  }

  resumeDriver(ups: string): void {
    this.requireRunningDriver(ups).signal("SIGCONT");
    this.paused.delete(ups);
  }

  /** Ends the driver and waits until it is reaped; upsd then answers DRIVER-NOT-CONNECTED. */
  async killDriver(ups: string): Promise<void> {
    await this.requireRunningDriver(ups).terminate();
    this.paused.delete(ups);
  }

  /** Starts a stopped driver again and, if upsd runs, waits until it reports the UPS (no longer WAIT). */
  async startDriver(ups: string): Promise<void> {
    if (this.drivers.get(ups)?.running) throw new Error(`driver for ${ups} is already running`);
    this.requireFileVars(ups);
    await this.launchDrivers([ups]);
    if (this.server?.running) await this.waitUntilReady([ups]);
  }

  // ----- server ---------------------------------------------------------------------------------------------

  /** Stops upsd only (drivers keep running) and waits until the port refuses connections. */
  async stopServer(): Promise<void> {
    await this.server?.terminate();
    await waitFor(() => portRefuses(this.port), { what: `port ${this.port} to refuse connections` });
  }

  /** Starts upsd again on the same port and waits until every UPS with a live, unpaused driver is ready. */
  async startServer(): Promise<void> {
    if (this.server?.running) throw new Error("upsd is already running");
    await this.launchServer();
  }

  /** Stops everything this harness started (by PID), waits until it is gone, removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Settle every termination even if one fails, so a stuck upsd cannot leave drivers behind.
    const results = await Promise.allSettled([this.server, ...this.drivers.values()].map((proc) => proc?.terminate()));
    process.off("exit", this.onProcessExit);
    await rm(this.dir, { recursive: true, force: true });
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
  }

  // ----- internals ------------------------------------------------------------------------------------------

  private async boot(): Promise<void> {
    await mkdir(this.paths.etc, { mode: 0o700 });
    await mkdir(this.paths.state, { mode: 0o700 });
    await mkdir(this.paths.logs, { mode: 0o700 });
    await writePrivate(join(this.paths.etc, "ups.conf"), upsConf(this.opts.upses));
    await writePrivate(join(this.paths.etc, "upsd.users"), usersConf(this.users));
    for (const ups of this.opts.upses) {
      await writePrivate(this.devPath(ups.name), devFile(ups.vars));
      this.fileVars.set(ups.name, { ...ups.vars });
    }
    await this.launchDrivers(this.opts.upses.map((u) => u.name));
    await this.launchServerOnFirstFreePort();
  }

  /** Starts drivers in parallel and waits until each has created its socket, which upsd connects to. */
  private async launchDrivers(names: string[]): Promise<void> {
    for (const name of names) {
      // A driver that was killed leaves its socket file behind; a fresh one must not be mistaken for ready.
      await unlink(this.socketPath(name)).catch(() => undefined);
      const driver = ManagedProcess.spawn(
        `dummy-ups ${name}`,
        DUMMY_UPS_BIN,
        ["-a", name, "-u", "root", "-F"],
        this.env,
        join(this.paths.logs, `dummy-ups-${name}.log`),
      );
      this.drivers.set(name, driver);
      this.everStarted.push(driver.pid);
    }
    await Promise.all(names.map((name) => this.waitForSocket(name)));
  }

  private async waitForSocket(name: string): Promise<void> {
    const driver = this.drivers.get(name);
    if (!driver) throw new Error(`no driver for ${name}`);
    const outcome = await waitFor(() => (!driver.running ? "exited" : existsSync(this.socketPath(name))), {
      timeoutMs: 10_000,
      what: `dummy-ups ${name} to create its socket`,
    });
    if (outcome === "exited") throw new Error(`dummy-ups failed to start: ${driver.describe()}`);
  }

  /** A port picked by freePort can be taken before upsd binds it: then pick another (only when auto). */
  private async launchServerOnFirstFreePort(): Promise<void> {
    const fixed = this.opts.port !== undefined && this.opts.port !== 0;
    for (let attempt = 1; ; attempt++) {
      this.currentPort = fixed ? (this.opts.port ?? 0) : await freePort();
      try {
        await this.launchServer();
        return;
      } catch (err) {
        if (fixed || attempt >= PORT_ATTEMPTS || this.server?.running) throw err;
      }
    }
  }

  private async launchServer(): Promise<void> {
    await writePrivate(join(this.paths.etc, "upsd.conf"), upsdConf(this.port, this.maxAge, this.tlsSetup));
    // One log per launch, so a "listening" line from an earlier run cannot be mistaken for this one.
    this.serverLaunches += 1;
    const logPath = join(this.paths.logs, `upsd-${this.serverLaunches}.log`);
    const server = ManagedProcess.spawn("upsd", UPSD_BIN, ["-u", "root", "-F"], this.env, logPath);
    this.server = server;
    this.everStarted.push(server.pid);
    // A connect alone could reach someone else's server on a taken port (upsd then logs "not listening on ..."
    // and exits 1), so also require upsd's own "listening on" line.
    const listeningLine = new RegExp(`^listening on ${HOST.replace(/\./g, "\\.")} port ${this.port}$`, "m");
    const listening = await waitFor(
      async () => (!server.running ? "exited" : listeningLine.test(server.log()) && (await portAccepts(this.port))),
      { what: `upsd to listen on ${HOST}:${this.port}` },
    );
    if (listening === "exited") throw new Error(`upsd failed to start: ${server.describe()}`);
    await this.waitUntilReady(this.liveDriverNames());
  }

  private liveDriverNames(): string[] {
    return [...this.drivers.entries()]
      .filter(([name, driver]) => driver.running && !this.paused.has(name))
      .map(([name]) => name);
  }

  /** The first of upsd and the named drivers that has exited, if any: no point waiting for it then. */
  private deadProcess(names: string[]): ManagedProcess | undefined {
    return [this.server, ...names.map((name) => this.drivers.get(name))].find((proc) => proc && !proc.running);
  }

  /** Ready = upsd answers GET VAR <ups> ups.status with a value other than WAIT, for every named UPS. */
  private async waitUntilReady(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const commands = names.map((name) => getVarCommand(name, "ups.status"));
    let pending: string[] = names;
    const outcome = await waitFor(
      async () => {
        if (this.deadProcess(names)) return "exited";
        const replies = await exchange(this.port, commands);
        pending = names.filter((_, i) => {
          const status = parseVarReply(replies[i] ?? "");
          return status === undefined || status === "WAIT";
        });
        return pending.length === 0;
      },
      { timeoutMs: 10_000 + 50 * names.length, intervalMs: 50, what: `UPSes to be ready` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; not ready: ${pending.join(", ")}`, { cause: err });
    });
    const dead = outcome === "exited" ? this.deadProcess(names) : undefined;
    if (dead) throw new Error(`exited while waiting for UPSes to be ready: ${dead.describe()}`);
  }

  /** Polls GET VAR for every given variable until all match; "" matches a removed variable too. */
  private async waitForValues(ups: string, expected: Record<string, string>, what: string): Promise<void> {
    const names = Object.keys(expected);
    const commands = names.map((name) => getVarCommand(ups, name));
    await waitFor(
      async () => {
        const replies = await exchange(this.port, commands);
        return names.every((name, i) => {
          const reply = replies[i] ?? "";
          const want = expected[name];
          return parseVarReply(reply) === want || (want === "" && reply === "ERR VAR-NOT-SUPPORTED");
        });
      },
      { what },
    );
  }

  private observable(ups: string): boolean {
    return Boolean(this.server?.running && this.drivers.get(ups)?.running && !this.paused.has(ups));
  }

  private requireFileVars(ups: string): Record<string, string> {
    const vars = this.fileVars.get(ups);
    if (!vars) throw new Error(`unknown UPS ${ups}`);
    return vars;
  }

  private requireRunningDriver(ups: string): ManagedProcess {
    const driver = this.drivers.get(ups);
    if (!driver?.running) throw new Error(`driver for ${ups} is not running`);
    return driver;
  }

  private devPath(ups: string): string {
    return join(this.paths.etc, `${ups}.dev`);
  }

  private socketPath(ups: string): string {
    return join(this.paths.state, `dummy-ups-${ups}`);
  }

  /** Last resort on process exit: synchronous, so SIGKILL by our own PIDs and a sync rm. */
  private killAllSync(): void {
    for (const proc of [this.server, ...this.drivers.values()]) proc?.signal("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
