/**
 * The endpoints of `spec/api.md` over one hub. The security layer in src/api has already done headers, CORS, size,
 * key and rate limits by the time a handler runs; a handler validates its input with the model's zod schemas and
 * answers. A ConfigError thrown here becomes a 422 naming the fields.
 */
import { z } from "zod";
import { ApiError } from "../api/api-error";
import type { ApiContext, ApiResponse, ApiRoute } from "../api/router";
import { AlertConfig } from "../model/alert-config";
import { ConfigError } from "../model/config-error";
import { DeviceInput } from "../model/device";
import { DeviceId } from "../model/device-id";
import { RuntimeConfig } from "../model/runtime-config";
import { StoreInputError } from "../store/errors";
import type { ArgusHub } from "./hub";
import { METRICS_CONTENT_TYPE, metricsStateOf, renderMetrics } from "./metrics";
import { openApiDocument } from "./openapi";
import { AlertTestBody, EnergyQuery, EventsQuery, NoQuery, SnapshotsQuery, TriggerBody } from "./query-schemas";
import { DeviceRegistry } from "./registry";
import { maskAlertConfig, unmaskAlertConfig, unmaskDevice } from "./secrets";

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw ConfigError.fromZod(result.error);
  return result.data;
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

function notFound(): ApiError {
  return new ApiError(404, "NOT_FOUND", "no device with that id");
}

/** The device a path names; an id that cannot exist (odd characters, traversal) is simply not found. */
function deviceAt(hub: ArgusHub, ctx: ApiContext) {
  const id = ctx.params.id ?? "";
  return DeviceId.safeParse(id).success ? hub.registry.get(id) : undefined;
}

/** Store input errors (a cursor it did not issue, a time out of range) are the client's, so 400. */
async function fromStore<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreInputError) {
      throw new ApiError(400, "BAD_REQUEST", error.message, { details: { field: error.field } });
    }
    throw error;
  }
}

