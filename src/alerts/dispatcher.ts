/**
 * Alert dispatch: which events alert, at most one alert per device and event type per cooldown, a recovery only
 * for a problem that was alerted (with its own cooldown), every enabled provider in parallel with retries
 * (network errors, 5xx, 429 honouring Retry-After; never other 4xx), an honest result per provider, and an
 * outbox so an alert pending at a restart is delivered once after it.
 *
 * The configuration is passed with every call (the server's changes with PUT /api/alerts, a node has its own);
 * the dispatcher keeps the cooldown memory, the outbox and the HTTP client. No Node-RED in here.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { AlertConfig, AlertProvider } from "../model/alert-config";
import type { EventType, PowerEvent } from "../model/power-event";
import { AlertHttpError, HttpClient } from "./http-client";
import type { HttpResponse } from "./http-client";
import type { AlertMessage, TextMessageInput } from "./message";
import { RECOVERS, isRecovery, messageFromEvent, messageFromText, testMessage } from "./message";
import type { AlertOutbox, DispatcherMemory, OutboxEntry } from "./outbox";
import { MemoryAlertOutbox } from "./outbox";
import { DEFAULT_ENDPOINTS, buildProviderRequest, providerRefusal, providerSecrets } from "./providers";
import type { ProviderEndpoints } from "./providers";

/** One provider's answer to one alert: the shape of `POST /api/alerts/test` results. */
export interface DeliveryResult {
  /** The provider's name. */
  provider: string;
  ok: boolean;
  /** The HTTP status of the last attempt, null when none came back. */
  status_code: number | null;
  /** Why it failed, with the provider's answer (bounded, secrets removed); null on success. */
  error: string | null;
}

export type SkipReason =
  /** The configuration does not alert on this type (`alert_on_battery` off, say). */
  | "DISABLED"
  /** This device already alerted this type within `cooldown_seconds`. */
  | "COOLDOWN"
  /** This device already sent this recovery within `recovery_cooldown_seconds`. */
  | "RECOVERY_COOLDOWN"
  /** A recovery of a problem that never alerted (or already recovered). */
  | "NOTHING_TO_RECOVER"
  | "NO_PROVIDER"
  /** This event was handed over before. */
  | "DUPLICATE";

export type EventOutcome =
  | { event_id: string; alerted: false; reason: SkipReason; message: string }
  | { event_id: string; alerted: true; results: DeliveryResult[] };

/** What `POST /api/alerts/test` answers: `sent` is 200, `cooldown` 429 (Retry-After), `no_provider` 409. */
export type TestOutcome =
  | { outcome: "sent"; status: "ok" | "partial" | "failed"; results: DeliveryResult[] }
  | { outcome: "cooldown"; retry_after_s: number; message: string }
  | { outcome: "no_provider"; message: string };

export interface RetryPolicy {
  /** Attempts per provider, the first included (default 4). */
  attempts: number;
  /** Backoff before the second attempt, doubled each time (default 1 s). */
  baseDelayMs: number;
  /** Backoff cap (default 30 s). */
  maxDelayMs: number;
  /** Retry-After is honoured up to this (default 60 s). */
  maxRetryAfterMs: number;
}

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface DispatcherLogEntry {
  level: "info" | "warn";
  /** Names providers, never their URLs. */
  message: string;
}

export interface AlertDispatcherOptions {
  /** Default: in memory (nothing survives a restart). The server passes a FileAlertOutbox in its store dir. */
  outbox?: AlertOutbox;
  /** Default: one of its own, closed with the dispatcher. */
  client?: HttpClient;
  /** Per attempt, when the dispatcher makes its client (default 10 s). */
  timeoutMs?: number;
  /** Epoch ms (default Date.now). */
  now?: () => number;
  /** Waits between attempts; rejects when the signal aborts (default: a timer). */
  sleep?: Sleep;
  retry?: Partial<RetryPolicy>;
  /** Between two test sends (default 60 s). */
  testCooldownMs?: number;
  /** Outbox entries older than this are dropped at resume, not sent (default 24 h). */
  outboxMaxAgeMs?: number;
  /** The display name of a device, for titles. */
  deviceName?: (deviceId: string) => string | undefined;
  /** Fixed API bases (Telegram, Pushover): for tests only, never from configuration. */
  endpoints?: Partial<ProviderEndpoints>;
  log?: (entry: DispatcherLogEntry) => void;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };
const MAX_ERROR_ANSWER = 512;
const MAX_RECENT_IDS = 256;
const MAX_COOLDOWN_MS = 86_400_000;

