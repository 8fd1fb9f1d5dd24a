/**
 * A tiny router for the API's fixed route table: exact segments and `:name` parameters, 404 for unknown paths,
 * 405 with `Allow` for a known path and another method, and a query parser that hands handlers plain strings
 * only (a repeated parameter is refused rather than turned into an array, so no `{$ne: ...}` reaches nedb).
 */
import { ApiError } from "./api-error";
import type { BodyRequirement } from "./body";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Methods whose body is read (as JSON) before the route runs. */
export const BODY_METHODS: ReadonlySet<string> = new Set<HttpMethod>(["POST", "PUT", "PATCH"]);

/** Longer path parameters are refused: ids are at most 64 characters, so 256 leaves room and bounds the work. */
export const MAX_PARAM_LENGTH = 256;

export interface ApiContext {
  readonly method: HttpMethod;
  /** The path below the base path, e.g. `/api/devices/ups-1`. */
  readonly path: string;
  /** Decoded path parameters, e.g. `{id: "ups-1"}`. */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters, each a single plain string (null prototype: no inherited keys). */
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body for POST/PUT/PATCH (undefined when optional and absent). Validate it with zod. */
  readonly body: unknown;
  readonly clientAddress: string;
  /** Also sent as `X-Request-Id`, so a log line can be matched to an answer. */
  readonly requestId: string;
}

export interface ApiResponse {
  status: number;
  /** Serialized as JSON; ignored for 204. Omit for an empty answer. */
  body?: unknown;
  /** A text answer instead of JSON (e.g. Prometheus metrics): sent as is, with `contentType`. Wins over `body`. */
  text?: string;
  /** The Content-Type of a `text` answer; default `text/plain; charset=utf-8`. */
  contentType?: string;
  /** For a 201: where the new resource lives. */
  location?: string;
  /** Extra headers; the security headers cannot be overridden. */
  headers?: Readonly<Record<string, string>>;
}

export interface ApiRoute {
  method: HttpMethod;
  /** Below the base path, starting with `/api`; `:name` segments are parameters. */
  path: string;
  /** Needs `X-Api-Key` (and is rate limited). */
  protected: boolean;
  /** For POST/PUT/PATCH: whether a JSON body must be present. Default "required". */
  body?: BodyRequirement;
  handle(ctx: ApiContext): Promise<ApiResponse>;
}

export type RouteMatch =
  | { kind: "found"; route: ApiRoute; params: Record<string, string> }
  | { kind: "not_found" }
  | { kind: "method_not_allowed"; allow: string };

interface CompiledPath {
  pattern: string;
  segments: Array<{ literal: string } | { param: string }>;
  routes: Map<string, ApiRoute>;
}

export class Router {
  /** Most specific first: at the first segment where two patterns differ, a literal beats a parameter. */
  private readonly paths: CompiledPath[];

  constructor(routes: readonly ApiRoute[]) {
    const byPattern = new Map<string, CompiledPath>();
    for (const route of routes) {
      const compiled = byPattern.get(route.path) ?? compilePath(route.path);
      if (compiled.routes.has(route.method)) throw new Error(`duplicate route ${route.method} ${route.path}`);
      compiled.routes.set(route.method, route);
      byPattern.set(route.path, compiled);
    }
    this.paths = [...byPattern.values()].sort(bySpecificity);
  }

  /** Throws ApiError 400 INVALID_PATH_PARAMETER for a parameter that is not valid percent-encoding or too long. */
  match(method: string, path: string): RouteMatch {
    const segments = splitPath(path);
    const candidates = this.paths.filter((compiled) => segmentsMatch(compiled, segments));
    if (candidates.length === 0) return { kind: "not_found" };
    // HEAD is answered as GET (Node drops the body of a HEAD answer itself).
    const lookup = method === "HEAD" ? "GET" : method;
    for (const compiled of candidates) {
      const route = compiled.routes.get(lookup);
      if (route !== undefined) return { kind: "found", route, params: extractParams(compiled, segments) };
    }
    return { kind: "method_not_allowed", allow: allowHeader(candidates) };
  }
}

/**
 * The query string as plain strings. A parameter given twice is a 400 (DUPLICATE_QUERY_PARAMETER): arrays and
 * objects never reach a handler, and `a=1&a=2` cannot mean one thing to us and another to a proxy.
 */
export function parseQuery(search: string): Record<string, string> {
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(search)) {
    if (Object.hasOwn(query, name)) {
      throw new ApiError(400, "DUPLICATE_QUERY_PARAMETER", "a query parameter is given more than once", {
        details: { parameter: name.slice(0, 64) },
      });
    }
    query[name] = value;
  }
  return query;
}

function compilePath(pattern: string): CompiledPath {
  if (!pattern.startsWith("/")) throw new Error(`route path must start with "/": ${pattern}`);
  const segments = splitPath(pattern).map((segment) =>
    segment.startsWith(":") ? { param: segment.slice(1) } : { literal: segment },
  );
  return { pattern, segments, routes: new Map() };
}

/** "/api/devices/" and "/api/devices" are the same path; empty inner segments ("//") match nothing. */
function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed.split("/").slice(1);
}

function segmentsMatch(compiled: CompiledPath, segments: readonly string[]): boolean {
  if (compiled.segments.length !== segments.length) return false;
  return compiled.segments.every((pattern, index) => {
    const segment = segments[index] ?? "";
    return "literal" in pattern ? pattern.literal === segment : segment !== "";
  });
}

function extractParams(compiled: CompiledPath, segments: readonly string[]): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  compiled.segments.forEach((pattern, index) => {
    if ("param" in pattern) params[pattern.param] = decodeParam(segments[index] ?? "");
  });
  return params;
}

function decodeParam(raw: string): string {
  let decoded: string;
  try {
    decoded = raw.length > MAX_PARAM_LENGTH * 3 ? raw : decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, "INVALID_PATH_PARAMETER", "a path parameter is not valid percent-encoding");
  }
  if (decoded.length > MAX_PARAM_LENGTH) {
    throw new ApiError(400, "INVALID_PATH_PARAMETER", `a path parameter is over ${MAX_PARAM_LENGTH} characters`);
  }
  return decoded;
}

function allowHeader(candidates: readonly CompiledPath[]): string {
  const methods = new Set<string>();
  for (const compiled of candidates) for (const method of compiled.routes.keys()) methods.add(method);
  if (methods.has("GET")) methods.add("HEAD");
  methods.add("OPTIONS");
  return [...methods].join(", ");
}

function bySpecificity(a: CompiledPath, b: CompiledPath): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index++) {
    const aLiteral = "literal" in (a.segments[index] ?? {});
    const bLiteral = "literal" in (b.segments[index] ?? {});
    if (aLiteral !== bLiteral) return aLiteral ? -1 : 1;
  }
  return 0;
}
