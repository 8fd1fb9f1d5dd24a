/**
 * A real Node-RED process for end-to-end tests: its own user directory with this package in node_modules (the
 * work tree linked, or the packed package as users get it), bound to 127.0.0.1 on a free port, started and
 * stopped by PID.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { freePort, waitFor } from "./wait";

const ROOT = resolve(__dirname, "../..");
const RED_JS = require.resolve("node-red/red.js");
const execFileAsync = promisify(execFile);

export interface NodeRedOptions {
  env?: Record<string, string>;
  /**
   * `linked` (default): the work tree linked into node_modules. `packed`: what `npm pack` publishes, unpacked
   * there, with the runtime dependencies beside it, as a user gets it from the palette manager.
   */
  install?: "linked" | "packed";
  /** Reuse a user directory (restart tests); a new temporary one otherwise. */
  userDir?: string;
  port?: number;
}

export class NodeRedProcess {
  private child: ChildProcess | null = null;
  private output = "";

  private constructor(
    readonly userDir: string,
    readonly port: number,
    private readonly ownsDir: boolean,
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: NodeRedOptions = {}): Promise<NodeRedProcess> {
    const userDir = options.userDir ?? (await mkdtemp(join(tmpdir(), "argus-node-red-")));
    await prepareUserDir(userDir, options.install ?? "linked");
    const red = new NodeRedProcess(userDir, options.port ?? (await freePort()), !options.userDir, options.env ?? {});
    await red.launch();
    return red;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything Node-RED logged so far. */
  get log(): string {
    return this.output;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Deploys a full flow (with credentials inside nodes) and waits until Node-RED says it has started it. */
  async deploy(flows: object[]): Promise<void> {
    const before = this.output.length;
    const response = await fetch(`${this.url}/flows`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Node-RED-API-Version": "v2",
        "Node-RED-Deployment-Type": "full",
      },
      body: JSON.stringify({ flows }),
    });
    if (response.status !== 200) throw new Error(`deploy failed: ${response.status} ${await response.text()}`);
    await waitFor(() => this.output.slice(before).includes("Started flows"), {
      timeoutMs: 30_000,
      what: "flows started",
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
    child.kill("SIGINT");
    await Promise.race([exited, waitFor(() => child.exitCode !== null, { timeoutMs: 10_000, what: "exit" })]);
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.userDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    this.output = "";
    const child = spawn(
      process.execPath,
      [RED_JS, "-u", this.userDir, "-p", String(this.port), "-s", join(this.userDir, "settings.js")],
      {
        env: { ...process.env, ...this.env, NODE_RED_ENABLE_PROJECTS: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`node-red exited: ${this.output.slice(-2000)}`);
        const response = await fetch(`${this.url}/settings`).catch(() => null);
        return response?.status === 200;
      },
      { timeoutMs: 30_000, what: "Node-RED to answer /settings" },
    );
  }
}

async function linkOnce(source: string, link: string): Promise<void> {
  await symlink(source, link, "dir").catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
}

/** `npm pack` of the built package, unpacked into node_modules, its runtime dependencies linked beside it. */
async function installPacked(userDir: string, target: string): Promise<void> {
  if (existsSync(target)) return;
  const { stdout } = await execFileAsync("npm", ["pack", "--silent", "--pack-destination", userDir], { cwd: ROOT });
  const tarball = join(userDir, stdout.trim().split("\n").pop() ?? "");
  await mkdir(target, { recursive: true });
  await execFileAsync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies)) {
    await mkdir(dirname(join(userDir, "node_modules", name)), { recursive: true });
    await linkOnce(join(ROOT, "node_modules", name), join(userDir, "node_modules", name));
  }
}

async function prepareUserDir(userDir: string, install: "linked" | "packed"): Promise<void> {
  await mkdir(join(userDir, "node_modules"), { recursive: true });
  const target = join(userDir, "node_modules", "node-red-contrib-argus");
  if (install === "packed") await installPacked(userDir, target);
  else await linkOnce(ROOT, target);
  await writeFile(
    join(userDir, "settings.js"),
    `module.exports = {
  uiHost: "127.0.0.1",
  flowFile: "flows.json",
  credentialSecret: "argus-test-secret",
  logging: { console: { level: "info", metrics: false, audit: false } },
  editorTheme: { tours: false },
  externalModules: { autoInstall: false },
};
`,
  );
}
