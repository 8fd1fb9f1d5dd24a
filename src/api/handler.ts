/**
 * The one request handler of the Argus API. It owns `${basePath}/api` and everything below it: it is mounted in
 * front of Node-RED's admin app (before its `cors(*)` and 5 MB body parsers) and never hands such a request on.
 * For any other path it does nothing and returns false, so the mount can call `next()`:
 *
 *   app.use((req, res, next) => { if (!handle(req, res)) next(); });
 *
 * Order for a request of ours: security headers, 503 when no server runs, CORS (preflight answered here),
 * declared size (413 before reading), route (404/405), query, then for protected routes the failed-attempt
 * limiter, the key, the per-key rate limit, then the body of a write, then the route's own handler.
 */
import { randomUUID } from "node:crypto";
import { type IncomingMessage, type ServerResponse, validateHeaderName, validateHeaderValue } from "node:http";
import { performance } from "node:perf_hooks";
import { ApiError, type ApiErrorBody, toApiError } from "./api-error";
import { type ApiKeyCheck, assertNoKeyInQuery } from "./api-key";
import { assertDeclaredLengthWithinLimit, hasBody, readJsonBody } from "./body";
import { clientAddress } from "./client-address";
import { isPreflight } from "./cors";
import { BODY_METHODS, type ApiContext, type ApiResponse, type ApiRoute, parseQuery } from "./router";
import { applySecurityHeaders, isSecurityHeader } from "./security-headers";
import type { ApiServerState } from "./server-state";
import { ConfigError } from "../model/config-error";

export interface ApiHandlerOptions {
  /** "" (default) or a path such as "/argus": routes are served at `${basePath}/api/...`. */
  basePath?: string;
  /** The currently deployed server, or null while none is (then every route answers 503). Called per request. */
  resolve: () => ApiServerState | null;
  /** Milliseconds on a monotonic clock, for the rate limiters. Tests inject their own. */
  now?: () => number;
  /** Told about unexpected errors (the client gets a bare 500). Log with care: no secrets, no request bodies. */
  onError?: (error: unknown, request: { requestId: string; method: string; path: string }) => void;
}

/** True when the request was ours (and is being answered); false when the caller should pass it on. */
export type ApiRequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
/** A `text` answer's Content-Type when the route names none. */
export const TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";

/** Headers a route may not set: ours to control (the security headers are checked separately). */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "connection",
  "transfer-encoding",
]);

export function createApiHandler(options: ApiHandlerOptions): ApiRequestHandler {
  const prefix = `${normalizeBasePath(options.basePath ?? "")}/api`;
  const now = options.now ?? (() => performance.now());
  return (req, res) => {
    const target = splitTarget(requestTarget(req));
    if (target.path !== prefix && !target.path.startsWith(`${prefix}/`)) return false;
    const routePath = target.path.slice(prefix.length - "/api".length);
    const requestId = randomUUID();
    const reportError = (error: unknown): void => {
      try {
        options.onError?.(error, { requestId, method: req.method ?? "", path: routePath });
      } catch {
        // A failing logger must not take the answer down with it.
      }
    };
    const exchange: Exchange = { req, res, requestId, routePath, search: target.search, now, reportError };
    serve(exchange, options.resolve).catch((error: unknown) => {
      reportError(error);
      res.destroy();
    });
    return true;
  };
}

/** "" or "/segment[/segment...]" without a trailing slash; throws ConfigError for anything else. */
export function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  const withSlash = trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
  if (
    !/^(\/[A-Za-z0-9._~-]+)+$/.test(withSlash) ||
    withSlash.split("/").some((part) => part === "." || part === "..")
  ) {
    throw new ConfigError([
      { path: "base_path", message: "must be empty or a path such as /argus (letters, digits, . _ ~ -)" },
    ]);
  }
  return withSlash;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  /** The path below the base path, starting with /api. */
  routePath: string;
  search: string;
  now: () => number;
  reportError: (error: unknown) => void;
}

async function serve(exchange: Exchange, resolve: () => ApiServerState | null): Promise<void> {
  const { req, res } = exchange;
  res.setHeader("X-Request-Id", exchange.requestId);
  applySecurityHeaders(res);
  try {
    const state = resolve();
    if (state === null) throw unavailable("no Argus server is deployed");
    if (state.keyError !== undefined) {
      // Why is for the operator (the node status and the log say it), not for whoever is asking.
      throw unavailable("the Argus server is not running: see its status in Node-RED");
    }
    if (isPreflight(req)) {
      state.cors.preflight(req, res);
      return finish(exchange, { status: 204 });
    }
    state.cors.applyTo(req, res);
    assertDeclaredLengthWithinLimit(req);
    const route = matchRoute(state, req.method ?? "", exchange.routePath, res);
    if (route === null) return finish(exchange, { status: 204 }); // a plain OPTIONS: Allow says it all
    const query = parseQuery(exchange.search);
    assertNoKeyInQuery(Object.keys(query));
    const address = clientAddress(req, state.trustProxy);
    if (route.route.protected) authorize(state, state.keyCheck, req, address, exchange.now());
    const body = BODY_METHODS.has(route.route.method)
      ? await readJsonBody(req, { requirement: route.route.body ?? "required" })
      : undefined;
    const ctx: ApiContext = {
      method: route.route.method,
      path: exchange.routePath,
      params: route.params,
      query,
      body,
      clientAddress: address,
      requestId: exchange.requestId,
    };
    finish(exchange, await route.route.handle(ctx));
  } catch (error) {
    if (!(error instanceof ApiError) && !(error instanceof ConfigError)) exchange.reportError(error);
    sendError(exchange, toApiError(error));
  }
}

