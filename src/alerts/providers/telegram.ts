/**
 * Telegram Bot API: `POST https://api.telegram.org/bot<token>/sendMessage` with `{chat_id, text,
 * disable_notification}`, plain text (no parse_mode, so no markup to escape), `@name` mentions disarmed. The
 * token is in the path: this URL must never be logged. The API base is fixed; only code (tests) can change it.
 */
import { neutralizeAtMentions, truncate } from "../message";
import type { ProviderFormat } from "./types";
import { appendPath, jsonRequest, parseJsonBody } from "./types";

const MAX_TEXT = 4096;

export const telegram: ProviderFormat<"telegram"> = {
  build: (provider, message, context) =>
    jsonRequest(appendPath(context.endpoints.telegram, `bot${provider.token}/sendMessage`), {
      chat_id: provider.chat_id,
      text: truncate(neutralizeAtMentions(`${message.title}\n\n${message.text}`), MAX_TEXT),
      disable_notification: false,
    }),
  refusal: (response) => {
    const answer = parseJsonBody(response) as { ok?: unknown; description?: unknown } | undefined;
    if (answer?.ok === true) return null;
    return `Telegram did not confirm the message${typeof answer?.description === "string" ? `: ${answer.description}` : ""}`;
  },
};
