/**
 * The editor's "list UPSes" button: `POST /argus-nut/ups` with `{host, port, tls}` answers the UPSes of that NUT
 * server. An admin route, so it takes Node-RED's admin permission (`adminAuth`), not the Argus API key.
 */
import type { NodeAPI } from "node-red";
import type { Request, Response } from "express";
import { z } from "zod";
import { NutClient } from "../nut/client";
import { NutError } from "../nut/errors";
import { NutSettings } from "../model/nut-settings";

const DiscoveryRequest = NutSettings.pick({ host: true, port: true, tls: true });

const installedOn = new WeakSet<object>();

/** The editor sends `hostType: "env"` (or `portType`) when a field names an environment variable of this process. */
function withHostFromEnv(body: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof body !== "object" || body === null) return {};
  const { hostType, portType, ...rest } = body as Record<string, unknown>;
  const resolved: Record<string, unknown> = { ...rest };
  if (hostType === "env" && typeof rest.host === "string") resolved.host = env[rest.host] ?? "";
  if (portType === "env" && typeof rest.port === "string") resolved.port = env[rest.port] ?? "";
  return resolved;
}

export function registerNutDiscoveryRoute(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (!app || installedOn.has(app)) return;
  installedOn.add(app);
  app.post("/argus-nut/ups", RED.auth.needsPermission("argus-nut.read"), (req: Request, res: Response) => {
    void discover(req.body).then(({ status, body }) => res.status(status).json(body));
  });
}

export async function discover(
  body: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ status: number; body: object }> {
  const parsed = DiscoveryRequest.safeParse(withHostFromEnv(body, env));
  if (!parsed.success) return { status: 400, body: { error: z.prettifyError(parsed.error) } };
  const client = new NutClient(parsed.data, { limits: { timeoutMs: 4000 } });
  try {
    return { status: 200, body: { items: await client.listUps() } };
  } catch (error) {
    const message = error instanceof NutError ? error.reason : "unexpected error";
    return { status: 502, body: { error: message } };
  } finally {
    client.close();
  }
}
