/**
 * Home Assistant: the webhook trigger URL (`https://ha.example/api/webhook/<id>`), POSTed the generic webhook's
 * stable payload, which an automation reads as `trigger.json` (`trigger.json.data.title`, `trigger.json.status`).
 */
import type { ProviderFormat } from "./types";
import { webhookRequest } from "./webhook";

export const homeassistant: ProviderFormat<"homeassistant"> = {
  build: (provider, message, context) => webhookRequest(provider.url, message, context, undefined),
};
