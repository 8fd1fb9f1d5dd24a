/**
 * `argus-snmp`: one UPS or PDU over SNMP v1, v2c or v3. Polls it on an interval and sends a Snapshot per poll, the
 * same shape `argus-nut` sends; an input message polls now. A thin adapter over SnmpDriver and PollLoop, plus the
 * editor's "test connection" route.
 */
import type { Request, Response } from "express";
import type { Node, NodeAPI, NodeDef } from "node-red";
import { ConfigError } from "../model/config-error";
import { slugDeviceId } from "../model/device-id";
import { resolveSnmpSettings, type SnmpSettings, type SnmpSettingsInput } from "../model/snmp-settings";
import { SnmpDriver, type ConnectionTest } from "../snmp/driver";
import { fromNetSnmp } from "../snmp/errors";
import { SnmpSessionPool } from "../snmp/pool";
import type { SnmpWarning } from "../snmp/snapshot";
import { positiveNumber, registeredIntervalS, reportConfigError, runDeviceNode, typedValue } from "./device-node";

interface ArgusSnmpConfig extends NodeDef {
  server?: string;
  host?: string;
  hostType?: string;
  port?: string | number;
  version?: string;
  profile?: string;
  interval?: string | number;
  timeout?: string | number;
  timeoutType?: string;
  retries?: string | number;
  retriesType?: string;
  username?: string;
  usernameType?: string;
  level?: string;
  authProtocol?: string;
  privProtocol?: string;
  context?: string;
  output?: "always" | "change";
  nominalPower?: string | number;
}

interface ArgusSnmpCredentials {
  community?: string;
  authKey?: string;
  privKey?: string;
}

const DEFAULT_INTERVAL_S = 10;
/** What Node-RED's editor sends back for a password credential that was saved and not changed. */
const SAVED_PASSWORD = "__PWRD__";

export = function (RED: NodeAPI): void {
  function ArgusSnmpNode(this: Node<ArgusSnmpCredentials>, config: ArgusSnmpConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;

    let driver: SnmpDriver;
    const intervalS = positiveNumber(config.interval) ?? DEFAULT_INTERVAL_S;
    const nominalPowerW = positiveNumber(config.nominalPower);
    try {
      const typed = (value: string | number | undefined, type: string | undefined) =>
        typedValue(RED, node, value === undefined ? undefined : String(value), type);
      const fromEditor = {
        ...config,
        host: typed(config.host, config.hostType),
        timeout: typed(config.timeout, config.timeoutType),
        retries: typed(config.retries, config.retriesType),
        username: typed(config.username, config.usernameType),
      };
      const settings = resolveSnmpSettings(settingsInput(fromEditor, node.credentials ?? {}));
      driver = new SnmpDriver(deviceIdOf(config, settings), settings, { nominalPowerW });
    } catch (error) {
      reportConfigError(node, error);
      return;
    }

    const reported = new Set<string>();
    /** A suspicious value is logged when it first appears, not on every poll; once gone it may be logged again. */
    const warnOnce = (warnings: readonly SnmpWarning[]) => {
      const current = new Set(warnings.map((warning) => `${warning.code} ${warning.oid}`));
      for (const warning of warnings) {
        if (!reported.has(`${warning.code} ${warning.oid}`)) node.warn(`${warning.code}: ${warning.message}`);
      }
      reported.clear();
      for (const key of current) reported.add(key);
    };

    runDeviceNode({
      RED,
      node,
      driver,
      serverId: config.server,
      output: config.output,
      intervalS,
      device: {
        id: driver.deviceId,
        name: config.name || driver.settings.host,
        kind: "snmp",
        enabled: true,
        poll_interval_s: registeredIntervalS(intervalS),
        nominal_power_w: nominalPowerW,
        snmp: driver.settings,
      },
      inspect: (snapshot) => {
        if (snapshot.reachable) warnOnce(driver.warnings);
      },
    });
  }

  RED.nodes.registerType<Node<ArgusSnmpCredentials>, ArgusSnmpConfig, unknown, ArgusSnmpCredentials>(
    "argus-snmp",
    ArgusSnmpNode,
    {
      credentials: { community: { type: "password" }, authKey: { type: "password" }, privKey: { type: "password" } },
    },
  );
  registerSnmpTestRoute(RED);
};