const PROBLEM_RULES: Partial<Record<EventType, keyof AlertConfig | "always">> = {
  ONBATT: "alert_on_battery",
  LOWBATT: "alert_on_battery_low",
  CHARGE_LOW: "alert_on_battery_low",
  RUNTIME_LOW: "alert_on_battery_low",
  FSD: "alert_on_battery_low",
  COMMBAD: "alert_on_device_offline",
  REPLBATT: "always",
  OVER: "always",
  BYPASS: "always",
};

/** Whether the configuration alerts on this kind of event at all (cooldowns aside). */
export function alertsOn(config: AlertConfig, event: Pick<PowerEvent, "type" | "recovery_of">): boolean {
  if (isRecovery(event)) return config.alert_recovery_notifications;
  const rule = PROBLEM_RULES[event.type];
  if (rule === undefined) return false;
  return rule === "always" || config[rule] === true;
}

const key = (deviceId: string, type: string): string => `${deviceId}\u0000${type}`;

const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });

/** Retry-After as ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** Replaces every secret in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret) clean = clean.split(secret).join("[redacted]");
  return clean;
}

function answerText(response: HttpResponse): string {
  const text = response.body.replace(/\s+/g, " ").trim();
  if (!text) return "";
  const cut = text.length > MAX_ERROR_ANSWER ? `${text.slice(0, MAX_ERROR_ANSWER)}…` : text;
  return `: ${cut}`;
}

class Cancelled extends Error {
  override readonly name = "Cancelled";
}

interface Attempted {
  result: DeliveryResult;
  /** True when the dispatcher closed before a final answer: the provider stays owed in the outbox. */
  cancelled: boolean;
}

export class AlertDispatcher {
  private readonly outbox: AlertOutbox;
  private readonly client: HttpClient;
  private readonly ownsClient: boolean;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly retry: RetryPolicy;
  private readonly testCooldownMs: number;
  private readonly outboxMaxAgeMs: number;
  private readonly endpoints: ProviderEndpoints;
  private readonly abort = new AbortController();
  private readonly inFlight = new Map<string, Promise<DeliveryResult[]>>();
  private memory: DispatcherMemory = { last_sent: {}, open: [], recent_ids: [] };
  private ready: Promise<void> | null = null;
  private lastTestAt: number | null = null;
  private closed = false;

  constructor(private readonly options: AlertDispatcherOptions = {}) {
    this.outbox = options.outbox ?? new MemoryAlertOutbox();
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? new HttpClient({ timeoutMs: options.timeoutMs });
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.testCooldownMs = options.testCooldownMs ?? 60_000;
    this.outboxMaxAgeMs = options.outboxMaxAgeMs ?? 86_400_000;
    this.endpoints = { ...DEFAULT_ENDPOINTS, ...options.endpoints };
  }

  /**
   * Alerts on `event` if the configuration says so and no cooldown holds it back; resolves when every provider
   * has its final answer (retries included, so possibly a minute: do not await it in a poll loop).
   */
  async handleEvent(config: AlertConfig, event: PowerEvent): Promise<EventOutcome> {
    await this.init();
    const skip = (reason: SkipReason, message: string): EventOutcome => ({
      event_id: event.id,
      alerted: false,
      reason,
      message,
    });
    if (this.inFlight.has(event.id) || this.memory.recent_ids.includes(event.id)) {
      return skip("DUPLICATE", "this event was already handed over");
    }
    const now = this.now();
    const recovery = isRecovery(event);
    if (recovery) {
      // A recovery closes its problems whether or not it is sent, so a later recovery never reports them again.
      const problems = (RECOVERS[event.type] ?? []).map((type) => key(event.device_id, type));
      const wasOpen = this.memory.open.some((open) => problems.includes(open));
      if (wasOpen) {
        this.memory.open = this.memory.open.filter((open) => !problems.includes(open));
        await this.saveMemory();
      }
      if (!alertsOn(config, event)) return skip("DISABLED", "recovery notifications are off");
      if (!wasOpen) return skip("NOTHING_TO_RECOVER", `no alerted problem for ${event.type} to end`);
      if (this.inCooldown(event, now, config.recovery_cooldown_seconds)) {
        return skip(
          "RECOVERY_COOLDOWN",
          `this device sent a ${event.type} recovery less than recovery_cooldown_seconds ago`,
        );
      }
    } else {
      if (!alertsOn(config, event)) return skip("DISABLED", `the alert configuration does not alert on ${event.type}`);
      if (this.inCooldown(event, now, config.cooldown_seconds)) {
        return skip("COOLDOWN", `this device alerted ${event.type} less than cooldown_seconds ago`);
      }
    }
    const providers = config.providers.filter((provider) => provider.enabled);
    if (providers.length === 0) return skip("NO_PROVIDER", "no alert provider is enabled");

    this.memory.last_sent[key(event.device_id, event.type)] = now;
    if (!recovery && !this.memory.open.includes(key(event.device_id, event.type))) {
      this.memory.open.push(key(event.device_id, event.type));
    }
    this.memory.recent_ids = [...this.memory.recent_ids, event.id].slice(-MAX_RECENT_IDS);
    this.pruneMemory(now);
    await this.saveMemory();

    const message = messageFromEvent(event, { deviceName: this.options.deviceName?.(event.device_id) });
    const results = await this.dispatch(config, message, providers);
    return { event_id: event.id, alerted: true, results };
  }

