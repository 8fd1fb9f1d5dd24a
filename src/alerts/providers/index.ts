/** Every provider format by type: the request for a message, and a refusal hidden in a 2xx answer. */
import type { AlertProvider } from "../../model/alert-config";
import type { HttpRequest, HttpResponse } from "../http-client";
import type { AlertMessage } from "../message";
import { apprise } from "./apprise";
import { discord } from "./discord";
import { gotify } from "./gotify";
import { homeassistant } from "./homeassistant";
import { ntfy } from "./ntfy";
import { pushover } from "./pushover";
import { slack } from "./slack";
import { telegram } from "./telegram";
import type { BuildContext, ProviderFormat, ProviderType } from "./types";
import { webhook } from "./webhook";

export { DEFAULT_ENDPOINTS } from "./types";
export type { BuildContext, ProviderEndpoints, ProviderType } from "./types";
export { webhookPayload } from "./webhook";
export type { WebhookPayload } from "./webhook";

const FORMATS: { [T in ProviderType]: ProviderFormat<T> } = {
  webhook,
  gotify,
  ntfy,
  discord,
  slack,
  telegram,
  pushover,
  apprise,
  homeassistant,
};

function format(provider: AlertProvider): ProviderFormat<ProviderType> {
  return FORMATS[provider.type] as ProviderFormat<ProviderType>;
}

export function buildProviderRequest(
  provider: AlertProvider,
  message: AlertMessage,
  context: BuildContext,
): HttpRequest {
  return format(provider).build(provider as never, message, context);
}

/** Null when a 2xx answer means delivered; else why the provider did not take the message. */
export function providerRefusal(provider: AlertProvider, response: HttpResponse): string | null {
  return format(provider).refusal?.(response) ?? null;
}

/** Every secret a provider's settings carry, for redaction: tokens, signing secrets, and URL paths and queries
 * (Discord, Slack, Home Assistant and Apprise keep their secret in the URL). */
export function providerSecrets(provider: AlertProvider): string[] {
  const secrets: string[] = [];
  const add = (value: string | undefined): void => {
    if (value && value.length >= 4) secrets.push(value);
  };
  if ("token" in provider) add(provider.token);
  if ("secret" in provider) add(provider.secret);
  if (provider.type === "pushover") add(provider.user);
  if ("url" in provider) {
    try {
      const url = new URL(provider.url);
      add(url.username);
      add(url.password);
      add(url.pathname.length > 1 ? url.pathname : undefined);
      add(url.search.slice(1));
      for (const segment of url.pathname.split("/")) if (segment.length >= 8) add(segment);
      for (const value of url.searchParams.values()) if (value.length >= 8) add(value);
      add(provider.url);
    } catch {
      add(provider.url);
    }
  }
  return secrets.sort((a, b) => b.length - a.length);
}
