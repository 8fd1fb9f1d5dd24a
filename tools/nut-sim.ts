/**
 * Demo upsd for machines without nut-server: `tsx tools/nut-sim.ts --port 3493 --host 127.0.0.1 [--ups name ...]`.
 * Serves one UPS per --ups (default `demo`) whose readings drift every 2 s and which runs on battery for 30 s in
 * every 5 minutes, so a dashboard shows live changes and power events. User `admin` (password from
 * NUT_SIM_ADMIN_PASSWORD, else "demo-admin") may run every instant command and set writable variables.
 */
import { NutSimulator, type SimUps } from "./nut-simulator";

const TICK_MS = 2_000;
const CYCLE_S = 300;
/** The outage window inside each cycle: starts a minute in, so a fresh demo shows one soon. */
const OUTAGE_START_S = 60;
const OUTAGE_S = 30;
const FULL_RUNTIME_S = 1_800;
const NOMINAL_LOAD = 23;
const REALPOWER_NOMINAL = 900;
const POWER_NOMINAL = 1_500;

interface CliOptions {
  host: string;
  port: number;
  upses: string[];
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { host: "127.0.0.1", port: 3493, upses: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--host") options.host = requireValue(argv, ++i, flag);
    else if (flag === "--port") options.port = parsePort(requireValue(argv, ++i, flag));
    else if (flag === "--ups") {
      // Both `--ups a --ups b` and `--ups a b` work.
      while (argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("--")) options.upses.push(argv[++i] ?? "");
    } else throw new Error(`unknown argument ${flag ?? ""}`);
  }
  if (options.upses.length === 0) options.upses.push("demo");
  return options;
}

function requireValue(argv: string[], index: number, flag: string): string {
  const value = argv[index];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`bad port ${text}`);
  return port;
}

function demoUps(name: string, index: number): SimUps {
  const serial = `ADP1500-${String(index + 1).padStart(4, "0")}`;
  return {
    name,
    desc: `Argus demo UPS ${index + 1}`,
    vars: {
      "battery.charge": "100",
      "battery.charge.low": "10",
      "battery.charge.warning": "50",
      "battery.runtime": String(FULL_RUNTIME_S),
      "battery.runtime.low": "120",
      "battery.type": "PbAc",
      "battery.voltage": "13.6",
      "battery.voltage.nominal": "12.0",
      "battery.mfr.date": "2024/03/18",
      "device.mfr": "Argus Demo Power",
      "device.model": "Demo 1500",
      "device.serial": serial,
      "device.type": "ups",
      "driver.name": "nut-sim",
      "driver.version": "2.8.0",
      "input.frequency": "50.0",
      "input.frequency.nominal": "50",
      "input.transfer.high": "264",
      "input.transfer.low": "184",
      "input.voltage": "230.0",
      "input.voltage.nominal": "230",
      "output.frequency": "50.0",
      "output.voltage": "230.0",
      "output.voltage.nominal": "230",
      "ups.beeper.status": "enabled",
      "ups.delay.shutdown": "20",
      "ups.delay.start": "30",
      "ups.firmware": "02.08.0010",
      "ups.load": String(NOMINAL_LOAD),
      "ups.mfr": "Argus Demo Power",
      "ups.model": "Demo 1500",
      "ups.power": "259",
      "ups.power.nominal": String(POWER_NOMINAL),
      "ups.realpower": "207",
      "ups.realpower.nominal": String(REALPOWER_NOMINAL),
      "ups.serial": serial,
      "ups.status": "OL",
      "ups.temperature": "29.5",
      "ups.test.result": "No test initiated",
    },
    rw: [
      "battery.charge.low",
      "battery.runtime.low",
      "input.transfer.high",
      "input.transfer.low",
      "ups.delay.shutdown",
      "ups.delay.start",
    ],
    commands: [
      "beeper.disable",
      "beeper.enable",
      "beeper.mute",
      "load.off",
      "load.on",
      "shutdown.return",
      "test.battery.start.quick",
      "test.battery.stop",
    ],
  };
}

