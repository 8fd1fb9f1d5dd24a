/**
 * `argus-server` (config node): one Argus hub (device registry, poll scheduler, stores) and the HTTP API over it.
 * Every setting is optional: deployed empty it runs on defaults and the environment variables of `spec/api.md`.
 */
import { join } from "node:path";
import type { NodeAPI, NodeDef } from "node-red";
import { createApiServerState } from "../api/server-state";
import { alertConfigFromEnv } from "../model/alert-config-env";
import { ConfigError } from "../model/config-error";
import type { DeviceInput } from "../model/device";
import { RuntimeConfig } from "../model/runtime-config";
import { apiMiddleware, claimBasePath, releaseBasePath, type DeployedServer } from "../server/api-servers";
import { ArgusHub } from "../server/hub";
import { buildRoutes } from "../server/routes";
import { mountEarly } from "./api-mount";
import { typedValue } from "./device-node";
import type { ArgusServerNode } from "./server-node";

interface ArgusServerConfig extends NodeDef {
  basePath?: string;
  dataDir?: string;
  allowedOrigins?: string;
  allowedOriginsType?: string;
  rateLimit?: string;
  rateLimitType?: string;
  appEnv?: string;
  trustProxy?: boolean | string;
  pollInterval?: string | number;
  retentionDays?: string | number;
  maxSnapshots?: string | number;
}

interface ArgusServerCredentials {
  apiKey?: string;
}

export = function (RED: NodeAPI): void {
  function ArgusServer(this: ArgusServerNode, config: ArgusServerConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const basePath = config.basePath ?? "";
    const deployed: DeployedServer = { owner: node, state: null };
    const attached = new Map<string, { device: DeviceInput; pollNow: () => Promise<void>; detach?: () => void }>();
    let failure: string | null = null;
    let hub: ArgusHub | null = null;

    const fail = (message: string) => {
      failure = message;
      node.status({ fill: "red", shape: "ring", text: message });
    };

    const register = (opened: ArgusHub, entry: { device: DeviceInput; pollNow: () => Promise<void> }) => {
      try {
        return opened.registerFlowDevice(entry.device, entry.pollNow);
      } catch (error) {
        node.warn((error as Error).message);
        return undefined;
      }
    };

    const mount = mountEarly(RED.httpAdmin as never, apiMiddleware);
    if (mount === "unavailable") node.warn("httpAdminRoot is false: the Argus API is unreachable");
    if (mount === "fallback") node.warn("could not mount the API early; request sizes are checked after parsing");

    const ready: Promise<ArgusHub | null> = (async () => {
      try {
        claimBasePath(basePath, deployed, (error) => node.error(`API: ${(error as Error).name}`));
        const runtime = runtimeFromEditor(config);
        const fromEnv = alertConfigFromEnv();
        for (const problem of fromEnv.problems) node.warn(`alert provider from the environment left out: ${problem}`);
        const opened = await ArgusHub.open({
          dataDir: config.dataDir || join(RED.settings.userDir ?? process.cwd(), "argus"),
          runtime,
          alerts: fromEnv.config,
          log: { info: (m) => node.log(m), warn: (m) => node.warn(m), error: (m) => node.error(m) },
        });
        hub = opened;
        const state = createApiServerState({
          routes: buildRoutes(opened),
          apiKey: node.credentials?.apiKey,
          allowedOrigins: typedValue(RED, node, config.allowedOrigins, config.allowedOriginsType),
          rateLimitPerMinute: typedValue(RED, node, config.rateLimit, config.rateLimitType),
          appEnv: config.appEnv,
          trustProxy: opened.runtime.trust_proxy,
        });
        if (state.keyError) {
          node.error(state.keyError.message);
          node.error(state.keyError.suggestion);
          fail("API_KEY must be at least 32 characters long");
          return opened;
        }
        deployed.state = state;
        // trust_proxy can change through PUT /api/config; the limiters and the key stay as they are.
        opened.onRuntimeChange((runtime) => {
          if (deployed.state) deployed.state = { ...deployed.state, trustProxy: runtime.trust_proxy };
        });
        for (const [id, entry] of attached) attached.set(id, { ...entry, detach: register(opened, entry) });
        node.status({ fill: "green", shape: "dot", text: `API at ${basePath || ""}/api` });
        return opened;
      } catch (error) {
        const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
        node.error(`argus-server not started: ${message}`);
        fail(message);
        return hub;
      }
    })();

    Object.defineProperty(node, "failure", { get: () => failure });
    Object.defineProperty(node, "hub", { value: ready });
    node.attachDevice = (device, pollNow) => {
      const entry = { device, pollNow, detach: hub && deployed.state ? register(hub, { device, pollNow }) : undefined };
      attached.set(device.id, entry);
      return () => {
        attached.get(device.id)?.detach?.();
        if (attached.get(device.id) === entry) attached.delete(device.id);
      };
    };
    node.ingest = (snapshot, latencyMs) => {
      if (deployed.state) hub?.ingest(snapshot, latencyMs);
    };

    node.on("close", (done: () => void) => {
      deployed.state = null;
      releaseBasePath(basePath, node);
      void ready
        .then((opened) => opened?.close())
        .catch((error: unknown) => node.error(`closing: ${(error as Error).message}`))
        .finally(done);
    });
  }

  RED.nodes.registerType<ArgusServerNode, ArgusServerConfig, unknown, ArgusServerCredentials>(
    "argus-server",
    ArgusServer,
    { credentials: { apiKey: { type: "password" } } },
  );
};

/** The runtime configuration the editor's fields say (empty fields take the defaults). */
function runtimeFromEditor(config: ArgusServerConfig): RuntimeConfig {
  const number = (value: unknown) => (value === undefined || value === "" ? undefined : Number(value));
  const parsed = RuntimeConfig.safeParse({
    poll_interval_s: number(config.pollInterval),
    retention_days: number(config.retentionDays),
    max_snapshots: number(config.maxSnapshots),
    trust_proxy: config.trustProxy === true || config.trustProxy === "true",
  });
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  return parsed.data;
}