export function buildRoutes(hub: ArgusHub): ApiRoute[] {
  const get = (path: string, handle: (ctx: ApiContext) => Promise<ApiResponse> | ApiResponse): ApiRoute => ({
    method: "GET",
    path,
    protected: false,
    handle: async (ctx) => handle(ctx),
  });
  const write = (
    method: ApiRoute["method"],
    path: string,
    handle: (ctx: ApiContext) => Promise<ApiResponse>,
    body: ApiRoute["body"] = "required",
  ): ApiRoute => ({ method, path, protected: true, body, handle });

  return [
    get("/api/health", (ctx) => {
      parse(NoQuery, { ...ctx.query });
      const health = hub.health();
      return ok(health, health.store.ok ? 200 : 503);
    }),
    get("/api/snapshots", async (ctx) => {
      const query = parse(SnapshotsQuery, { ...ctx.query });
      return ok(await fromStore(() => hub.snapshots.query(query)));
    }),
    get("/api/snapshots/latest", (ctx) => {
      parse(NoQuery, { ...ctx.query });
      return ok({ items: hub.snapshots.latest() });
    }),
    get("/api/events", async (ctx) => {
      const query = parse(EventsQuery, { ...ctx.query });
      return ok(
        await fromStore(() =>
          hub.events.query({ ...query, sinceMs: query.since, untilMs: query.until, limit: query.limit ?? 100 }),
        ),
      );
    }),
    get("/api/devices", (ctx) => {
      parse(NoQuery, { ...ctx.query });
      return ok({ items: hub.listDevices().map(DeviceRegistry.view) });
    }),
    get("/api/devices/:id", (ctx) => {
      const entry = deviceAt(hub, ctx);
      if (!entry) throw notFound();
      return ok(DeviceRegistry.view(entry));
    }),
    get("/api/energy", async (ctx) => {
      const query = parse(EnergyQuery, { ...ctx.query });
      return ok(await fromStore(() => hub.rollups.energy(query)));
    }),
    get("/api/config", () => ok(hub.runtime)),
    get("/api/alerts", () => ok(maskAlertConfig(hub.alerts))),
    get("/api/trigger/status", () => ok(hub.scheduler.status())),
    get("/api/diagnostics", () => ok({ devices: hub.diagnosticsList() })),
    get("/api/openapi.json", () => ok(openApiDocument(hub.version))),
    get("/api/metrics", (ctx) => {
      parse(NoQuery, { ...ctx.query });
      return { status: 200, text: renderMetrics(metricsStateOf(hub)), contentType: METRICS_CONTENT_TYPE };
    }),

    write(
      "POST",
      "/api/trigger",
      async (ctx) => {
        const body = parse(TriggerBody, ctx.body);
        if (body?.device_id && !hub.registry.has(body.device_id)) throw notFound();
        return ok(hub.trigger(body?.device_id), 202);
      },
      "optional",
    ),
    write("PUT", "/api/config", async (ctx) => {
      const config = parse(RuntimeConfig, ctx.body);
      await hub.setRuntimeConfig(config);
      return ok(config);
    }),
    write("PUT", "/api/alerts", async (ctx) => {
      const config = unmaskAlertConfig(parse(AlertConfig, ctx.body), hub.alerts);
      await hub.setAlertConfig(config);
      return ok(maskAlertConfig(config));
    }),
    write(
      "POST",
      "/api/alerts/test",
      async (ctx) => {
        const body = parse(AlertTestBody, ctx.body);
        const outcome = await hub.sendTestAlert(body?.provider);
        if (outcome.outcome === "no_provider") throw new ApiError(409, "CONFLICT", outcome.message);
        if (outcome.outcome === "cooldown") {
          throw new ApiError(429, "RATE_LIMITED", outcome.message, {
            headers: { "Retry-After": String(outcome.retry_after_s) },
          });
        }
        return ok({ status: outcome.status, results: outcome.results });
      },
      "optional",
    ),
    write("POST", "/api/devices", async (ctx) => {
      const device = parse(DeviceInput, ctx.body);
      if (hub.registry.has(device.id)) {
        throw new ApiError(409, "CONFLICT", "a device with that id exists", { details: { id: device.id } });
      }
      await hub.addApiDevice(device);
      const entry = hub.registry.get(device.id);
      return { status: 201, body: entry && DeviceRegistry.view(entry), location: `/api/devices/${device.id}` };
    }),
    write("PUT", "/api/devices", async (ctx) => {
      const devices = parse(z.array(DeviceInput).max(500), ctx.body);
      assertUniqueIds(devices);
      for (const device of devices) {
        if (hub.registry.get(device.id)?.source === "flow") throw flowOwned(device.id);
      }
      const stored = new Map(hub.registry.ofSource("api").map((entry) => [entry.device.id, entry.device]));
      await hub.replaceApiDevices(devices.map((device) => unmaskDevice(device, stored.get(device.id))));
      return ok({ items: hub.registry.ofSource("api").map(DeviceRegistry.view) });
    }),
    write("PUT", "/api/devices/:id", async (ctx) => {
      const entry = deviceAt(hub, ctx);
      if (!entry) throw notFound();
      const id = entry.device.id;
      if (entry.source === "flow") throw flowOwned(id);
      const device = parse(DeviceInput, ctx.body);
      if (device.id !== id) {
        throw new ApiError(422, "VALIDATION_FAILED", "the body's id differs from the path's", {
          details: { issues: [{ path: "id", message: "must equal the id in the path" }] },
        });
      }
      await hub.addApiDevice(unmaskDevice(device, entry.device));
      return ok(DeviceRegistry.view(hub.registry.get(id) as NonNullable<typeof entry>));
    }),
    write(
      "DELETE",
      "/api/devices/:id",
      async (ctx) => {
        const entry = deviceAt(hub, ctx);
        if (!entry) throw notFound();
        if (entry.source === "flow") throw flowOwned(entry.device.id);
        await hub.removeApiDevice(entry.device.id);
        return { status: 204 };
      },
      "optional",
    ),
  ];
}

function flowOwned(id: string): ApiError {
  return new ApiError(409, "CONFLICT", "this device is defined by a flow node: change it in the editor", {
    details: { id },
  });
}

function assertUniqueIds(devices: DeviceInput[]): void {
  const seen = new Set<string>();
  devices.forEach((device, index) => {
    if (seen.has(device.id)) throw new ConfigError([{ path: `${index}.id`, message: "duplicate id" }]);
    seen.add(device.id);
  });
}