/** The route for this method and path; throws 404/405; null for a plain OPTIONS (Allow header set). */
function matchRoute(
  state: ApiServerState,
  method: string,
  path: string,
  res: ServerResponse,
): { route: ApiRoute; params: Record<string, string> } | null {
  const match = state.routes.match(method, path);
  if (match.kind === "not_found") throw new ApiError(404, "NOT_FOUND", "no such endpoint");
  if (match.kind === "found") return { route: match.route, params: match.params };
  if (method === "OPTIONS") {
    res.setHeader("Allow", match.allow);
    return null;
  }
  throw new ApiError(405, "METHOD_NOT_ALLOWED", "this endpoint does not support this method", {
    headers: { Allow: match.allow },
  });
}

/**
 * The protected-route gate, in the order that keeps guessing slow and the key secret: an address over its
 * failure budget is refused before its key is even compared; only a valid key consumes the per-key budget.
 */
function authorize(
  state: ApiServerState,
  keyCheck: ApiKeyCheck,
  req: IncomingMessage,
  address: string,
  now: number,
): void {
  const blocked = state.failures.check(address, now);
  if (!blocked.allowed) {
    throw tooManyRequests("TOO_MANY_FAILED_ATTEMPTS", "too many failed API key attempts", blocked.retryAfterS);
  }
  const result = keyCheck.check(req, { clientAddress: address, appEnv: state.appEnv });
  if (!result.ok) {
    if (result.countsAsFailure) state.failures.recordFailure(address, now);
    throw result.error;
  }
  const decision = state.limiter.hit(result.limiterKey, now);
  if (!decision.allowed) throw tooManyRequests("RATE_LIMITED", "rate limit exceeded", decision.retryAfterS);
}

/** Writes a route's answer. Everything that can throw (serializing, bad headers) runs before anything is set. */
function finish(exchange: Exchange, response: ApiResponse): void {
  const payload =
    response.status === 204 || (response.text === undefined && response.body === undefined)
      ? undefined
      : (response.text ?? JSON.stringify(response.body));
  const contentType = response.text === undefined ? JSON_CONTENT_TYPE : (response.contentType ?? TEXT_CONTENT_TYPE);
  validateHeaderValue("Content-Type", contentType);
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
    throw new Error(`route answered an invalid status ${response.status}`);
  }
  const headers = { ...response.headers, ...(response.location !== undefined ? { Location: response.location } : {}) };
  const allowed = Object.entries(headers).filter(
    ([name]) => !isSecurityHeader(name) && !RESERVED_HEADERS.has(name.toLowerCase()),
  );
  for (const [name, value] of allowed) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
  }
  for (const [name, value] of allowed) exchange.res.setHeader(name, value);
  write(exchange, response.status, payload, contentType);
}

function sendError(exchange: Exchange, error: ApiError): void {
  const { res } = exchange;
  if (res.headersSent) {
    // Too late for a clean answer: cut the connection so the client sees a failure, not a truncated success.
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (error.closeConnection) res.setHeader("Connection", "close");
  const body: ApiErrorBody = error.toBody();
  write(exchange, error.status, JSON.stringify(body));
}

function write(exchange: Exchange, status: number, payload: string | undefined, contentType = JSON_CONTENT_TYPE): void {
  const { req, res } = exchange;
  // A body we did not read (or stopped reading) is not drained for keep-alive: closing costs less than reading it.
  if (hasBody(req) && !req.readableEnded) res.setHeader("Connection", "close");
  res.statusCode = status;
  if (payload === undefined) {
    if (status !== 204) res.setHeader("Content-Length", "0");
    res.end();
    return;
  }
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", String(Buffer.byteLength(payload)));
  res.end(payload);
}

function unavailable(message: string): ApiError {
  return new ApiError(503, "UNAVAILABLE", message);
}

function tooManyRequests(
  code: "RATE_LIMITED" | "TOO_MANY_FAILED_ATTEMPTS",
  message: string,
  retryAfterS: number,
): ApiError {
  return new ApiError(429, code, message, {
    details: { retry_after_s: retryAfterS },
    headers: { "Retry-After": String(retryAfterS) },
  });
}

/** Express strips a mount path from `req.url` but keeps the full one in `originalUrl`; plain Node has only `url`. */
function requestTarget(req: IncomingMessage): string {
  const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
  return typeof original === "string" ? original : (req.url ?? "");
}

function splitTarget(target: string): { path: string; search: string } {
  const index = target.indexOf("?");
  return index < 0 ? { path: target, search: "" } : { path: target.slice(0, index), search: target.slice(index + 1) };
}