  /** Sends a plain `{title, message}` to every enabled provider (or the one named): no cooldown, outbox kept. */
  async sendMessage(config: AlertConfig, input: TextMessageInput, providerName?: string): Promise<DeliveryResult[]> {
    await this.init();
    const providers = this.select(config, providerName);
    if (providers.length === 0) return [];
    return this.dispatch(config, messageFromText(input, new Date(this.now())), providers);
  }

  /**
   * `POST /api/alerts/test`: one attempt to every enabled provider (or the one named, by name or else by type),
   * at most once per test cooldown, so the endpoint cannot be used to spam a third party.
   */
  async sendTest(config: AlertConfig, providerName?: string): Promise<TestOutcome> {
    await this.init();
    const providers = this.select(config, providerName);
    if (providers.length === 0) {
      const message =
        providerName === undefined
          ? "no alert provider is enabled"
          : `no enabled alert provider is named ${JSON.stringify(providerName)}`;
      return { outcome: "no_provider", message };
    }
    const now = this.now();
    if (this.lastTestAt !== null && now - this.lastTestAt < this.testCooldownMs) {
      const retryAfterS = Math.max(1, Math.ceil((this.lastTestAt + this.testCooldownMs - now) / 1000));
      return {
        outcome: "cooldown",
        retry_after_s: retryAfterS,
        message: `a test alert was sent less than ${Math.round(this.testCooldownMs / 1000)} s ago`,
      };
    }
    this.lastTestAt = now;
    const message = testMessage(new Date(now));
    const attempts = await Promise.all(providers.map((provider) => this.deliver(config, provider, message, 1)));
    const results = attempts.map((attempt) => attempt.result);
    const delivered = results.filter((result) => result.ok).length;
    const status = delivered === results.length ? "ok" : delivered === 0 ? "failed" : "partial";
    return { outcome: "sent", status, results };
  }

  /**
   * Delivers what the outbox still owes (after a restart): each entry to the providers it names that are still
   * configured and enabled. Entries older than `outboxMaxAgeMs` are dropped.
   */
  async resume(config: AlertConfig): Promise<Array<{ id: string; results: DeliveryResult[] }>> {
    await this.init();
    const done: Array<{ id: string; results: DeliveryResult[] }> = [];
    for (const entry of await this.outbox.pending()) {
      if (this.inFlight.has(entry.id)) continue;
      const age = this.now() - Date.parse(entry.created_at);
      if (!(age <= this.outboxMaxAgeMs)) {
        this.log("warn", `dropped alert ${entry.id} from the outbox: older than ${this.outboxMaxAgeMs} ms`);
        await this.outbox.done(entry.id);
        continue;
      }
      const providers = config.providers.filter(
        (provider) => provider.enabled && entry.providers.includes(provider.name),
      );
      if (providers.length === 0) {
        await this.outbox.done(entry.id);
        continue;
      }
      done.push({ id: entry.id, results: await this.dispatch(config, entry.message, providers, entry) });
    }
    return done;
  }

