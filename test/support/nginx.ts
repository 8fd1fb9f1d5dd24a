/**
 * Debian's nginx as the TLS reverse proxy of SECURITY.md, for end-to-end tests. The server block is SECURITY.md's
 * own nginx example, read from the file at test time with only its addresses and certificate paths replaced, so
 * the test proves what the documentation tells users to run (and fails loudly when the example changes shape).
 *
 * Everything lives in one mkdtemp directory: a throwaway CA and a server certificate for 127.0.0.1 made by the
 * openssl CLI, nginx.conf, temp paths and logs. nginx runs in the foreground (`daemon off`) as a direct child of
 * this process, so it is stopped by the PID we started; its workers are found by their parent PID and checked gone.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Agent } from "undici";
import { freePort, waitFor } from "./wait";

const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, "../..");
const NGINX_BIN = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
const HOST = "127.0.0.1";
const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 5_000;

export interface NginxOptions {
  /** Where Node-RED listens on 127.0.0.1 (SECURITY.md's `proxy_pass http://127.0.0.1:1880`). */
  upstreamPort: number;
}

/** SECURITY.md's nginx server block, with the listen address, certificate folder and upstream port replaced. */
export async function securityMdServerBlock(listenPort: number, certDir: string, upstreamPort: number) {
  const doc = await readFile(join(ROOT, "SECURITY.md"), "utf8");
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error("SECURITY.md has no ```nginx example any more");
  // Each replacement must apply exactly as often as said: a changed example must fail here, not test something else.
  const replacements: [string, string, number][] = [
    ["listen 443 ssl;", `listen ${HOST}:${listenPort} ssl;`, 1],
    ["/etc/ssl/argus/", `${certDir}/`, 2],
    ["proxy_pass http://127.0.0.1:1880;", `proxy_pass http://${HOST}:${upstreamPort};`, 1],
  ];
  let text = block;
  for (const [from, to, times] of replacements) {
    const found = text.split(from).length - 1;
    if (found !== times) throw new Error(`SECURITY.md's nginx example: "${from}" found ${found} times, not ${times}`);
    text = text.split(from).join(to);
  }
  return text;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execFileAsync("openssl", args, { cwd }).catch((error: Error) => {
    throw new Error(`openssl ${args[0]} failed: ${error.message}`, { cause: error });
  });
}

/** A CA (ca.pem) and a certificate for 127.0.0.1 it signed, under SECURITY.md's names (fullchain/privkey.pem). */
async function makeCertificates(dir: string): Promise<string> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const ca = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"];
  await openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=Argus nginx test CA",
      ...ca,
    ],
    dir,
  );
  await openssl(["req", ...ec, "-keyout", "privkey.pem", "-out", "server.csr", "-subj", "/CN=ups.example.lan"], dir);
  await writeFile(
    join(dir, "server.ext"),
    "subjectAltName = IP:127.0.0.1, DNS:ups.example.lan\nbasicConstraints = critical, CA:FALSE\n" +
      "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n",
  );
  const sign = ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "server.ext"];
  await openssl(["x509", "-req", "-in", "server.csr", "-out", "fullchain.pem", ...sign], dir);
  return readFile(join(dir, "ca.pem"), "utf8");
}

/** nginx.conf around the server block: one worker, every path inside `dir` (nothing under /var or /etc). */
function nginxConf(dir: string, serverBlock: string): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `  ${kind}_temp_path ${dir}/temp/${kind};`)
    .join("\n");
  // As root nginx would switch its workers to "nobody", who cannot enter our 0700 temp directory.
  const user = process.getuid?.() === 0 ? "user root root;\n" : "";
  return `${user}worker_processes 1;
events { worker_connections 128; }
http {
  access_log ${dir}/access.log;
${temp}
${serverBlock}
}
`;
}

