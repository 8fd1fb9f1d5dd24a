/**
 * What `argus-nut` and `argus-snmp` share once their driver exists: the poll loop, the output (every poll or only
 * changes), the status, the input that polls now, registration with a chosen server, and a clean close. Each
 * node only reads its configuration, makes its driver and says what its commands are.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from "node-red";
import type { DeviceDriver } from "../engine/driver";
import { PollLoop } from "../engine/poll-loop";
import { ConfigError } from "../model/config-error";
import type { DeviceInput } from "../model/device";
import type { Snapshot } from "../model/snapshot";
import { isCommandPayload } from "./nut-command";
import type { ArgusServerNode } from "./server-node";
import { serverFailureStatus, snapshotStatus } from "./snapshot-status";

export interface DeviceNodeOptions {
  RED: NodeAPI;
  node: Node;
  driver: DeviceDriver;
  /** The device as the server registers it (`source: "flow"`). */
  device: DeviceInput;
  serverId?: string;
  output?: "always" | "change";
  intervalS: number;
  /** Called with each snapshot before it is sent (e.g. to log a suspicious value once). */
  inspect?: (snapshot: Snapshot) => void;
  /** Runs an input message's `{command: ...}`; absent, such a message goes to Catch. */
  runCommand?: (payload: unknown) => Promise<object>;
}

interface PollRequest {
  msg: NodeMessageInFlow;
  send: (msg: NodeMessage) => void;
  done: () => void;
}

export function runDeviceNode(options: DeviceNodeOptions): void {
  const { RED, node, driver } = options;
  const server = options.serverId ? (RED.nodes.getNode(options.serverId) as ArgusServerNode | null) : null;
  const changesOnly = options.output === "change";
  let lastSent = "";
  /** Input messages that asked for a poll: each gets the next snapshot, changed or not. */
  const waiting: PollRequest[] = [];

  const publish = (snapshot: Snapshot) => {
    node.status(server?.failure ? serverFailureStatus(server.failure) : snapshotStatus(snapshot));
    options.inspect?.(snapshot);
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
  }, options.intervalS * 1000);
  const detach = server?.attachDevice(options.device, () => loop.pollNow());
  node.status({ fill: "grey", shape: "ring", text: "connecting" });
  loop.start();

  node.on("input", (msg, send, done) => {
    const payload = (msg as { payload?: unknown }).payload;
    if (!isCommandPayload(payload)) {
      waiting.push({ msg, send, done });
      void loop.pollNow();
      return;
    }
    if (!options.runCommand) {
      done(new Error(`${node.type} takes no commands: send any other message to poll now`));
      return;
    }
    options
      .runCommand(payload)
      .then((result) => {
        send({ ...msg, topic: driver.deviceId, payload: result });
        done();
      })
      .catch((error: Error) => done(error));
  });

  node.on("close", (_removed: boolean, done: () => void) => {
    loop.stop();
    detach?.();
    driver.close();
    for (const request of waiting.splice(0)) request.done();
    node.status({});
    done();
  });
}

/** A configuration the node cannot run with: the reason on the node and in the log, the node otherwise idle. */
export function reportConfigError(node: Node, error: unknown): void {
  const message = error instanceof ConfigError ? error.message : String(error);
  node.status({ fill: "red", shape: "ring", text: message });
  node.error(`invalid configuration: ${message}`);
}

/**
 * A field the editor shows as a typed input: a plain value, or (`env`) the name of an environment variable of the
 * Node-RED process, read when the flow starts.
 */
export function typedValue(RED: NodeAPI, node: Node, value: string | undefined, type: string | undefined): string {
  if (type !== "env" || !value) return value ?? "";
  return String(RED.util.evaluateNodeProperty(value, "env", node, {} as NodeMessage) ?? "");
}

/** A configuration value that must be a positive number, or null (then the caller's default). */
export function positiveNumber(value: unknown): number | null {
  const number = typeof value === "number" ? value : Number(String(value ?? "").trim() || NaN);
  return Number.isFinite(number) && number > 0 ? number : null;
}

/** The interval a device is registered with: whole seconds, at least one. */
export function registeredIntervalS(intervalS: number): number {
  return Math.max(1, Math.round(intervalS));
}
