/**
 * `argus-nut`: one UPS on a NUT server. Polls it on an interval and sends a Snapshot per poll; an input message
 * polls now or runs an instant command / sets a variable. A thin adapter over NutDriver and PollLoop.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { PollLoop } from "../engine/poll-loop";
import { ConfigError } from "../model/config-error";
import { slugDeviceId } from "../model/device-id";
import { resolveNutSettings } from "../model/nut-settings";
import type { Snapshot } from "../model/snapshot";
import { NutDriver } from "../nut/driver";
import { isCommandPayload, NutCommand } from "./nut-command";
import { registerNutDiscoveryRoute } from "./nut-discovery-route";
import type { ArgusServerNode } from "./server-node";
import { serverFailureStatus, snapshotStatus } from "./snapshot-status";

interface ArgusNutConfig extends NodeDef {
  server?: string;
  host?: string;
  port?: string | number;
  ups?: string;
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

    let driver: NutDriver;
    const intervalS = positiveNumber(config.interval) ?? DEFAULT_INTERVAL_S;
    const nominalPowerW = positiveNumber(config.nominalPower);
    try {
      const settings = resolveNutSettings({ ...config, ...node.credentials });
      const deviceId = slugDeviceId(config.name || `${settings.ups}-${settings.host}`);
      driver = new NutDriver(deviceId, settings, { nominalPowerW });
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : String(error);
      node.status({ fill: "red", shape: "ring", text: message });
      node.error(`invalid configuration: ${message}`);
      return;
    }

    const changesOnly = config.output === "change";
    let lastSent = "";
    /** Input messages that asked for a poll: each gets the next snapshot, changed or not. */
    const waiting: { msg: NodeMessageInFlow; send: (msg: NodeMessage) => void; done: () => void }[] = [];

    const server = config.server ? (RED.nodes.getNode(config.server) as ArgusServerNode | null) : null;

    const publish = (snapshot: Snapshot) => {
      node.status(server?.failure ? serverFailureStatus(server.failure) : snapshotStatus(snapshot));
      const { ts: _ts, ...rest } = snapshot;
      const fingerprint = JSON.stringify(rest);
      const unchanged = fingerprint === lastSent;
      lastSent = fingerprint;
      const requests = waiting.splice(0);
      for (const { msg, send, done } of requests) {
        send({ ...msg, topic: driver.deviceId, payload: snapshot });
        done();
      }
      if (requests.length > 0 || (changesOnly && unchanged)) return;
      node.send({ topic: driver.deviceId, payload: snapshot });
    };

    const loop = new PollLoop(async () => {
      const started = performance.now();
      const snapshot = await driver.poll();
      server?.ingest(snapshot, Math.round((performance.now() - started) * 1000) / 1000);
      publish(snapshot);
    }, intervalS * 1000);
    const detach = server?.attachDevice(
      {
        id: driver.deviceId,
        name: config.name || `${driver.settings.ups}@${driver.settings.host}`,
        kind: "nut",
        enabled: true,
        poll_interval_s: Math.max(1, Math.round(intervalS)),
        nominal_power_w: nominalPowerW,
        nut: driver.settings,
      },
      () => loop.pollNow(),
    );
    node.status({ fill: "grey", shape: "ring", text: "connecting" });
    loop.start();

    node.on("input", (msg, send, done) => {
      const payload = (msg as { payload?: unknown }).payload;
      if (!isCommandPayload(payload)) {
        waiting.push({ msg, send, done });
        void loop.pollNow();
        return;
      }
      runCommand(payload)
        .then((result) => {
          send({ ...msg, topic: driver.deviceId, payload: result });
          done();
        })
        .catch((error: Error) => done(error));
    });

    async function runCommand(payload: unknown) {
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

    node.on("close", (_removed: boolean, done: () => void) => {
      loop.stop();
      detach?.();
      driver.close();
      for (const request of waiting.splice(0)) request.done();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType<Node<ArgusNutCredentials>, ArgusNutConfig, unknown, ArgusNutCredentials>(
    "argus-nut",
    ArgusNutNode,
    {
      credentials: { username: { type: "text" }, password: { type: "password" } },
    },
  );
  registerNutDiscoveryRoute(RED);
};

function positiveNumber(value: unknown): number | null {
  const number = typeof value === "number" ? value : Number(String(value ?? "").trim() || NaN);
  return Number.isFinite(number) && number > 0 ? number : null;
}