/** The slowly changing part of a demo UPS; everything else stays as served (or as an admin set it). */
class DemoModel {
  private charge = 100;

  constructor(
    private readonly sim: NutSimulator,
    private readonly ups: string,
    private readonly phaseS: number,
  ) {}

  tick(elapsedS: number): void {
    const cycleS = (elapsedS + this.phaseS) % CYCLE_S;
    const onBattery = cycleS >= OUTAGE_START_S && cycleS < OUTAGE_START_S + OUTAGE_S;
    const load = jitter(NOMINAL_LOAD, 2, 0);
    // About 15 % lost over a 30 s outage, won back at half that rate once mains returns.
    this.charge = clamp(this.charge + (onBattery ? -1 : 0.5), 0, 100);
    const charging = !onBattery && this.charge < 100;
    this.set("ups.status", onBattery ? "OB DISCHRG" : charging ? "OL CHRG" : "OL");
    this.set("ups.load", load.toFixed(0));
    this.set("ups.realpower", ((load / 100) * REALPOWER_NOMINAL).toFixed(0));
    this.set("ups.power", ((load / 100) * POWER_NOMINAL * 0.75).toFixed(0));
    this.set("battery.charge", this.charge.toFixed(0));
    this.set("battery.runtime", ((FULL_RUNTIME_S * this.charge * NOMINAL_LOAD) / (100 * load)).toFixed(0));
    this.set("battery.voltage", (onBattery ? 12.2 + this.charge / 100 : charging ? 13.8 : 13.6).toFixed(1));
    this.set("input.voltage", onBattery ? "0.0" : jitter(230, 1.5, 1).toFixed(1));
    this.set("input.frequency", onBattery ? "0.0" : jitter(50, 0.1, 1).toFixed(1));
    this.set("output.voltage", jitter(230, 0.5, 1).toFixed(1));
    this.set("ups.temperature", jitter(onBattery ? 31 : 29.5, 0.3, 1).toFixed(1));
  }

  /** Makes the demo's instant commands visible where a real UPS would show them. */
  onInstcmd(command: string): void {
    if (command === "beeper.disable") this.set("ups.beeper.status", "disabled");
    if (command === "beeper.enable") this.set("ups.beeper.status", "enabled");
    if (command === "beeper.mute") this.set("ups.beeper.status", "muted");
    if (command === "test.battery.start.quick") this.set("ups.test.result", "Done and passed");
  }

  private set(name: string, value: string): void {
    this.sim.setVar(this.ups, name, value);
  }
}

function jitter(centre: number, spread: number, decimals: number): number {
  const value = centre + (Math.random() * 2 - 1) * spread;
  return Number(value.toFixed(decimals));
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const models = new Map<string, DemoModel>();
  const sim = new NutSimulator({
    host: options.host,
    port: options.port,
    upses: options.upses.map(demoUps),
    users: {
      admin: { password: process.env.NUT_SIM_ADMIN_PASSWORD || "demo-admin", instcmds: "all", canSet: true },
    },
    onInstcmd: (ups, command) => models.get(ups)?.onInstcmd(command),
  });
  // Several UPSes start a minute apart, so their outages do not all coincide.
  options.upses.forEach((name, index) => models.set(name, new DemoModel(sim, name, index * 60)));
  const { host, port } = await sim.start();
  const startedAt = Date.now();
  const timer = setInterval(() => {
    const elapsedS = (Date.now() - startedAt) / 1_000;
    for (const model of models.values()) model.tick(elapsedS);
  }, TICK_MS);
  console.log(`nut-sim listening on ${host}:${port}`);

  const shutdown = (): void => {
    clearInterval(timer);
    void sim.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((error: unknown) => {
  console.error(`nut-sim: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
