/**
 * Generic webhook: a stable JSON payload `{id, type, status, timestamp, device, data}`, and with a secret the
 * Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`).
 * The id is the alert's (the event id), the same on every retry, so receivers can deduplicate.
 */
import type { HttpRequest } from "../http-client";
import type { AlertData, AlertDevice, AlertMessage, AlertStatus, AlertType } from "../message";
import { webhookSignatureHeaders } from "../signing";
import type { BuildContext, ProviderFormat } from "./types";

export interface WebhookPayload {
  id: string;
  type: AlertType;
  status: AlertStatus;
  timestamp: string;
  device: AlertDevice | null;
  data: AlertData;
}

export function webhookPayload(message: AlertMessage): WebhookPayload {
  return {
    id: message.id,
    type: message.type,
    status: message.status,
    timestamp: message.timestamp,
    device: message.device,
    data: message.data,
  };
}

/** The payload as a POST to `url`, signed when there is a secret. */
export function webhookRequest(
  url: string,
  message: AlertMessage,
  context: BuildContext,
  secret: string | undefined,
): HttpRequest {
  const body = JSON.stringify(webhookPayload(message));
  const timestampS = Math.floor(context.now.getTime() / 1000);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret) Object.assign(headers, webhookSignatureHeaders(secret, message.id, timestampS, body));
  return { url, headers, body };
}

export const webhook: ProviderFormat<"webhook"> = {
  build: (provider, message, context) => webhookRequest(provider.url, message, context, provider.secret),
};