  /** Cancels deliveries in progress (they stay in the outbox for the next start) and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()]);
    if (this.ownsClient) await this.client.close();
  }

  // -------------------------------------------------------------------------------------------------------------

  private init(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the alert dispatcher is closed"));
    this.ready ??= (async () => {
      try {
        const saved = await this.outbox.loadState?.();
        if (saved) this.memory = saved;
      } catch (error) {
        // Alerts still go out; only the memory of earlier ones (cooldowns, open problems) is lost.
        this.log("warn", `could not read the alert cooldown state: ${(error as Error).message}`);
      }
    })();
    return this.ready;
  }

  private select(config: AlertConfig, name: string | undefined): AlertProvider[] {
    const enabled = config.providers.filter((provider) => provider.enabled);
    if (name === undefined) return enabled;
    const byName = enabled.filter((provider) => provider.name === name);
    return byName.length > 0 ? byName : enabled.filter((provider) => provider.type === name);
  }

  private inCooldown(event: PowerEvent, now: number, seconds: number): boolean {
    const last = this.memory.last_sent[key(event.device_id, event.type)];
    return last !== undefined && now - last < seconds * 1000 && now >= last;
  }

  private pruneMemory(now: number): void {
    const fresh = Object.entries(this.memory.last_sent).filter(([, at]) => now - at <= MAX_COOLDOWN_MS);
    this.memory.last_sent = Object.fromEntries(fresh);
  }

  private async saveMemory(): Promise<void> {
    try {
      await this.outbox.saveState?.(this.memory);
    } catch (error) {
      this.log("warn", `could not save the alert cooldown state: ${(error as Error).message}`);
    }
  }

  /** Outbox first, then every provider in parallel; each success is written off the entry at once. */
  private async dispatch(
    config: AlertConfig,
    message: AlertMessage,
    providers: AlertProvider[],
    existing?: OutboxEntry,
  ): Promise<DeliveryResult[]> {
    const entry: OutboxEntry = existing ?? {
      id: message.id,
      created_at: new Date(this.now()).toISOString(),
      message,
      providers: providers.map((provider) => provider.name),
    };
    const owed = new Set(providers.map((provider) => provider.name));
    const run = (async (): Promise<DeliveryResult[]> => {
      try {
        await this.outbox.put({ ...entry, providers: [...owed] });
      } catch (error) {
        // Still deliver: losing restart safety is better than losing the alert.
        this.log("warn", `could not write alert ${entry.id} to the outbox: ${(error as Error).message}`);
      }
      let cancelled = false;
      const results = await Promise.all(
        providers.map(async (provider) => {
          const attempt = await this.deliver(config, provider, message, this.retry.attempts);
          if (attempt.cancelled) {
            cancelled = true;
            return attempt.result;
          }
          owed.delete(provider.name);
          await this.outbox.put({ ...entry, providers: [...owed] }).catch(() => undefined);
          return attempt.result;
        }),
      );
      if (!cancelled) await this.outbox.done(entry.id).catch(() => undefined);
      return results;
    })();
    this.inFlight.set(entry.id, run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(entry.id);
    }
  }

  /** One provider, up to `attempts` tries. Never throws. */
  private async deliver(
    config: AlertConfig,
    provider: AlertProvider,
    message: AlertMessage,
    attempts: number,
  ): Promise<Attempted> {
    // Every provider's secrets, not only this one's: a shared reverse proxy may echo any of them.
    const secrets = config.providers.flatMap(providerSecrets).sort((a, b) => b.length - a.length);
    const fail = (status: number | null, error: string, cancelled = false): Attempted => ({
      result: { provider: provider.name, ok: false, status_code: status, error: redact(error, secrets) },
      cancelled,
    });
    let last: Attempted = fail(null, "not attempted");
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let waitMs = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      let retryable: boolean;
      try {
        if (this.abort.signal.aborted) throw new Cancelled();
        const request = buildProviderRequest(provider, message, {
          now: new Date(this.now()),
          endpoints: this.endpoints,
        });
        const response = await this.client.send(request, {
          ca: provider.ca,
          blockPrivateTargets: config.block_private_targets,
          allow: config.allowed_private_targets,
          signal: this.abort.signal,
        });
        if (response.status >= 200 && response.status < 300) {
          const refusal = providerRefusal(provider, response);
          if (refusal === null) {
            if (attempt > 1)
              this.log("info", `alert ${message.id} delivered to ${provider.name} on attempt ${attempt}`);
            return {
              result: { provider: provider.name, ok: true, status_code: response.status, error: null },
              cancelled: false,
            };
          }
          last = fail(response.status, refusal);
          retryable = false;
        } else {
          last = fail(response.status, `HTTP ${response.status}${answerText(response)}`);
          retryable = response.status >= 500 || response.status === 429 || response.status === 408;
          const hinted = retryAfterMs(response.headers["retry-after"], this.now());
          if (hinted !== null && (response.status === 429 || response.status === 503)) {
            waitMs = Math.min(hinted, this.retry.maxRetryAfterMs);
          }
        }
      } catch (error) {
        if (error instanceof Cancelled || (error instanceof AlertHttpError && error.code === "ABORTED")) {
          return fail(null, "cancelled: the alert dispatcher closed; the alert stays in the outbox", true);
        }
        if (error instanceof AlertHttpError) {
          last = fail(error.statusCode, error.message);
          retryable = error.retryable;
        } else {
          last = fail(null, `could not build the request: ${(error as Error).message}`);
          retryable = false;
        }
      }
      if (!retryable || attempt === attempts) break;
      try {
        await this.sleep(waitMs, this.abort.signal);
      } catch {
        return fail(null, "cancelled: the alert dispatcher closed; the alert stays in the outbox", true);
      }
    }
    this.log("warn", `alert ${message.id} to ${provider.name} failed: ${last.result.error ?? ""}`);
    return last;
  }

  private log(level: DispatcherLogEntry["level"], message: string): void {
    this.options.log?.({ level, message });
  }
}
