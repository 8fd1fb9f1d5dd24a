/**
 * The one HTTP client of alert delivery. https only (checked right before each send), no redirects followed (a
 * 3xx is a failure), a timeout over the whole exchange, the response body read only up to a bound, an optional
 * private CA per provider (merged with Node's roots and NODE_EXTRA_CA_CERTS), and an option that refuses
 * private, loopback, link-local and other non-public targets at connect time.
 *
 * Never puts a URL in an error or a log line: Telegram carries its token in the path, Discord, Slack and Home
 * Assistant their secrets.
 */
import { createHash } from "node:crypto";
import { lookup as dnsLookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { createSecureContext, rootCertificates } from "node:tls";
import type { Readable } from "node:stream";
import type { SecureContext } from "node:tls";
import { Agent, buildConnector, request } from "undici";
import { TargetPolicy, formatIp, parseIp } from "./ip-ranges";
import { pemCertificates } from "./pem";

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_CACHED_AGENTS = 16;
const USER_AGENT = "Argus-Node-RED";

export type AlertHttpErrorCode =
  /** The URL is not https (or not a URL at all). */
  | "NOT_HTTPS"
  | "BAD_URL"
  /** `blockPrivateTargets` refused the address the name resolved to, or the IP literal. */
  | "BLOCKED_TARGET"
  /** The answer was a 3xx: redirects are never followed. */
  | "REDIRECT_REFUSED"
  | "TIMEOUT"
  | "TLS"
  | "DNS"
  | "CONNECTION"
  /** The caller aborted (the dispatcher closed). */
  | "ABORTED"
  | "NETWORK";

/** A failure before or during the exchange; `retryable` says whether another attempt may succeed. */
export class AlertHttpError extends Error {
  override readonly name = "AlertHttpError";

  constructor(
    readonly code: AlertHttpErrorCode,
    message: string,
    readonly retryable: boolean,
    /** The HTTP status where there was one (a refused redirect). */
    readonly statusCode: number | null = null,
  ) {
    super(message);
  }
}

/** What a provider builds and the client sends: always a POST of a text body. */
export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as UTF-8, at most `maxResponseBytes` of it. */
  body: string;
  truncated: boolean;
}

export interface SendOptions {
  /** A PEM (one or more certificates) to trust besides Node's roots and NODE_EXTRA_CA_CERTS. */
  ca?: string;
  /** Refuse targets that are not public unicast, unless on `allow`. */
  blockPrivateTargets?: boolean;
  /** CIDR ranges, addresses or host names (`*.lan` for every name under it) that bypass the block. */
  allow?: readonly string[];
  /** Abort from outside (the dispatcher closing). */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
}

/** A resolver with `all: true` semantics; tests inject one to map names without touching DNS. */
export type LookupAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface HttpClientOptions {
  /** Whole exchange: connect, TLS, request, headers and the bounded body (default 10 s). */
  timeoutMs?: number;
  /** How much of a response body is read (default 64 KiB); the rest is discarded with the connection. */
  maxResponseBytes?: number;
  lookup?: LookupAll;
}

const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Parses `url` and refuses anything but https. Errors never include the URL. */
export function assertHttpsUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AlertHttpError("BAD_URL", "the alert URL is not a valid URL", false);
  }
  if (parsed.protocol !== "https:") {
    throw new AlertHttpError(
      "NOT_HTTPS",
      `refused to send to a ${parsed.protocol} URL: only https:// is allowed`,
      false,
    );
  }
  return parsed;
}

let extraCaCache: { path: string; pems: string[] } | undefined;

/** Node reads NODE_EXTRA_CA_CERTS only into its default store, which an explicit `ca` replaces: re-add it. */
function extraCaCertificates(): string[] {
  const path = process.env.NODE_EXTRA_CA_CERTS;
  if (!path) return [];
  if (extraCaCache?.path !== path) {
    let pems: string[] = [];
    try {
      pems = [readFileSync(path, "utf8")];
    } catch {
      // Node itself only warns about an unreadable file; so do we, by trusting nothing extra.
    }
    extraCaCache = { path, pems };
  }
  return extraCaCache.pems;
}