function settingsInput(config: ArgusSnmpConfig, credentials: ArgusSnmpCredentials): SnmpSettingsInput {
  return {
    host: config.host,
    port: config.port,
    version: config.version,
    profile: config.profile,
    timeout: config.timeout,
    retries: config.retries,
    username: config.username,
    level: config.level,
    authProtocol: config.authProtocol,
    privProtocol: config.privProtocol,
    context: config.context,
    community: credentials.community,
    authKey: credentials.authKey,
    privKey: credentials.privKey,
  };
}

/** The node's name when it has one (as for argus-nut), else the agent's address. */
function deviceIdOf(config: ArgusSnmpConfig, settings: SnmpSettings): string {
  return slugDeviceId(config.name || (settings.port === 161 ? settings.host : `${settings.host}-${settings.port}`));
}

// ---------------------------------------------------------------------------------------------------------------
// The editor's "test connection" button

const installedOn = new WeakSet<object>();

/**
 * `POST /argus-snmp/test` with the editor's fields answers the detected profile, model and a sample reading. An
 * admin route, so it takes Node-RED's admin permission (`adminAuth`), not the Argus API key. Secrets the editor
 * does not have (saved credentials show as a placeholder) are taken from the deployed node named by `id`.
 */
function registerSnmpTestRoute(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (!app || installedOn.has(app)) return;
  installedOn.add(app);
  app.post("/argus-snmp/test", RED.auth.needsPermission("argus-snmp.read"), (req: Request, res: Response) => {
    const saved = (id: string) => RED.nodes.getCredentials(id) as ArgusSnmpCredentials | undefined;
    void testConnection(req.body, saved).then(({ status, body }) => res.status(status).json(body));
  });
}

type SavedCredentials = (id: string) => ArgusSnmpCredentials | undefined;

async function testConnection(body: unknown, saved: SavedCredentials): Promise<{ status: number; body: object }> {
  let settings: SnmpSettings;
  try {
    settings = resolveSnmpSettings(withSavedSecrets(body, saved));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { status: 400, body: { error: error.message, issues: error.issues } };
  }
  // Its own pool, so the test neither borrows nor disturbs the session of a running node.
  const driver = new SnmpDriver("test", settings, { pool: new SnmpSessionPool() });
  try {
    return { status: 200, body: summary(await driver.testConnection()) };
  } catch (error) {
    const snmpError = fromNetSnmp(error);
    return { status: 502, body: { error: snmpError.message, code: snmpError.code } };
  } finally {
    driver.close();
  }
}

/** Fields whose `<field>Type` is `env` name an environment variable of this process; the types themselves go. */
function withEnvFields<T extends object>(input: T): T {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key.endsWith("Type")) continue;
    const type = (input as Record<string, unknown>)[`${key}Type`];
    fields[key] = type === "env" && typeof value === "string" ? (process.env[value] ?? "") : value;
  }
  return fields as T;
}

function withSavedSecrets(body: unknown, saved: SavedCredentials): SnmpSettingsInput {
  const input = (typeof body === "object" && body !== null ? body : {}) as SnmpSettingsInput & { id?: unknown };
  const { id, ...fields } = withEnvFields(input);
  const stored = typeof id === "string" && id ? (saved(id) ?? {}) : {};
  const secret = (given: string | undefined, fromNode: string | undefined) =>
    given === SAVED_PASSWORD ? fromNode : given;
  return {
    ...stringFields(fields),
    community: secret(fields.community, stored.community),
    authKey: secret(fields.authKey, stored.authKey),
    privKey: secret(fields.privKey, stored.privKey),
  };
}

/** Only strings and numbers reach the settings parser; anything else in the body is dropped. */
function stringFields(fields: object): SnmpSettingsInput {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => typeof value === "string" || typeof value === "number"),
  ) as SnmpSettingsInput;
}

function summary(test: ConnectionTest): object {
  const { snapshot } = test;
  return {
    profile: test.profile,
    profile_label: test.profile_label,
    detected: test.detected,
    sys_object_id: test.sys_object_id,
    manufacturer: test.manufacturer,
    model: test.model,
    latency_ms: test.latency_ms,
    sample: {
      status: snapshot.status.raw,
      battery_charge_pct: snapshot.battery_charge_pct,
      battery_runtime_s: snapshot.battery_runtime_s,
      input_voltage_v: snapshot.input_voltage_v,
      output_voltage_v: snapshot.output_voltage_v,
      load_pct: snapshot.load_pct,
      power_w: snapshot.power_w,
      temperature_c: snapshot.temperature_c,
    },
    warnings: test.warnings.map((warning) => warning.message),
  };
}
