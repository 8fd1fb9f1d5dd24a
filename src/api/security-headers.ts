/**
 * The security headers of the Argus API (api.md, "Headers"), set on every response of ours, errors included:
 * they are applied first thing, before anything can fail.
 */
import type { ServerResponse } from "node:http";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  // API answers carry live state and sometimes rate-limit verdicts: no shared or browser cache may replay them.
  "Cache-Control": "no-store",
});

const PROTECTED_NAMES: ReadonlySet<string> = new Set(Object.keys(SECURITY_HEADERS).map((name) => name.toLowerCase()));

export function applySecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/** A route may add headers (Location, Retry-After) but never weaken one of these. */
export function isSecurityHeader(name: string): boolean {
  return PROTECTED_NAMES.has(name.toLowerCase());
}
