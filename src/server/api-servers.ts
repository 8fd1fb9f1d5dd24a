/**
 * The API servers deployed in this process, by base path. Routes are installed once per process and outlive
 * deploys, so each request is dispatched to the server deployed now; with none (or one that failed to start)
 * every route answers 503.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createApiHandler, normalizeBasePath, type ApiRequestHandler } from "../api/handler";
import type { ApiServerState } from "../api/server-state";

export interface DeployedServer {
  readonly owner: object;
  /** Null while the server is starting or after it failed: every route 503. */
  state: ApiServerState | null;
}

interface Slot {
  server: DeployedServer;
  handle: ApiRequestHandler;
}

const slots = new Map<string, Slot>();
const IDLE = createApiHandler({ basePath: "", resolve: () => null });

export class BasePathTakenError extends Error {
  readonly code = "BASE_PATH_TAKEN";
  constructor(readonly basePath: string) {
    super(`another argus-server already serves the API at "${basePath || "/"}api": give each server its own base path`);
  }
}

/** Claims a base path for a server; throws BasePathTakenError when another deployed server has it. */
export function claimBasePath(basePath: string, server: DeployedServer, onError?: (error: unknown) => void): void {
  const path = normalizeBasePath(basePath);
  const taken = slots.get(path);
  if (taken && taken.server.owner !== server.owner) throw new BasePathTakenError(path);
  slots.set(path, { server, handle: createApiHandler({ basePath: path, resolve: () => server.state, onError }) });
}

/** Gives the base path up, only if this server still holds it (a newer deploy may have taken it). */
export function releaseBasePath(basePath: string, owner: object): void {
  const path = normalizeBasePath(basePath);
  if (slots.get(path)?.server.owner === owner) slots.delete(path);
}

/** The one middleware: the server whose prefix matches answers; `/api` answers 503 while no server holds it. */
export function apiMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  for (const slot of slots.values()) if (slot.handle(req, res)) return;
  if (!slots.has("") && IDLE(req, res)) return;
  next();
}
