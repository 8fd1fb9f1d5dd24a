/**
 * `argus-alert`: sends power events (or any message with `title` and `message`) to an alert provider, and sends
 * the delivery results on. Through its own provider (credentials in the node), or through its server's alert
 * configuration and dispatcher, which then also keeps one cooldown and never alerts an event twice.
 */
import { join } from "node:path";
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from "node-red";
import { AlertDispatcher, FileAlertOutbox, type DeliveryResult } from "../alerts";
import type { AlertConfig } from "../model/alert-config";
import { ConfigError } from "../model/config-error";
import { PowerEvent } from "../model/power-event";
import {
  alertConfigOfNode,
  isUnconfigured,
  type AlertNodeCredentials,
  type AlertNodeFields,
} from "./alert-node-config";
import { reportConfigError } from "./device-node";
import type { ArgusServerNode } from "./server-node";

interface ArgusAlertConfig extends NodeDef, AlertNodeFields {
  source?: "own" | "server";
  server?: string;
}

interface Sender {
  dispatcher: AlertDispatcher;
  config: () => AlertConfig;
  owned: boolean;
}

export = function (RED: NodeAPI): void {
  function ArgusAlert(this: Node<AlertNodeCredentials>, config: ArgusAlertConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    if (config.source !== "server" && isUnconfigured(config, node.credentials ?? {})) {
      node.status({ fill: "yellow", shape: "ring", text: "not configured: set the provider's URL or token" });
      node.on("input", (_msg, _send, done) => done(new Error("argus-alert is not configured: set the provider")));
      return;
    }
    let sender: Promise<Sender | null>;
    try {
      sender = config.source === "server" ? serverSender(RED, config) : Promise.resolve(ownSender(RED, node, config));
    } catch (error) {
      reportConfigError(node, error);
      return;
    }

    node.on("input", (msg, send, done) => {
      void sender.then(async (active) => {
        if (!active) return done(new Error("the chosen Argus server is not running"));
        try {
          const payload = await deliver(active, msg);
          node.status(statusOf(payload));
          send({ ...msg, payload });
          const failed = payload.results.filter((result) => !result.ok);
          if (payload.results.length > 0 && failed.length === payload.results.length) {
            done(new Error(`alert not delivered: ${failed.map((r) => `${r.provider}: ${r.error}`).join("; ")}`));
          } else done();
        } catch (error) {
          done(error as Error);
        }
      });
    });

    node.on("close", (done: () => void) => {
      void sender.then((active) => (active?.owned ? active.dispatcher.close() : undefined)).finally(done);
    });
  }

  RED.nodes.registerType<Node<AlertNodeCredentials>, ArgusAlertConfig, unknown, AlertNodeCredentials>(
    "argus-alert",
    ArgusAlert,
    {
      credentials: {
        url: { type: "text" },
        token: { type: "password" },
        secret: { type: "password" },
        user: { type: "password" },
      },
    },
  );
};

function ownSender(RED: NodeAPI, node: Node<AlertNodeCredentials>, config: ArgusAlertConfig): Sender {
  const alertConfig = alertConfigOfNode(config.name, config, node.credentials ?? {});
  const dir = join(RED.settings.userDir ?? process.cwd(), "argus", "alert-nodes", node.id.replace(/[^\w-]/g, "_"));
  const dispatcher = new AlertDispatcher({
    outbox: new FileAlertOutbox(dir),
    log: (entry) => (entry.level === "warn" ? node.warn(entry.message) : node.log(entry.message)),
  });
  void dispatcher.resume(alertConfig).catch((error: unknown) => node.warn(`outbox: ${(error as Error).message}`));
  return { dispatcher, config: () => alertConfig, owned: true };
}

async function serverSender(RED: NodeAPI, config: ArgusAlertConfig): Promise<Sender | null> {
  const server = config.server ? (RED.nodes.getNode(config.server) as ArgusServerNode | null) : null;
  if (!server) throw new ConfigError([{ path: "server", message: "choose an Argus server" }]);
  const hub = await server.hub;
  if (!hub) return null;
  return { dispatcher: hub.alertDispatcher, config: () => hub.alerts, owned: false };
}

interface DeliveryPayload {
  event_id: string | null;
  alerted: boolean;
  reason: string | null;
  results: DeliveryResult[];
}

async function deliver(sender: Sender, msg: NodeMessageInFlow): Promise<DeliveryPayload> {
  const input = msg as NodeMessageInFlow & { title?: unknown; message?: unknown };
  const event = PowerEvent.safeParse(input.payload);
  if (event.success) {
    const outcome = await sender.dispatcher.handleEvent(sender.config(), event.data);
    if (!outcome.alerted) return { event_id: outcome.event_id, alerted: false, reason: outcome.reason, results: [] };
    return { event_id: outcome.event_id, alerted: true, reason: null, results: outcome.results };
  }
  const text = textOf(input);
  if (!text) {
    throw new ConfigError([
      { path: "payload", message: "expected a power event, or a message with title and message" },
    ]);
  }
  const results = await sender.dispatcher.sendMessage(sender.config(), text);
  return { event_id: null, alerted: results.length > 0, reason: results.length > 0 ? null : "NO_PROVIDER", results };
}

/** `msg.title` and `msg.message`, or the same two in `msg.payload`. */
function textOf(msg: {
  title?: unknown;
  message?: unknown;
  payload?: unknown;
}): { title: string; message: string } | null {
  const payload = (typeof msg.payload === "object" && msg.payload !== null ? msg.payload : {}) as Record<
    string,
    unknown
  >;
  const title = msg.title ?? payload.title;
  const message = msg.message ?? payload.message ?? (typeof msg.payload === "string" ? msg.payload : undefined);
  if (typeof title !== "string" || typeof message !== "string" || !title || !message) return null;
  return { title: title.slice(0, 256), message: message.slice(0, 4000) };
}

function statusOf(payload: DeliveryPayload): NodeStatus {
  if (!payload.alerted) return { fill: "grey", shape: "ring", text: `not sent: ${payload.reason ?? "?"}` };
  const failed = payload.results.filter((result) => !result.ok);
  if (failed.length === 0)
    return { fill: "green", shape: "dot", text: `sent to ${payload.results.map((r) => r.provider).join(", ")}` };
  const first = failed[0] as DeliveryResult;
  return { fill: "red", shape: "ring", text: `${first.provider}: ${first.error ?? first.status_code}` };
}
