/**
 * Standard Webhooks signing (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<webhook-id>.<webhook-timestamp>.<body>">`. A secret with the `whsec_` prefix carries its key in base64 after
 * the prefix (the form the standard's libraries generate); any other secret is used as its UTF-8 bytes.
 */
import { createHmac } from "node:crypto";

const PREFIX = "whsec_";

/** The HMAC key a secret stands for. */
export function webhookSigningKey(secret: string): Buffer {
  return secret.startsWith(PREFIX) ? Buffer.from(secret.slice(PREFIX.length), "base64") : Buffer.from(secret, "utf8");
}

/** `v1,<base64 signature>` for one message. `timestampS` is Unix seconds, as sent in `webhook-timestamp`. */
export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac("sha256", webhookSigningKey(secret)).update(`${id}.${timestampS}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The three headers of a signed message. */
export function webhookSignatureHeaders(
  secret: string,
  id: string,
  timestampS: number,
  body: string,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampS),
    "webhook-signature": signWebhook(secret, id, timestampS, body),
  };
}
