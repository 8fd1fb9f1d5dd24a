/**
 * SNMP polling: this driver against the references users have today, in one run, against npm net-snmp's agent
 * serving the CyberPower recording (17 OIDs a snapshot) on loopback, in a child process of its own so the agent
 * does not share the event loop being measured (snmpsimd is too slow to measure a client against).
 *   - argus: the shared session and a full normalization into a Snapshot (v2c, v3 SHA/AES authPriv)
 *   - snmpget: Net-SNMP's tool, one process per poll with the same OIDs
 *   - per-message session: node-red-node-snmp's approach, a new net-snmp session per message (v3: discovery each time)
 * The two references only GET the values; argus also turns them into a Snapshot, and its rows include that work.
 * Goals (issue 4): >= 2,000 snapshots/s v2c and 1,000 v3 on one core, p50 under 1 ms.
 */
import { execFile, fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { promisify } from "node:util";
import * as snmp from "net-snmp";
import { resolveSnmpSettings, type SnmpSettingsInput } from "../src/model/snmp-settings";
import { SnmpDriver } from "../src/snmp/driver";
import { SnmpSessionPool } from "../src/snmp/pool";
import { CYBERPOWER } from "../src/snmp/profiles";
import { agentValues, FaultAgent } from "../test/support/snmpsim";
import { measure, measureRounds, printTable, round, writeResult, type LatencySummary } from "./stats";

const execFileAsync = promisify(execFile);
const HOST = "127.0.0.1";
const OIDS = CYBERPOWER.scalars.map((def) => def.oid);
const GOALS = { v2c_per_second: 2000, v3_per_second: 1000, p50_ms: 1 };

/** A latency summary plus this process's CPU time per snapshot (null where the work is in other processes). */
type Result = LatencySummary & { client_cpu_ms: number | null };

/** Runs a measurement and adds the CPU time this process spent per run: the client's own cost, without the agent. */
async function withCpu(runs: number, run: () => Promise<LatencySummary>): Promise<Result> {
  const before = process.cpuUsage();
  const summary = await run();
  const used = process.cpuUsage(before);
  return { ...summary, client_cpu_ms: round((used.user + used.system) / 1000 / runs) };
}

function withoutCpu(summary: LatencySummary): Result {
  return { ...summary, client_cpu_ms: null };
}

interface AgentReady {
  port: number;
}

interface BenchUser {
  name: string;
  authKey: string;
  privKey: string;
}

/** The child: the agent, until the parent disconnects. */
async function runAgent(): Promise<void> {
  const [user] = (await once(process, "message")) as [BenchUser];
  const agent = await FaultAgent.start({
    values: agentValues("cyberpower"),
    users: [
      {
        name: user.name,
        level: snmp.SecurityLevel.authPriv,
        authProtocol: snmp.AuthProtocols.sha,
        authKey: user.authKey,
        privProtocol: snmp.PrivProtocols.aes,
        privKey: user.privKey,
      },
    ],
  });
  process.send?.({ port: agent.port } satisfies AgentReady);
  process.once("disconnect", () => void agent.stop());
}

async function startAgent(user: BenchUser): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(__filename, ["agent"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.send(user);
  const [ready] = (await once(child, "message")) as [AgentReady];
  return { child, port: ready.port };
}

async function main(): Promise<void> {
  const user: BenchUser = {
    name: "bench",
    authKey: randomBytes(12).toString("hex"),
    privKey: randomBytes(12).toString("hex"),
  };
  const { child, port } = await startAgent(user);
  try {
    const v2c: SnmpSettingsInput = { host: HOST, port, version: "2c", profile: "auto" };
    const v3: SnmpSettingsInput = {
      ...v2c,
      version: "3",
      username: user.name,
      authProtocol: "sha",
      authKey: user.authKey,
      privProtocol: "aes",
      privKey: user.privKey,
    };
    const argusV2c = await measureDriver(v2c, 10_000);
    const argusV3 = await measureDriver(v3, 5_000);
    const argusConcurrent = await measureConcurrent(v2c, 10, 1_000);
    const perMessageV2c = await measurePerMessage(port, null, 1_000);
    const perMessageV3 = await measurePerMessage(port, user, 300);
    const snmpget = (who: BenchUser | null) => () =>
      execFileAsync("snmpget", [...snmpgetArgs(who), `${HOST}:${port}`, ...OIDS]);
    const snmpgetV2c = withoutCpu(await measure(100, snmpget(null)));
    const snmpgetV3 = withoutCpu(await measure(100, snmpget(user)));

    const rows = [
      row("argus v2c (shared session)", argusV2c, snmpgetV2c, perMessageV2c),
      row("argus v2c (10 devices at once)", argusConcurrent, snmpgetV2c, perMessageV2c),
      row("argus v3 SHA/AES (shared session)", argusV3, snmpgetV3, perMessageV3),
      row("session per message v2c (node-red-node-snmp)", perMessageV2c, snmpgetV2c, perMessageV2c),
      row("session per message v3 (node-red-node-snmp)", perMessageV3, snmpgetV3, perMessageV3),
      row("snmpget v2c (process per poll)", snmpgetV2c, snmpgetV2c, perMessageV2c),
      row("snmpget v3 (process per poll)", snmpgetV3, snmpgetV3, perMessageV3),
    ];
    printTable(`SNMP snapshot of ${OIDS.length} OIDs from net-snmp's agent (loopback, agent in its own process)`, rows);
    const goals = {
      v2c_per_second: {
        goal: GOALS.v2c_per_second,
        measured: argusV2c.per_second,
        met: argusV2c.per_second >= GOALS.v2c_per_second,
      },
      v3_per_second: {
        goal: GOALS.v3_per_second,
        measured: argusV3.per_second,
        met: argusV3.per_second >= GOALS.v3_per_second,
      },
      v2c_p50_ms: { goal: GOALS.p50_ms, measured: argusV2c.p50_ms, met: argusV2c.p50_ms < GOALS.p50_ms },
      v3_p50_ms: { goal: GOALS.p50_ms, measured: argusV3.p50_ms, met: argusV3.p50_ms < GOALS.p50_ms },
    };
    printTable(
      "Goals",
      Object.entries(goals).map(([name, goal]) => ({ name, ...goal, met: goal.met ? "yes" : "NO" })),
    );
    const file = writeResult("snmp", { oids: OIDS.length, agent: "net-snmp agent, child process", rows, goals });
    console.log(`written ${file}`);
  } finally {
    child.kill();
  }
}

/** Sequential polls of one driver: the first poll (detection, v3 discovery) is part of the warm-up. */
async function measureDriver(input: SnmpSettingsInput, runs: number): Promise<Result> {
  const driver = new SnmpDriver("bench", resolveSnmpSettings(input, {}), { pool: new SnmpSessionPool() });
  try {
    const poll = async () => {
      const snapshot = await driver.poll();
      if (!snapshot.reachable) throw new Error(`poll failed: ${snapshot.error?.message}`);
    };
    await measure(500, poll);
    return await withCpu(runs, () => measure(runs, poll));
  } finally {
    driver.close();
  }
}

/** Several devices on one agent polled at once, round after round (they share one session). */
async function measureConcurrent(input: SnmpSettingsInput, devices: number, rounds: number): Promise<Result> {
  const pool = new SnmpSessionPool();
  const settings = resolveSnmpSettings(input, {});
  const drivers = Array.from({ length: devices }, (_, i) => new SnmpDriver(`bench-${i}`, settings, { pool }));
  try {
    await Promise.all(drivers.map((driver) => driver.poll()));
    const polls = drivers.map((driver) => () => driver.poll());
    return await withCpu(devices * rounds, () => measureRounds(polls, rounds));
  } finally {
    drivers.forEach((driver) => driver.close());
  }
}

/** node-red-node-snmp's way: create a session, GET, close, for every message. */
async function measurePerMessage(port: number, user: BenchUser | null, runs: number): Promise<Result> {
  const poll = () =>
    new Promise<void>((resolve, reject) => {
      const session = user
        ? snmp.createV3Session(
            HOST,
            {
              name: user.name,
              level: snmp.SecurityLevel.authPriv,
              authProtocol: snmp.AuthProtocols.sha,
              authKey: user.authKey,
              privProtocol: snmp.PrivProtocols.aes,
              privKey: user.privKey,
            },
            { port, timeout: 3000, retries: 1 },
          )
        : snmp.createSession(HOST, "public", { port, version: snmp.Version2c, timeout: 3000, retries: 1 });
      session.get(OIDS, (error) => {
        session.close();
        if (error) reject(error);
        else resolve();
      });
    });
  await measure(50, poll);
  return withCpu(runs, () => measure(runs, poll));
}

function snmpgetArgs(user: BenchUser | null): string[] {
  const common = ["-On", "-m", "", "-t", "3", "-r", "1"];
  if (!user) return [...common, "-v2c", "-c", "public"];
  return [
    ...common,
    "-v3",
    "-l",
    "authPriv",
    "-u",
    user.name,
    "-a",
    "SHA",
    "-A",
    user.authKey,
    "-x",
    "AES",
    "-X",
    user.privKey,
  ];
}

function row(name: string, summary: Result, snmpget: Result, perMessage: Result) {
  return {
    client: name,
    "p50 ms": summary.p50_ms,
    "p99 ms": summary.p99_ms,
    "snapshots/s": summary.per_second,
    "client CPU ms/snapshot": summary.client_cpu_ms ?? "(other process)",
    "rate vs snmpget": `${round(summary.per_second / snmpget.per_second, 1)}x`,
    "rate vs session per message": `${round(summary.per_second / perMessage.per_second, 1)}x`,
  };
}

if (process.argv[2] === "agent") {
  runAgent().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