function secureContextFor(ca: string | undefined): SecureContext | undefined {
  if (!ca) return undefined;
  const certificates = pemCertificates(ca);
  if (!certificates) throw new AlertHttpError("TLS", "the provider's ca is not a valid PEM certificate", false);
  return createSecureContext({ ca: [...rootCertificates, ...extraCaCertificates(), ...certificates] });
}

export type Connector = buildConnector.connector;
type ConnectOptions = buildConnector.Options;

function blocked(what: string, kind: string): AlertHttpError {
  return new AlertHttpError(
    "BLOCKED_TARGET",
    `refused to connect to ${what}: a ${kind} address (block_private_targets is on; add it to allowed_private_targets to allow it)`,
    false,
  );
}

/**
 * The address to connect to, checked: an IP literal as it is, a name resolved with every address checked (one
 * non-public address refuses the name, so a resolver cannot pick the bad one later), an allowed name unchecked.
 */
async function checkedAddress(
  hostname: string,
  policy: TargetPolicy,
  lookup: LookupAll,
): Promise<{ address: string; checkRemote: boolean }> {
  const literal = parseIp(hostname);
  if (literal) {
    const refusal = policy.refusal(literal);
    if (refusal) throw blocked(formatIp(literal), refusal);
    return { address: formatIp(literal), checkRemote: true };
  }
  if (policy.hostAllowed(hostname)) return { address: hostname, checkRemote: false };
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(hostname);
  } catch (error) {
    throw networkError(error);
  }
  if (addresses.length === 0) throw new AlertHttpError("DNS", `the alert host name did not resolve`, false);
  for (const { address } of addresses) {
    const bytes = parseIp(address);
    if (!bytes) throw new AlertHttpError("DNS", "the alert host name resolved to something that is not an IP", false);
    const refusal = policy.refusal(bytes);
    if (refusal) throw blocked(`${hostname} (${formatIp(bytes)})`, refusal);
  }
  return { address: (addresses[0] as { address: string }).address, checkRemote: true };
}

/** Wraps undici's connector: check, connect to the checked address (never re-resolve), check the peer again.
 * Exported for tests. */