export class Nginx {
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
    /** The test CA's certificate: what a client must trust. */
    readonly caPem: string,
  ) {
    child.once("exit", (code, signal) => (this.exit = { code, signal }));
    // A binary that cannot be started emits "error" and never "exit".
    child.once("error", (error) => {
      this.output += `${error.message}\n`;
      this.exit ??= { code: null, signal: null };
    });
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
  }

  static async start(options: NginxOptions): Promise<Nginx> {
    const dir = await mkdtemp(join(tmpdir(), "argus-nginx-"));
    try {
      await mkdir(join(dir, "temp"));
      const caPem = await makeCertificates(dir);
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const nginx = await Nginx.launch(dir, port, caPem, options.upstreamPort);
        if (await nginx.ready()) return nginx;
        // Another process took the free port first (EADDRINUSE): try another one.
        if (attempt >= PORT_ATTEMPTS || !/Address already in use/.test(nginx.log)) {
          throw new Error(`nginx did not start: ${nginx.log.slice(-2000)}`);
        }
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private static async launch(dir: string, port: number, caPem: string, upstreamPort: number): Promise<Nginx> {
    const conf = join(dir, "nginx.conf");
    await writeFile(conf, nginxConf(dir, await securityMdServerBlock(port, dir, upstreamPort)));
    const globals = `daemon off; pid ${dir}/nginx.pid; error_log stderr;`;
    const child = spawn(NGINX_BIN, ["-p", `${dir}/`, "-c", conf, "-g", globals], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Nginx(child, dir, port, caPem);
  }

  /** True once the TLS port accepts connections; false when nginx exited first (or never listened). */
  private async ready(): Promise<boolean> {
    const listening = await waitFor(async () => this.exit !== null || (await canConnect(this.port)), {
      timeoutMs: 10_000,
      what: "nginx to listen",
    }).then(
      () => this.exit === null,
      () => false,
    );
    if (listening) return true;
    await this.halt();
    if (/ENOENT/.test(this.output)) {
      this.output += "nginx is missing: run tools/install-peers.sh (Debian package nginx)";
    }
    return false;
  }

  get origin(): string {
    return `https://${HOST}:${this.port}`;
  }

  /** nginx's stderr (error_log) so far. */
  get log(): string {
    return this.output;
  }

  /**
   * An undici dispatcher that trusts the test CA, its sockets bound to `localAddress` (e.g. 127.0.0.2). The
   * address is the Agent's own option: undici 7 overwrites a `connect.localAddress` with the Agent's (unset) one.
   */
  client(localAddress?: string): Agent {
    return new Agent({ localAddress, connect: { ca: this.caPem } });
  }

  /** Stops nginx and removes its directory. */
  async stop(): Promise<void> {
    await this.halt();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Stops the master (SIGTERM, then SIGKILL) and makes sure its workers are gone. */
  private async halt(): Promise<void> {
    const pid = this.child.pid;
    const workers = pid === undefined ? [] : await childPids(pid);
    if (this.exit === null) {
      this.child.kill("SIGTERM");
      try {
        await waitFor(() => this.exit !== null, { timeoutMs: STOP_GRACE_MS, what: "nginx to exit" });
      } catch {
        this.child.kill("SIGKILL");
        await waitFor(() => this.exit !== null, { timeoutMs: STOP_GRACE_MS, what: "nginx to die" });
      }
    }
    // The master reaps its workers before it exits on SIGTERM; after a SIGKILL they would be orphans.
    for (const worker of workers) {
      if (await isNginxWorker(worker)) process.kill(worker, "SIGKILL");
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect(port, HOST);
    socket.once("connect", () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once("error", () => resolveConnect(false));
  });
}

/** The parent PID of a process, from /proc (null when it is gone). */
async function parentOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** PIDs whose parent is `parent` (nginx's workers). */
async function childPids(parent: number): Promise<number[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).map(Number);
  const children: number[] = [];
  for (const pid of pids) if ((await parentOf(pid)) === parent) children.push(pid);
  return children;
}

/** Still alive, and still an nginx worker (not a reused PID). */
async function isNginxWorker(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.startsWith("nginx: worker process");
}
