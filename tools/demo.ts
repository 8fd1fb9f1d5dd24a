/**
 * The README's first command: a local Node-RED with this package and a demo flow already deployed, on
 * 127.0.0.1:1880, polling a demo UPS, with an Argus server whose API key is generated once and kept in .demo/.
 * The UPS is served by a real upsd with dummy-ups where Debian's nut-server is installed, otherwise by the
 * project's NUT simulator. Both go on battery for 30 s every 5 minutes, so the flow shows changes.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SAMPLE_UPS_VARS, Upsd } from "../test/support/upsd";
import { freePort } from "../test/support/wait";
import { NutSimulator } from "./nut-simulator";

const ROOT = resolve(__dirname, "..");
const STATE = join(ROOT, ".demo");
const USER_DIR = join(STATE, "node-red");
const PORT = Number(process.env.PORT ?? 1880);
const OUTAGE_EVERY_MS = 5 * 60 * 1000;
const OUTAGE_MS = 30 * 1000;

interface UpsServer {
  kind: string;
  port: number;
  setStatus(status: string): Promise<void>;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  await mkdir(join(USER_DIR, "node_modules"), { recursive: true });
  const apiKey = await demoKey();
  const ups = await startUpsServer();
  await prepareNodeRed(ups.port);
  const red = spawn(
    process.execPath,
    [require.resolve("node-red/red.js"), "-u", USER_DIR, "-p", String(PORT), "-s", join(USER_DIR, "settings.js")],
    {
      env: { ...process.env, API_KEY: apiKey },
      stdio: "inherit",
    },
  );
  const outages = scheduleOutages(ups);
  console.log(`
  Argus demo
    editor     http://127.0.0.1:${PORT}/   (the debug sidebar shows a snapshot every 5 s)
    API        http://127.0.0.1:${PORT}/api/health   /api/devices   /api/snapshots/latest   /api/openapi.json
    API key    ${apiKey}   (kept in .demo/api-key)
    UPS        "demo" on ${ups.kind} at 127.0.0.1:${ups.port}; on battery for 30 s every 5 minutes
    try        curl -s -X POST -H "X-Api-Key: ${apiKey}" http://127.0.0.1:${PORT}/api/trigger
`);
  const stop = async () => {
    clearInterval(outages);
    red.kill("SIGINT");
    await new Promise((done) => red.once("exit", done));
    await ups.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  red.once("exit", (code) => {
    clearInterval(outages);
    void ups.stop().then(() => process.exit(code ?? 1));
  });
}

/** One key per demo folder: generated the first time (32 random bytes, as SECURITY.md says), then reused. */
function demoKey(): Promise<string> {
  return keptSecret("api-key");
}

async function keptSecret(name: string): Promise<string> {
  const file = join(STATE, name);
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, secret + "\n", { mode: 0o600 });
  return secret;
}

async function startUpsServer(): Promise<UpsServer> {
  if (existsSync("/lib/nut/upsd") && existsSync("/lib/nut/dummy-ups")) {
    const upsd = await Upsd.start({ upses: [{ name: "demo", desc: "Argus demo UPS", vars: SAMPLE_UPS_VARS }] });
    return {
      kind: "upsd (Debian nut-server, dummy-ups)",
      port: upsd.port,
      setStatus: (status) => upsd.setVarAsAdmin("demo", "ups.status", status),
      stop: () => upsd.stop(),
    };
  }
  const sim = new NutSimulator({
    port: await freePort(),
    upses: [{ name: "demo", desc: "Argus demo UPS", vars: SAMPLE_UPS_VARS }],
  });
  await sim.start();
  return {
    kind: "the NUT simulator (install nut-server for a real upsd)",
    port: sim.port,
    setStatus: async (status) => sim.setVar("demo", "ups.status", status),
    stop: () => sim.stop(),
  };
}

function scheduleOutages(ups: UpsServer): NodeJS.Timeout {
  return setInterval(() => {
    void ups.setStatus("OB DISCHRG").catch(() => undefined);
    setTimeout(() => void ups.setStatus("OL").catch(() => undefined), OUTAGE_MS);
  }, OUTAGE_EVERY_MS);
}

async function prepareNodeRed(upsPort: number): Promise<void> {
  const link = join(USER_DIR, "node_modules", "node-red-contrib-argus");
  if (!existsSync(link)) await symlink(ROOT, link, "dir");
  await writeFile(
    join(USER_DIR, "settings.js"),
    `module.exports = {
  uiHost: "127.0.0.1",
  flowFile: "flows.json",
  credentialSecret: ${JSON.stringify(await keptSecret("credential-secret"))},
  editorTheme: { tours: false },
};
`,
  );
  // The demo flow is rewritten on each start: the UPS server's port may change.
  await writeFile(join(USER_DIR, "flows.json"), JSON.stringify(demoFlow(upsPort), null, 2));
}

function demoFlow(upsPort: number): object[] {
  return [
    { id: "demo-tab", type: "tab", label: "Argus demo" },
    { id: "demo-server", type: "argus-server", name: "Argus" },
    {
      id: "demo-comment",
      type: "comment",
      z: "demo-tab",
      name: "A UPS polled every 5 s; the API at /api (key printed in the terminal)",
      x: 260,
      y: 40,
      wires: [],
    },
    {
      id: "demo-inject",
      type: "inject",
      z: "demo-tab",
      name: "poll now",
      props: [{ p: "payload" }],
      payload: "",
      payloadType: "date",
      x: 120,
      y: 100,
      wires: [["demo-ups"]],
    },
    {
      id: "demo-ups",
      type: "argus-nut",
      z: "demo-tab",
      name: "Demo UPS",
      server: "demo-server",
      host: "127.0.0.1",
      port: String(upsPort),
      ups: "demo",
      interval: "5",
      tls: "off",
      output: "always",
      x: 300,
      y: 100,
      wires: [["demo-debug"]],
    },
    {
      id: "demo-debug",
      type: "debug",
      z: "demo-tab",
      name: "snapshot",
      active: true,
      tosidebar: true,
      complete: "payload",
      targetType: "msg",
      x: 490,
      y: 100,
      wires: [],
    },
  ];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
