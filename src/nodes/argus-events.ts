/**
 * `argus-events`: power events. In `detect` mode, snapshots in (from argus-nut, argus-snmp or anything of that
 * shape), events out, through the same detector the server runs. In `server` mode, the events its server detects
 * for every device it knows. Either way filtered by device, type and severity.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";
import { z } from "zod";
import { EventDetectors } from "../engine/detector";
import { DetectorSettings } from "../engine/detector-settings";
import { ConfigError } from "../model/config-error";
import { EventType, Severity, type PowerEvent } from "../model/power-event";
import { Snapshot } from "../model/snapshot";
import { reportConfigError } from "./device-node";
import { matchesFilter, type EventFilter } from "./event-filter";
import type { ArgusServerNode } from "./server-node";

interface ArgusEventsConfig extends NodeDef {
  mode?: "detect" | "server";
  server?: string;
  device?: string;
  types?: string;
  minSeverity?: string;
  failureThreshold?: string | number;
  onBatteryDelay?: string | number;
  replbattRepeat?: string | number;
  chargeLow?: string | number;
  runtimeLow?: string | number;
}

const TICK_MS = 1000;
const FILL: Record<Severity, "blue" | "yellow" | "red"> = { info: "blue", warning: "yellow", critical: "red" };

export = function (RED: NodeAPI): void {
  function ArgusEvents(this: Node, config: ArgusEventsConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let filter: EventFilter;
    let settings: DetectorSettings;
    try {
      filter = filterFrom(config);
      settings = settingsFrom(config);
    } catch (error) {
      reportConfigError(node, error);
      return;
    }

    const emit = (event: PowerEvent, send: (msg: NodeMessage) => void = (msg) => node.send(msg)) => {
      if (!matchesFilter(event, filter)) return;
      node.status({ fill: FILL[event.severity], shape: "dot", text: `${event.type} ${event.device_id}` });
      send({ topic: event.device_id, payload: event });
    };

    if (config.mode === "server") {
      const server = config.server ? (RED.nodes.getNode(config.server) as ArgusServerNode | null) : null;
      if (!server) {
        node.status({ fill: "red", shape: "ring", text: "choose an Argus server" });
        return;
      }
      node.status({ fill: "grey", shape: "ring", text: "waiting for events" });
      let unsubscribe: (() => void) | undefined;
      let closed = false;
      void server.hub.then((hub) => {
        if (hub && !closed) unsubscribe = hub.onEvent((event) => emit(event));
      });
      node.on("input", (_msg, _send, done) => done());
      node.on("close", () => {
        closed = true;
        unsubscribe?.();
      });
      return;
    }

    const detectors = new EventDetectors({ settings });
    const timer = setInterval(() => detectors.tick(Date.now()).forEach((event) => emit(event)), TICK_MS);
    node.status({});
    node.on("input", (msg, send, done) => {
      const parsed = Snapshot.safeParse((msg as { payload?: unknown }).payload);
      if (!parsed.success) {
        done(new Error(`not a snapshot: ${ConfigError.fromZod(parsed.error).message}`));
        return;
      }
      try {
        for (const event of detectors.observe(parsed.data)) emit(event, (out) => send({ ...msg, ...out }));
        done();
      } catch (error) {
        done(error as Error);
      }
    });
    node.on("close", () => clearInterval(timer));
  }

  RED.nodes.registerType("argus-events", ArgusEvents);
};

function filterFrom(config: ArgusEventsConfig): EventFilter {
  const types = (config.types ?? "")
    .split(",")
    .map((type) => type.trim())
    .filter(Boolean);
  const parsed = z
    .strictObject({
      device: z.string().optional(),
      types: z.array(EventType),
      minSeverity: Severity.optional(),
    })
    .safeParse({ device: config.device || undefined, types, minSeverity: config.minSeverity || undefined });
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  return parsed.data;
}

function settingsFrom(config: ArgusEventsConfig): DetectorSettings {
  const number = (value: unknown) => (value === undefined || value === "" ? undefined : Number(value));
  const parsed = DetectorSettings.safeParse({
    failure_threshold: number(config.failureThreshold),
    on_battery_delay_s: number(config.onBatteryDelay),
    replbatt_repeat_s: number(config.replbattRepeat),
    charge_low_pct: number(config.chargeLow) ?? null,
    runtime_low_s: number(config.runtimeLow) ?? null,
  });
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  return parsed.data;
}
