/**
 * What the API handler needs from the currently deployed server: its routes and its security settings, built
 * once per deploy. Settings come from the node's fields first, else their environment variables (api.md,
 * "Environment variables"). A key that is too short is kept as `keyError` rather than thrown, because the
 * server must then answer 503 on every route while Node-RED keeps running.
 */
import { ApiKeyCheck, ApiKeyTooShortError, resolveApiKey } from "./api-key";
import { type AppEnv, parseAppEnv } from "./app-env";
import { CorsPolicy } from "./cors";
import {
  DEFAULT_FAILED_ATTEMPTS_PER_MINUTE,
  FailedAttemptLimiter,
  SlidingWindowLimiter,
  parseRateLimitPerMinute,
} from "./rate-limit";
import { type ApiRoute, Router } from "./router";

interface ApiServerStateBase {
  readonly routes: Router;
  readonly cors: CorsPolicy;
  /** Per API key (by digest), protected routes only. */
  readonly limiter: SlidingWindowLimiter;
  /** Failed key attempts per client address. */
  readonly failures: FailedAttemptLimiter;
  /** Take the client address from X-Forwarded-For (its last entry): only behind a trusted reverse proxy. */
  readonly trustProxy: boolean;
  readonly appEnv: AppEnv;
}

/** Exactly one of `keyCheck` (the server runs) and `keyError` (the key is too short: every route 503). */
export type ApiServerState = ApiServerStateBase &
  ({ keyCheck: ApiKeyCheck; keyError?: undefined } | { keyError: ApiKeyTooShortError; keyCheck?: undefined });

export interface ApiSettings {
  routes: readonly ApiRoute[];
  /** The node's credential; blank falls back to API_KEY. */
  apiKey?: string;
  /** The node's field; blank falls back to ALLOWED_ORIGINS, then the local development default. */
  allowedOrigins?: string;
  /** The node's field; blank falls back to RATE_LIMIT_PER_MINUTE, then 60. */
  rateLimitPerMinute?: string | number;
  /** The node's field; blank falls back to APP_ENV. */
  appEnv?: string;
  trustProxy: boolean;
  failedAttemptsPerMinute?: number;
  /** Defaults to process.env; tests pass their own. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the state of one deployed server. Throws ConfigError (show it on the node) for a `*` origin in
 * production, a malformed origin or rate limit; a too-short key is returned as `keyError` instead, and the
 * caller should log `keyError.message` and `keyError.suggestion` and show a red status.
 */
export function createApiServerState(settings: ApiSettings): ApiServerState {
  const env = settings.env ?? process.env;
  const appEnv = parseAppEnv(firstNonBlank(settings.appEnv, env.APP_ENV));
  const base: ApiServerStateBase = {
    routes: new Router(settings.routes),
    cors: CorsPolicy.parse(firstNonBlank(settings.allowedOrigins, env.ALLOWED_ORIGINS), appEnv),
    limiter: new SlidingWindowLimiter({
      limit: parseRateLimitPerMinute(firstNonBlank(settings.rateLimitPerMinute, env.RATE_LIMIT_PER_MINUTE)),
    }),
    failures: new FailedAttemptLimiter({
      limit: settings.failedAttemptsPerMinute ?? DEFAULT_FAILED_ATTEMPTS_PER_MINUTE,
    }),
    trustProxy: settings.trustProxy,
    appEnv,
  };
  try {
    return { ...base, keyCheck: new ApiKeyCheck(resolveApiKey(settings.apiKey, env.API_KEY)) };
  } catch (error) {
    if (error instanceof ApiKeyTooShortError) return { ...base, keyError: error };
    throw error;
  }
}

function firstNonBlank<T extends string | number>(...values: Array<T | undefined>): T | undefined {
  return values.find((value) => value !== undefined && String(value).trim() !== "");
}
