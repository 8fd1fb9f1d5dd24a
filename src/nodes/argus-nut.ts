/**
 * `argus-nut`: one UPS on a NUT server. Polls it on an interval and sends a Snapshot per poll; an input message
 * polls now or runs an instant command / sets a variable. A thin adapter: configuration, a NutDriver, and the
 * commands; everything else is the shared device node.
 */
import type { Node, NodeAPI, NodeDef } from "node-red";
import { ConfigError } from "../model/config-error";
import { slugDeviceId } from "../model/device-id";
import { resolveNutSettings } from "../model/nut-settings";
import { NutDriver } from "../nut/driver";
import { positiveNumber, registeredIntervalS, reportConfigError, runDeviceNode, typedValue } from "./device-node";
import { NutCommand } from "./nut-command";
import { registerNutDiscoveryRoute } from "./nut-discovery-route";

interface ArgusNutConfig extends NodeDef {
  server?: string;
  host?: string;
  hostType?: string;
  port?: string | number;
  portType?: string;
  ups?: string;
  upsType?: string;
  interval?: string | number;
  tls?: string;
  output?: "always" | "change";
  nominalPower?: string | number;
}

interface ArgusNutCredentials {
  username?: string;
  password?: string;
}

const DEFAULT_INTERVAL_S = 10;

export = function (RED: NodeAPI): void {
  function ArgusNutNode(this: Node<ArgusNutCredentials>, config: ArgusNutConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const intervalS = positiveNumber(config.interval) ?? DEFAULT_INTERVAL_S;
    const nominalPowerW = positiveNumber(config.nominalPower);
    let driver: NutDriver;
    try {
      const settings = resolveNutSettings({
        ...config,
        host: typedValue(RED, node, config.host, config.hostType),
        port: typedValue(RED, node, config.port === undefined ? undefined : String(config.port), config.portType),
        ups: typedValue(RED, node, config.ups, config.upsType),
        ...node.credentials,
      });
      const deviceId = slugDeviceId(config.name || `${settings.ups}-${settings.host}`);
      driver = new NutDriver(deviceId, settings, { nominalPowerW });
    } catch (error) {
      reportConfigError(node, error);
      return;
    }

    runDeviceNode({
      RED,
      node,
      driver,
      serverId: config.server,
      output: config.output,
      intervalS,
      device: {
        id: driver.deviceId,
        name: config.name || `${driver.settings.ups}@${driver.settings.host}`,
        kind: "nut",
        enabled: true,
        poll_interval_s: registeredIntervalS(intervalS),
        nominal_power_w: nominalPowerW,
        nut: driver.settings,
      },
      runCommand: (payload) => runCommand(driver, payload),
    });
  }

  RED.nodes.registerType<Node<ArgusNutCredentials>, ArgusNutConfig, unknown, ArgusNutCredentials>(
    "argus-nut",
    ArgusNutNode,
    { credentials: { username: { type: "text" }, password: { type: "password" } } },
  );
  registerNutDiscoveryRoute(RED);
};

async function runCommand(driver: NutDriver, payload: unknown): Promise<object> {
  const parsed = NutCommand.safeParse(payload);
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  const command = parsed.data;
  if (command.command === "instcmd") {
    const reply = await driver.instcmd(command.name, command.param);
    return { device_id: driver.deviceId, command: "instcmd", name: command.name, ok: true, reply };
  }
  const reply = await driver.setVar(command.variable, String(command.value));
  return { device_id: driver.deviceId, command: "set", variable: command.variable, ok: true, reply };
}
