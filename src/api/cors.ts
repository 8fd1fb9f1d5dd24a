/**
 * CORS for the Argus API. Node-RED's admin app answers every preflight with `Access-Control-Allow-Origin: *`;
 * our handler runs before it and answers ours itself, so only origins in ALLOWED_ORIGINS get CORS headers.
 * No credentials mode is offered: the key travels in `X-Api-Key`, which (with JSON bodies) forces a preflight.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "./api-error";
import type { AppEnv } from "./app-env";
import { ConfigError } from "../model/config-error";

/** Local development UIs only, as in the Argus guide. */
export const DEFAULT_ALLOWED_ORIGINS = "http://localhost:3000,http://localhost:5173";
export const CORS_ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
export const CORS_ALLOWED_HEADERS = "Content-Type, X-Api-Key";
/** Headers a browser script may read on our answers (the rest stays hidden from cross-origin code). */
export const CORS_EXPOSED_HEADERS = "Location, Retry-After, X-Request-Id";
/** Ten minutes: Chromium caps the preflight cache at two hours, Firefox at one day; this keeps changes quick. */
export const CORS_MAX_AGE_S = 600;

const CONFIG_PATH = "allowed_origins";

export class CorsPolicy {
  private constructor(
    private readonly origins: ReadonlySet<string>,
    readonly allowAny: boolean,
  ) {}

  /**
   * Builds the policy from an ALLOWED_ORIGINS value (comma separated; blank means the default).
   * Throws ConfigError for `*` in production and for entries that are not a bare http(s) origin, because a
   * typo such as `argus.example.com` would otherwise silently allow nothing.
   */
  static parse(allowedOrigins: string | undefined, appEnv: AppEnv): CorsPolicy {
    const raw = allowedOrigins?.trim() ? allowedOrigins : DEFAULT_ALLOWED_ORIGINS;
    const entries = raw
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    const allowAny = entries.includes("*");
    if (allowAny && appEnv === "production") {
      throw new ConfigError([
        {
          path: CONFIG_PATH,
          message:
            "`*` is refused when APP_ENV=production: list the origins of your UI, e.g. https://argus.example.com",
        },
      ]);
    }
    const issues = entries.filter((entry) => entry !== "*" && normalizeOrigin(entry) === null);
    if (issues.length > 0) {
      throw new ConfigError(
        issues.map((entry) => ({
          path: CONFIG_PATH,
          message: `"${entry}" is not an origin: write scheme, host and optional port, e.g. https://argus.example.com`,
        })),
      );
    }
    const origins = entries.map(normalizeOrigin).filter((origin): origin is string => origin !== null);
    return new CorsPolicy(new Set(origins), allowAny);
  }

  allows(origin: string | undefined): origin is string {
    if (origin === undefined || origin === "") return false;
    return this.allowAny || this.origins.has(origin);
  }

  /** Headers for an actual (non-preflight) request: CORS headers only for an allowed origin. */
  applyTo(req: IncomingMessage, res: ServerResponse): void {
    this.varyOnOrigin(res);
    const origin = req.headers.origin;
    if (!this.allows(origin)) return;
    res.setHeader("Access-Control-Allow-Origin", this.allowAny ? "*" : origin);
    res.setHeader("Access-Control-Expose-Headers", CORS_EXPOSED_HEADERS);
  }

  /**
   * Answers a preflight: sets the headers of a 204 for an allowed origin, throws a 403 ApiError otherwise
   * (Node-RED's own `cors(*)` never gets to say yes).
   */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    this.varyOnOrigin(res);
    const origin = req.headers.origin;
    if (!this.allows(origin)) {
      throw new ApiError(403, "CORS_ORIGIN_NOT_ALLOWED", "this origin is not allowed: add it to ALLOWED_ORIGINS");
    }
    res.setHeader("Access-Control-Allow-Origin", this.allowAny ? "*" : origin);
    res.setHeader("Access-Control-Allow-Methods", CORS_ALLOWED_METHODS);
    res.setHeader("Access-Control-Allow-Headers", CORS_ALLOWED_HEADERS);
    res.setHeader("Access-Control-Max-Age", String(CORS_MAX_AGE_S));
  }

  /** The answer depends on Origin whenever origins are listed, so caches must key on it. */
  private varyOnOrigin(res: ServerResponse): void {
    if (!this.allowAny) res.setHeader("Vary", "Origin");
  }
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (a plain OPTIONS is not one). */
export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === "OPTIONS" &&
    req.headers.origin !== undefined &&
    req.headers["access-control-request-method"] !== undefined
  );
}

/** The serialized origin a browser would send for this entry, or null when the entry is more than an origin. */
export function normalizeOrigin(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") return null;
  // An entry with a trailing path such as "https://x.example/" passes as "/"; anything longer is refused above.
  return url.origin;
}
