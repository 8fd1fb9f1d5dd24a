/**
 * Puts the Argus API in front of Node-RED's admin app. `RED.httpAdmin` sits behind Node-RED's own `cors(*)` and
 * 5 MB body parsers, where a route cannot answer 413 before reading a body nor restrict CORS, so the one handler is
 * inserted into the parent admin app's stack right after Express's `expressInit`. That relies on Express 4's
 * private `_router.stack`: when it is not there, the handler is mounted on `RED.httpAdmin` as a fallback (sizes
 * are then checked after parsing) and a warning says so.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

type Next = () => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

interface ExpressLike {
  use(middleware: Middleware): unknown;
  parent?: ExpressLike;
  _router?: { stack: Array<{ name?: string; handle?: unknown }> };
}

export type MountResult = "early" | "fallback" | "unavailable";

const mounted = new WeakMap<object, MountResult>();

/** Installs `middleware` once per admin app (routes outlive deploys; the test helper makes a new app per load). */
export function mountEarly(httpAdmin: ExpressLike | undefined | null, middleware: Middleware): MountResult {
  if (!httpAdmin) return "unavailable";
  const known = mounted.get(httpAdmin);
  if (known) return known;
  const app = httpAdmin.parent ?? httpAdmin;
  const result = insertAfterExpressInit(app, middleware) ? "early" : fallback(httpAdmin, middleware);
  mounted.set(httpAdmin, result);
  return result;
}

function insertAfterExpressInit(app: ExpressLike, middleware: Middleware): boolean {
  const stack = app._router?.stack;
  if (!Array.isArray(stack)) return false;
  const init = stack.findIndex((layer) => layer.name === "expressInit");
  if (init === -1) return false;
  app.use(middleware);
  const layer = stack.pop();
  if (!layer || layer.handle !== middleware) {
    if (layer) stack.push(layer);
    return false;
  }
  stack.splice(init + 1, 0, layer);
  return true;
}

function fallback(httpAdmin: ExpressLike, middleware: Middleware): MountResult {
  httpAdmin.use(middleware);
  return "fallback";
}
