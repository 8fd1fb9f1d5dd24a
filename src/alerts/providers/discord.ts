/**
 * Discord: `POST <webhook url>?wait=true` (so a refusal comes back as an error, not a silent 204) with an embed;
 * `allowed_mentions: {parse: []}` so a device named `@everyone` pings nobody, markdown escaped.
 */
import type { Severity } from "../../model/power-event";
import type { AlertMessage } from "../message";
import { escapeDiscord, truncate } from "../message";
import type { ProviderFormat } from "./types";
import { jsonRequest } from "./types";

const COLORS: Record<Severity | "resolved", number> = {
  info: 0x3498db,
  warning: 0xf39c12,
  critical: 0xe74c3c,
  resolved: 0x2ecc71,
};

function fields(message: AlertMessage): Array<{ name: string; value: string; inline: boolean }> {
  const list = [
    { name: "Event", value: message.type, inline: true },
    { name: "Severity", value: message.status === "resolved" ? "resolved" : message.severity, inline: true },
  ];
  if (message.device)
    list.unshift({ name: "Device", value: truncate(escapeDiscord(message.device.name), 1024), inline: true });
  return list;
}

export function discordUrl(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("wait", "true");
  return parsed.toString();
}

export const discord: ProviderFormat<"discord"> = {
  build: (provider, message) =>
    jsonRequest(discordUrl(provider.url), {
      username: "Argus",
      embeds: [
        {
          title: truncate(escapeDiscord(message.title), 256),
          description: truncate(escapeDiscord(message.text), 4096),
          color: COLORS[message.status === "resolved" ? "resolved" : message.severity],
          timestamp: message.timestamp,
          fields: fields(message),
        },
      ],
      allowed_mentions: { parse: [] },
    }),
};
