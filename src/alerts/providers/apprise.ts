/**
 * Apprise API: the configured URL is the full notify URL (`https://apprise.example/notify/<key>`, or `/notify/`
 * with its own `urls`), POSTed `{title, body, type, format: "text"}`. It answers 424 when some targets failed:
 * not 2xx, so reported as a failure.
 */
import type { Severity } from "../../model/power-event";
import type { ProviderFormat } from "./types";
import { jsonRequest } from "./types";

const TYPE: Record<Severity, "info" | "warning" | "failure"> = {
  info: "info",
  warning: "warning",
  critical: "failure",
};

export const apprise: ProviderFormat<"apprise"> = {
  build: (provider, message) =>
    jsonRequest(provider.url, {
      title: message.title,
      body: message.text,
      type: message.status === "resolved" ? "success" : TYPE[message.severity],
      format: "text",
    }),
};
