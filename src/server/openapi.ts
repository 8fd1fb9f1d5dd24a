/** The API's OpenAPI 3.1 document, generated from the same zod schemas the routes validate with. */
import { z } from "zod";
import { AlertConfig } from "../model/alert-config";
import { DeviceInput } from "../model/device";
import { PowerEvent } from "../model/power-event";
import { RuntimeConfig } from "../model/runtime-config";
import { Snapshot } from "../model/snapshot";

const ErrorShape = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

const SCHEMAS = { Snapshot, PowerEvent, DeviceInput, RuntimeConfig, AlertConfig, Error: ErrorShape };

interface Operation {
  summary: string;
  protected?: boolean;
  body?: keyof typeof SCHEMAS;
}

const PATHS: Record<string, Record<string, Operation>> = {
  "/api/health": { get: { summary: "Health of the server, its devices and its store" } },
  "/api/snapshots": { get: { summary: "Snapshot history, newest first (device_id, since, until, limit, cursor)" } },
  "/api/snapshots/latest": { get: { summary: "The newest snapshot of every device" } },
  "/api/events": { get: { summary: "Power events, newest first (as snapshots, plus type and severity)" } },
  "/api/devices": {
    get: { summary: "Devices with live state, secrets masked" },
    post: { summary: "Add a device", protected: true, body: "DeviceInput" },
    put: { summary: "Replace the API-managed devices", protected: true },
  },
  "/api/devices/{id}": {
    get: { summary: "One device" },
    put: { summary: "Update an API-managed device", protected: true, body: "DeviceInput" },
    delete: { summary: "Remove an API-managed device", protected: true },
  },
  "/api/energy": { get: { summary: "Energy totals in hour, day or month buckets" } },
  "/api/config": {
    get: { summary: "Runtime configuration" },
    put: { summary: "Replace the runtime configuration", protected: true, body: "RuntimeConfig" },
  },
  "/api/alerts": {
    get: { summary: "Alert configuration, secrets masked" },
    put: { summary: "Replace the alert configuration", protected: true, body: "AlertConfig" },
  },
  "/api/alerts/test": { post: { summary: "Send a test alert", protected: true } },
  "/api/trigger": { post: { summary: "Poll every device, or {device_id}, now", protected: true } },
  "/api/trigger/status": { get: { summary: "Poll status" } },
  "/api/diagnostics": { get: { summary: "Last poll of each device" } },
  "/api/metrics": { get: { summary: "Prometheus metrics" } },
  "/api/openapi.json": { get: { summary: "This document" } },
};

let cached: object | null = null;

export function openApiDocument(version: string): object {
  cached ??= build(version);
  return cached;
}

function build(version: string): object {
  const schemas = Object.fromEntries(
    Object.entries(SCHEMAS).map(([name, schema]) => [
      name,
      z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }),
    ]),
  );
  const paths = Object.fromEntries(
    Object.entries(PATHS).map(([path, operations]) => [
      path,
      Object.fromEntries(Object.entries(operations).map(([method, op]) => [method, operation(op)])),
    ]),
  );
  return {
    openapi: "3.1.0",
    info: { title: "Argus for Node-RED", version },
    components: {
      schemas,
      securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "X-Api-Key" } },
    },
    paths,
  };
}

function operation(op: Operation): object {
  const errors = { $ref: "#/components/schemas/Error" };
  return {
    summary: op.summary,
    ...(op.protected ? { security: [{ apiKey: [] }] } : {}),
    ...(op.body
      ? { requestBody: { content: { "application/json": { schema: { $ref: `#/components/schemas/${op.body}` } } } } }
      : {}),
    responses: {
      default: {
        description: "JSON; errors as {error: {code, message, details?}}",
        content: { "application/json": { schema: errors } },
      },
    },
  };
}
