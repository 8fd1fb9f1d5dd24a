/**
 * Pushover: `POST https://api.pushover.net/1/messages.json` with `{token, user, title, message, priority,
 * timestamp}`. Critical alerts go at high priority (1); emergency priority 2 would need `retry` and `expire` and
 * an acknowledgement, which is the user's choice in Pushover, not ours.
 */
import type { Severity } from "../../model/power-event";
import { truncate } from "../message";
import type { ProviderFormat } from "./types";
import { appendPath, jsonRequest, parseJsonBody } from "./types";

const PRIORITY: Record<Severity, number> = { info: 0, warning: 0, critical: 1 };

export const pushover: ProviderFormat<"pushover"> = {
  build: (provider, message, context) =>
    jsonRequest(appendPath(context.endpoints.pushover, "1/messages.json"), {
      token: provider.token,
      user: provider.user,
      title: truncate(message.title, 250),
      message: truncate(message.text, 1024),
      priority: message.status === "resolved" ? 0 : PRIORITY[message.severity],
      timestamp: Math.floor(Date.parse(message.timestamp) / 1000),
    }),
  refusal: (response) => {
    const answer = parseJsonBody(response) as { status?: unknown; errors?: unknown } | undefined;
    if (answer?.status === 1) return null;
    const errors = Array.isArray(answer?.errors) ? `: ${answer.errors.map(String).join("; ")}` : "";
    return `Pushover did not confirm the message${errors}`;
  },
};
