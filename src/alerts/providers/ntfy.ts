/**
 * ntfy: JSON publishing, `POST {server}/` with `{topic, title, message, priority, tags}` (header publishing cannot
 * carry non-Latin-1 titles through undici). A token `tk_...` is sent as Bearer; `user:password` as Basic.
 */
import type { Severity } from "../../model/power-event";
import type { AlertMessage } from "../message";
import { truncate } from "../message";
import type { ProviderFormat } from "./types";
import { appendPath, jsonRequest } from "./types";

/** ntfy turns messages over 4,096 bytes into attachments; stay well under. */
const MAX_MESSAGE = 3000;

const PRIORITY: Record<Severity, number> = { info: 3, warning: 4, critical: 5 };

function tags(message: AlertMessage): string[] {
  const emoji =
    message.status === "resolved"
      ? "white_check_mark"
      : message.severity === "info"
        ? "information_source"
        : message.severity === "critical"
          ? "rotating_light"
          : "warning";
  return [emoji, "argus", message.type.toLowerCase()];
}

export const ntfy: ProviderFormat<"ntfy"> = {
  build: (provider, message) => {
    const headers: Record<string, string> = {};
    if (provider.token) {
      headers.authorization = provider.token.includes(":")
        ? `Basic ${Buffer.from(provider.token).toString("base64")}`
        : `Bearer ${provider.token}`;
    }
    return jsonRequest(
      appendPath(provider.url, ""),
      {
        topic: provider.topic,
        title: message.title,
        message: truncate(message.text, MAX_MESSAGE),
        priority: message.status === "resolved" ? 3 : PRIORITY[message.severity],
        tags: tags(message),
      },
      headers,
    );
  },
};
