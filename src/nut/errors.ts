/**
 * Typed NUT errors. Every `ERR <CODE>` that upsd can send has a code here, plus the client-side failures
 * (timeouts, refused connections, protocol violations), so callers branch on `code`, never on message text.
 */

/** The `ERR` codes of NUT's network protocol (docs/net-protocol.txt) and the undocumented ones upsd 2.8 sends. */
export const SERVER_ERROR_CODES = [
  "ACCESS-DENIED",
  "UNKNOWN-UPS",
  "VAR-NOT-SUPPORTED",
  "CMD-NOT-SUPPORTED",
  "INVALID-ARGUMENT",
  "INSTCMD-FAILED",
  "SET-FAILED",
  "READONLY",
  "TOO-LONG",
  "FEATURE-NOT-SUPPORTED",
  "FEATURE-NOT-CONFIGURED",
  "ALREADY-SSL-MODE",
  "DRIVER-NOT-CONNECTED",
  "DATA-STALE",
  "ALREADY-LOGGED-IN",
  "INVALID-PASSWORD",
  "ALREADY-SET-PASSWORD",
  "INVALID-USERNAME",
  "ALREADY-SET-USERNAME",
  "USERNAME-REQUIRED",
  "PASSWORD-REQUIRED",
  "UNKNOWN-COMMAND",
  "INVALID-VALUE",
  "VAR-UNKNOWN",
  "UNKNOWN-TYPE",
  "UNKNOWN-INSTCMD",
  "MISSING-ARGUMENT",
] as const;

/** Failures detected by this client rather than reported by upsd. */
export const CLIENT_ERROR_CODES = [
  "TIMEOUT",
  "CONNECTION-REFUSED",
  "CONNECTION-CLOSED",
  "HOST-NOT-FOUND",
  "NETWORK",
  "PROTOCOL",
  "TLS-UNAVAILABLE",
  "TLS",
  "BAD-REQUEST",
  "CLIENT-CLOSED",
  "UNKNOWN-ERROR",
] as const;

export type NutServerErrorCode = (typeof SERVER_ERROR_CODES)[number];
export type NutErrorCode = NutServerErrorCode | (typeof CLIENT_ERROR_CODES)[number];

const SERVER_CODES: ReadonlySet<string> = new Set(SERVER_ERROR_CODES);

/** What a person should read for each code: the cause and, where there is one, what to do. */
const REASONS: Record<NutErrorCode, string> = {
  "ACCESS-DENIED": "access denied: wrong username or password, or the user lacks the right (upsd.users)",
  "UNKNOWN-UPS": "unknown UPS: no UPS of that name on this NUT server",
  "VAR-NOT-SUPPORTED": "variable not supported by this UPS",
  "CMD-NOT-SUPPORTED": "instant command not supported by this UPS",
  "INVALID-ARGUMENT": "invalid argument",
  "INSTCMD-FAILED": "the driver failed to run the instant command",
  "SET-FAILED": "the driver failed to set the variable",
  READONLY: "the variable is read-only",
  "TOO-LONG": "value too long",
  "FEATURE-NOT-SUPPORTED": "feature not supported by this NUT server",
  "FEATURE-NOT-CONFIGURED": "feature not configured on this NUT server",
  "ALREADY-SSL-MODE": "TLS is already active",
  "DRIVER-NOT-CONNECTED": "driver not connected: the UPS driver is not running",
  "DATA-STALE": "data stale: the UPS driver stopped updating",
  "ALREADY-LOGGED-IN": "already logged in",
  "INVALID-PASSWORD": "invalid password",
  "ALREADY-SET-PASSWORD": "password already set on this connection",
  "INVALID-USERNAME": "invalid username",
  "ALREADY-SET-USERNAME": "username already set on this connection",
  "USERNAME-REQUIRED": "a username is required: set the NUT username and password",
  "PASSWORD-REQUIRED": "a password is required: set the NUT password",
  "UNKNOWN-COMMAND": "command not known to this NUT server",
  "INVALID-VALUE": "invalid value",
  "VAR-UNKNOWN": "unknown variable",
  "UNKNOWN-TYPE": "unknown type",
  "UNKNOWN-INSTCMD": "unknown instant command",
  "MISSING-ARGUMENT": "missing argument",
  TIMEOUT: "no answer from the NUT server in time",
  "CONNECTION-REFUSED": "server down: connection refused",
  "CONNECTION-CLOSED": "the NUT server closed the connection",
  "HOST-NOT-FOUND": "host not found",
  NETWORK: "network error",
  PROTOCOL: "the server broke the NUT protocol",
  "TLS-UNAVAILABLE": "the NUT server does not offer TLS (STARTTLS), which this connection requires",
  TLS: "TLS failed",
  "BAD-REQUEST": "invalid request",
  "CLIENT-CLOSED": "the client was closed",
  "UNKNOWN-ERROR": "the NUT server answered with an error this client does not know",
};

export class NutError extends Error {
  override readonly name = "NutError";

  constructor(
    readonly code: NutErrorCode,
    detail?: string,
  ) {
    super(detail ? `${REASONS[code]} (${detail})` : REASONS[code]);
  }

  /** True where upsd itself answered `ERR` (the connection is still good). */
  get fromServer(): boolean {
    return SERVER_CODES.has(this.code);
  }

  /** The short reason, without detail, for a node status. */
  get reason(): string {
    return REASONS[this.code];
  }
}

/** Maps an `ERR <CODE> [extra]` line's code to a typed error. */
export function serverError(code: string, extra?: string): NutError {
  if (SERVER_CODES.has(code)) return new NutError(code as NutServerErrorCode, extra);
  return new NutError("UNKNOWN-ERROR", code);
}

/** Maps a socket error to a typed error. */
export function socketError(err: NodeJS.ErrnoException): NutError {
  switch (err.code) {
    case "ECONNREFUSED":
      return new NutError("CONNECTION-REFUSED", err.message);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new NutError("HOST-NOT-FOUND", err.message);
    case "ECONNRESET":
    case "EPIPE":
      return new NutError("CONNECTION-CLOSED", err.code);
    default:
      if (err.code?.startsWith("ERR_TLS") || err.code?.includes("CERT") || err.code?.startsWith("ERR_SSL")) {
        return new NutError("TLS", err.message);
      }
      return new NutError("NETWORK", err.code ?? err.message);
  }
}
