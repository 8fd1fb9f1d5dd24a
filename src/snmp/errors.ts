/**
 * Typed SNMP errors. net-snmp reports failures as a handful of error classes with numeric codes and free text;
 * callers here branch on `code`, and people read `reason`, which says what to check.
 */
import {
  ErrorStatus,
  RequestFailedError,
  RequestTimedOutError,
  ResponseInvalidCode,
  ResponseInvalidError,
} from "net-snmp";

export const SNMP_ERROR_CODES = [
  "TIMEOUT",
  "AUTH",
  "UNKNOWN-USER",
  "SECURITY-LEVEL",
  "PRIVACY",
  "HOST-NOT-FOUND",
  "NETWORK",
  "AGENT-ERROR",
  "NO-SUCH-NAME",
  "TOO-BIG",
  "WRONG-TYPE",
  "BAD-RESPONSE",
  "CLOSED",
  "UNKNOWN-ERROR",
] as const;

export type SnmpErrorCode = (typeof SNMP_ERROR_CODES)[number];

const REASONS: Record<SnmpErrorCode, string> = {
  // SNMP agents drop a request with a wrong community, an unknown v3 user or a wrong privacy key without a word,
  // so these look exactly like an agent that is down: the message has to name all of them.
  TIMEOUT:
    "no answer from the SNMP agent: it is down or unreachable, or the community, v3 user name or privacy key " +
    "is wrong (agents ignore those silently, so they all look alike)",
  AUTH: "SNMPv3 authentication failed: wrong authentication key or protocol",
  "UNKNOWN-USER": "SNMPv3 user unknown to the agent",
  "SECURITY-LEVEL": "SNMPv3 security level not supported for this user by the agent",
  PRIVACY: "SNMPv3 decryption failed: wrong privacy key or protocol (for AES-256, try the other variant)",
  "HOST-NOT-FOUND": "host not found",
  NETWORK: "network error",
  "AGENT-ERROR": "the SNMP agent answered with an error",
  "NO-SUCH-NAME": "the agent does not have this OID",
  "TOO-BIG": "the answer does not fit in one SNMP message",
  "WRONG-TYPE": "the agent sent a value of the wrong type",
  "BAD-RESPONSE": "the agent sent an answer that does not match the request",
  CLOSED: "the SNMP session was closed",
  "UNKNOWN-ERROR": "unexpected SNMP error",
};

export class SnmpError extends Error {
  override readonly name = "SnmpError";

  constructor(
    readonly code: SnmpErrorCode,
    readonly detail?: string,
    /** For AGENT-ERROR, NO-SUCH-NAME and TOO-BIG: the OID the agent named, if it named one. */
    readonly oid?: string,
  ) {
    super(detail ? `${REASONS[code]} (${detail})` : REASONS[code]);
  }

  /** The short reason, without detail, for a node status. */
  get reason(): string {
    return REASONS[this.code];
  }
}

/** Maps whatever net-snmp (or the socket under it) reported to a typed error. */
export function fromNetSnmp(error: unknown): SnmpError {
  if (error instanceof SnmpError) return error;
  if (error instanceof RequestTimedOutError) return new SnmpError("TIMEOUT");
  if (error instanceof RequestFailedError) return agentError(error);
  if (error instanceof ResponseInvalidError) return invalidResponse(error);
  const errno = error as (NodeJS.ErrnoException & { hostname?: string }) | null | undefined;
  if (errno?.code === "ENOTFOUND" || errno?.code === "EAI_AGAIN" || errno?.code === "EAI_NONAME") {
    return new SnmpError("HOST-NOT-FOUND", errno.hostname ?? errno.message);
  }
  if (typeof errno?.code === "string" && errno.code.startsWith("E")) return new SnmpError("NETWORK", errno.code);
  const message = error instanceof Error ? error.message : String(error);
  if (/forcibly closed|not running/i.test(message)) return new SnmpError("CLOSED");
  return new SnmpError("UNKNOWN-ERROR", message);
}

/** An error-status in the agent's response; net-snmp puts the OID it named in the message ("NoSuchName: 1.3..."). */
function agentError(error: RequestFailedError): SnmpError {
  const oid = /:\s*([0-9.]+)\s*$/.exec(error.message)?.[1];
  const status = ErrorStatus[error.status] ?? String(error.status);
  if (error.status === ErrorStatus.NoSuchName) return new SnmpError("NO-SUCH-NAME", oid, oid);
  if (error.status === ErrorStatus.TooBig) return new SnmpError("TOO-BIG", undefined, oid);
  return new SnmpError("AGENT-ERROR", oid ? `${status} for ${oid}` : status, oid);
}

/** net-snmp turns usmStats reports into ResponseInvalidError code 5 with the counter's name as message. */
function invalidResponse(error: ResponseInvalidError): SnmpError {
  if (error.code === ResponseInvalidCode.ECouldNotDecrypt) return new SnmpError("PRIVACY");
  if (error.code !== ResponseInvalidCode.EAuthFailure) return new SnmpError("BAD-RESPONSE", error.message);
  if (/unknown user/i.test(error.message)) return new SnmpError("UNKNOWN-USER");
  if (/security level/i.test(error.message)) return new SnmpError("SECURITY-LEVEL");
  if (/decryption/i.test(error.message)) return new SnmpError("PRIVACY");
  return new SnmpError("AUTH");
}
