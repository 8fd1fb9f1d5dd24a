/** Alert delivery: the dispatcher, its outbox, the one HTTP client, the message and provider formats. */
export { AlertDispatcher, alertsOn, redact, retryAfterMs } from "./dispatcher";
export type {
  AlertDispatcherOptions,
  DeliveryResult,
  DispatcherLogEntry,
  EventOutcome,
  RetryPolicy,
  SkipReason,
  Sleep,
  TestOutcome,
} from "./dispatcher";
export { AlertHttpError, HttpClient, assertHttpsUrl } from "./http-client";
export type { AlertHttpErrorCode, HttpClientOptions, HttpRequest, HttpResponse, SendOptions } from "./http-client";
export { messageFromEvent, messageFromText, testMessage } from "./message";
export type { AlertMessage, AlertStatus, AlertType, TextMessageInput } from "./message";
export { FileAlertOutbox, MemoryAlertOutbox } from "./outbox";
export type { AlertOutbox, DispatcherMemory, OutboxEntry } from "./outbox";
export { DEFAULT_ENDPOINTS, buildProviderRequest, webhookPayload } from "./providers";
export type { ProviderEndpoints, WebhookPayload } from "./providers";
