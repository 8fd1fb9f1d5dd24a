/**
 * Slack incoming webhook: `{text, blocks}` (text is the notification fallback), `&`, `<`, `>` escaped everywhere
 * so `<!channel>` and `<@U123>` in a device name are shown, not acted on; the blocks are plain_text (no markup).
 * Slack answers `200 ok` as text.
 */
import { escapeSlack, truncate } from "../message";
import type { ProviderFormat } from "./types";
import { jsonRequest } from "./types";

export const slack: ProviderFormat<"slack"> = {
  build: (provider, message) => {
    const title = escapeSlack(truncate(message.title, 150));
    const text = escapeSlack(truncate(message.text, 2900));
    return jsonRequest(provider.url, {
      text: `${title}\n${text}`,
      blocks: [
        { type: "header", text: { type: "plain_text", text: title } },
        { type: "section", text: { type: "plain_text", text } },
      ],
    });
  },
};