export function guardedConnector(base: Connector, policy: TargetPolicy, lookup: LookupAll): Connector {
  return (options: ConnectOptions, callback) => {
    checkedAddress(options.hostname, policy, lookup).then(
      ({ address, checkRemote }) => {
        // `host` stays the name: undici derives the TLS servername (SNI and certificate check) from it.
        base({ ...options, hostname: address }, (error, socket) => {
          if (error) {
            callback(error, null);
            return;
          }
          const remote = (socket as Socket).remoteAddress;
          const bytes = remote ? parseIp(remote) : null;
          const refusal = bytes ? policy.refusal(bytes) : "reserved";
          if (checkRemote && refusal) {
            (socket as Socket).destroy();
            callback(blocked(remote ?? "an unknown peer", refusal), null);
            return;
          }
          callback(null, socket as Socket);
        });
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** Node's and undici's errors as ours. Their messages name at most an address and port, never a path. */
function networkError(error: unknown): AlertHttpError {
  if (error instanceof AlertHttpError) return error;
  const code = errorCode(error);
  const text = error instanceof Error ? error.message : String(error);
  if (TIMEOUT_CODES.has(code)) return new AlertHttpError("TIMEOUT", `timed out (${code})`, true);
  if (TLS_CODES.has(code) || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_")) {
    return new AlertHttpError("TLS", `TLS failed: ${text} (${code})`, false);
  }
  if (code === "ENOTFOUND") return new AlertHttpError("DNS", "the alert host name was not found (ENOTFOUND)", false);
  if (code === "EAI_AGAIN") return new AlertHttpError("DNS", "the alert host name could not be resolved now", true);
  if (RETRYABLE_NETWORK_CODES.has(code)) return new AlertHttpError("CONNECTION", `connection failed: ${text}`, true);
  return new AlertHttpError("NETWORK", `request failed: ${text}${code ? ` (${code})` : ""}`, true);
}

function headerRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return record;
}

export class HttpClient {
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly lookup: LookupAll;
  /** One agent per (ca, policy), least recently used evicted. */
  private readonly agents = new Map<string, Agent>();
  private closed = false;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.lookup = options.lookup ?? defaultLookup;
  }

  /**
   * Sends `request` as a POST. Resolves with any non-3xx answer (the caller judges 2xx); rejects with an
   * {@link AlertHttpError} for everything else, a 3xx included.
   */
  async send(input: HttpRequest, options: SendOptions = {}): Promise<HttpResponse> {
    if (this.closed) throw new AlertHttpError("ABORTED", "the alert client is closed", false);
    const url = assertHttpsUrl(input.url);
    const headers: Record<string, string> = { "user-agent": USER_AGENT, ...lowerCaseKeys(input.headers) };
    if (url.username || url.password) {
      // User info is a secret of the URL: send it as Basic authorization, never in the request line.
      headers.authorization ??= `Basic ${Buffer.from(`${decoded(url.username)}:${decoded(url.password)}`).toString("base64")}`;
      url.username = "";
      url.password = "";
    }
    const policy = options.blockPrivateTargets ? new TargetPolicy(options.allow ?? []) : null;
    if (policy) {
      // IP literals are refused here already, before a connection is even attempted; the connector checks again.
      const literal = parseIp(url.hostname);
      const refusal = literal ? policy.refusal(literal) : null;
      if (literal && refusal) throw blocked(formatIp(literal), refusal);
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const dispatcher = this.agent(options.ca, policy, options.allow ?? [], timeoutMs);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const response = await request(url, {
        method: "POST",
        headers,
        body: input.body,
        dispatcher,
        signal,
      });
      if (response.statusCode >= 300 && response.statusCode < 400) {
        discard(response.body);
        throw new AlertHttpError(
          "REDIRECT_REFUSED",
          `redirect refused (HTTP ${response.statusCode}): alert requests never follow redirects`,
          false,
          response.statusCode,
        );
      }
      const { body, truncated } = await this.readBounded(response.body);
      return { status: response.statusCode, headers: headerRecord(response.headers), body, truncated };
    } catch (error) {
      if (options.signal?.aborted) throw new AlertHttpError("ABORTED", "the alert was cancelled", false);
      if (timeout.aborted) throw new AlertHttpError("TIMEOUT", `no answer within ${timeoutMs} ms`, true);
      throw networkError(error);
    }
  }

  /** Closes every connection; later sends fail with ABORTED. */
  async close(): Promise<void> {
    this.closed = true;
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((agent) => agent.destroy().catch(() => undefined)));
  }

  private async readBounded(stream: Readable): Promise<{
    body: string;
    truncated: boolean;
  }> {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    // Breaking out of the loop destroys the body, which undici reports as an abort: expected, not an error.
    stream.on("error", () => undefined);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const room = this.maxResponseBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = true;
        break; // ends the iteration, which destroys the body and its connection
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return { body: Buffer.concat(chunks, size).toString("utf8"), truncated };
  }

  private agent(
    ca: string | undefined,
    policy: TargetPolicy | null,
    allow: readonly string[],
    timeoutMs: number,
  ): Agent {
    const key = [
      ca ? createHash("sha256").update(ca).digest("hex") : "-",
      policy ? `block:${JSON.stringify(allow)}` : "open",
      timeoutMs,
      process.env.NODE_EXTRA_CA_CERTS ?? "",
    ].join("|");
    const cached = this.agents.get(key);
    if (cached) {
      this.agents.delete(key);
      this.agents.set(key, cached);
      return cached;
    }
    const secureContext = secureContextFor(ca);
    const base = buildConnector({ timeout: timeoutMs, ...(secureContext ? { secureContext } : {}) });
    const connect = policy ? guardedConnector(base, policy, this.lookup) : base;
    const agent = new Agent({
      connect,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // Alerts are rare: an idle connection is not worth keeping.
      keepAliveTimeout: 1_000,
    });
    this.agents.set(key, agent);
    if (this.agents.size > MAX_CACHED_AGENTS) {
      const [oldestKey, oldest] = this.agents.entries().next().value as [string, Agent];
      this.agents.delete(oldestKey);
      void oldest.close().catch(() => undefined);
    }
    return agent;
  }
}

function decoded(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

/** Drops a response body and its connection; undici reports the abort as an error that nobody needs. */
function discard(stream: { destroy(): void; on(event: "error", listener: () => void): unknown }): void {
  stream.on("error", () => undefined);
  stream.destroy();
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
