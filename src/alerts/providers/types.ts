/** What every provider format shares: the request it builds, the context it builds it in. */
import type { AlertProvider } from "../../model/alert-config";
import type { HttpRequest, HttpResponse } from "../http-client";
import type { AlertMessage } from "../message";

export type ProviderType = AlertProvider["type"];
export type ProviderOf<T extends ProviderType> = Extract<AlertProvider, { type: T }>;

/** The fixed API bases of the providers that have one. Overridable only in code (tests), never in configuration. */
export interface ProviderEndpoints {
  telegram: string;
  pushover: string;
}

export const DEFAULT_ENDPOINTS: Readonly<ProviderEndpoints> = Object.freeze({
  telegram: "https://api.telegram.org",
  pushover: "https://api.pushover.net",
});

export interface BuildContext {
  /** The time of this attempt (the webhook signature's timestamp). */
  now: Date;
  endpoints: ProviderEndpoints;
}

export interface ProviderFormat<T extends ProviderType> {
  build(provider: ProviderOf<T>, message: AlertMessage, context: BuildContext): HttpRequest;
  /** A refusal that a provider reports inside a 2xx answer, or null when it accepted the message. */
  refusal?(response: HttpResponse): string | null;
}

/** `base` with `suffix` appended to its path (one slash between them), query kept. */
export function appendPath(base: string, suffix: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${suffix.replace(/^\/+/, "")}`;
  return url.toString();
}

export function jsonRequest(url: string, body: unknown, headers: Record<string, string> = {}): HttpRequest {
  return { url, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** Parses a JSON answer, or undefined. */
export function parseJsonBody(response: HttpResponse): unknown {
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    return undefined;
  }
}
