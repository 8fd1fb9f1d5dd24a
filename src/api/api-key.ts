/**
 * The API key of the protected routes (api.md, "Key" and "Compare"). The key comes from the server node's
 * credential, else API_KEY; a key under 32 characters stops the server (every route 503) rather than running
 * weakly. Only a SHA-256 digest of the key is kept, and keys are compared digest to digest with
 * `timingSafeEqual`, so neither content nor length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ApiError } from "./api-error";
import type { AppEnv } from "./app-env";
import { isLoopback } from "./client-address";

export const API_KEY_MIN_LENGTH = 32;
export const API_KEY_HEADER = "x-api-key";
export const API_KEY_TOO_SHORT_MESSAGE = "ERROR: API_KEY must be at least 32 characters long";
export const API_KEY_SUGGESTION = [
  "Suggestion: Generate a secure key with:",
  `  node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
  "  openssl rand -base64 32",
  `  python3 -c "import secrets; print(secrets.token_urlsafe(32))"`,
].join("\n");

/** Query parameter names that people use for keys. A key there ends up in access logs and browser history. */
export const API_KEY_QUERY_NAMES: ReadonlySet<string> = new Set(["api_key", "apikey", "key", "x-api-key"]);

const NOT_CONFIGURED_MESSAGE =
  "no API key is configured, so protected endpoints are refused: set the API key on the argus-server node " +
  "(its credential) or the API_KEY environment variable to a random value of at least 32 characters";

/** The server must not start with this key. `message` is the exact log line; `suggestion` says how to fix it. */
export class ApiKeyTooShortError extends Error {
  override readonly name = "ApiKeyTooShortError";
  readonly code = "API_KEY_TOO_SHORT";
  readonly suggestion = API_KEY_SUGGESTION;

  constructor() {
    super(API_KEY_TOO_SHORT_MESSAGE);
  }
}

/** The node's credential wins; else API_KEY; blank (or only whitespace) counts as not set. */
export function resolveApiKey(configured: string | undefined, envValue: string | undefined): string | undefined {
  for (const candidate of [configured, envValue]) {
    const trimmed = candidate?.trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}

export function keyDigest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Constant-time for any pair of inputs: both sides are hashed to 32 bytes first (raw timingSafeEqual throws on unequal lengths). */
export function timingSafeKeyEqual(expected: string, provided: string): boolean {
  return timingSafeEqual(keyDigest(expected), keyDigest(provided));
}

export type KeyCheckResult =
  | { ok: true; /** what the per-key rate limiter counts under: a digest, never the key */ limiterKey: string }
  | { ok: false; error: ApiError; /** whether the failed-attempt limiter should count it */ countsAsFailure: boolean };

export interface KeyCheckContext {
  clientAddress: string;
  appEnv: AppEnv;
}

export class ApiKeyCheck {
  private readonly digest: Buffer | null;
  private readonly limiterKey: string | null;

  /** Throws ApiKeyTooShortError for a key under 32 characters; `undefined` means no key is configured. */
  constructor(key: string | undefined) {
    if (key === undefined) {
      this.digest = null;
      this.limiterKey = null;
      return;
    }
    // Characters, not UTF-16 units: an emoji is one character to the person choosing the key.
    if ([...key].length < API_KEY_MIN_LENGTH) throw new ApiKeyTooShortError();
    this.digest = keyDigest(key);
    // Domain-separated from the compare digest so the limiter's map never holds the value keys are checked against.
    this.limiterKey = createHash("sha256").update("argus-rate-limit\0").update(key, "utf8").digest("hex");
  }

  get configured(): boolean {
    return this.digest !== null;
  }

  check(req: Pick<IncomingMessage, "headers" | "rawHeaders">, context: KeyCheckContext): KeyCheckResult {
    if (this.digest === null || this.limiterKey === null) return this.withoutKey(context);
    if (countHeader(req.rawHeaders, API_KEY_HEADER) > 1) {
      return refuse(400, "API_KEY_DUPLICATE", "send exactly one X-Api-Key header", true);
    }
    const provided = headerValue(req.headers[API_KEY_HEADER]);
    if (provided === "") {
      return refuse(401, "API_KEY_MISSING", "this endpoint needs the X-Api-Key header", false);
    }
    if (!timingSafeEqual(this.digest, keyDigest(provided))) {
      return refuse(403, "API_KEY_INVALID", "the API key is not valid", true);
    }
    return { ok: true, limiterKey: this.limiterKey };
  }

  /** Secure by default; APP_ENV=development lets a developer's own machine in, and nobody else. */
  private withoutKey(context: KeyCheckContext): KeyCheckResult {
    if (context.appEnv === "development" && isLoopback(context.clientAddress)) {
      return { ok: true, limiterKey: "development-loopback" };
    }
    return refuse(403, "API_KEY_NOT_CONFIGURED", NOT_CONFIGURED_MESSAGE, false);
  }
}

/** Refuses a request that carries a key in its query string: it must not work, and people must notice. */
export function assertNoKeyInQuery(parameterNames: Iterable<string>): void {
  for (const name of parameterNames) {
    if (API_KEY_QUERY_NAMES.has(name.toLowerCase())) {
      throw new ApiError(
        400,
        "API_KEY_IN_QUERY",
        "an API key is never accepted in the query string: use the X-Api-Key header",
      );
    }
  }
}

/** How often a header occurs in the raw list (names at even indexes, any case); Node merges duplicates otherwise. */
export function countHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) count++;
  }
  return count;
}

function headerValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value.join(", ") : (value ?? "")).trim();
}

function refuse(
  status: number,
  code: "API_KEY_DUPLICATE" | "API_KEY_MISSING" | "API_KEY_INVALID" | "API_KEY_NOT_CONFIGURED",
  message: string,
  countsAsFailure: boolean,
): KeyCheckResult {
  const headers: Record<string, string> = status === 401 ? { "WWW-Authenticate": 'ApiKey header="X-Api-Key"' } : {};
  return { ok: false, error: new ApiError(status, code, message, { headers }), countsAsFailure };
}
