/** Gotify: `POST {base}/message`, the application token in `X-Gotify-Key` (not in the URL, out of proxy logs). */
import type { ProviderFormat } from "./types";
import { appendPath, jsonRequest } from "./types";

export const gotify: ProviderFormat<"gotify"> = {
  build: (provider, message) =>
    jsonRequest(
      appendPath(provider.url, "message"),
      {
        title: message.title,
        message: message.text,
        priority: provider.priority,
        extras: { "client::display": { contentType: "text/plain" } },
      },
      { "x-gotify-key": provider.token },
    ),
};
