/**
 * The alert configuration of `GET/PUT /api/alerts`. Every URL must be https (the guide's rule), checked here at
 * configuration time and again before each send.
 */
import { z } from "zod";
import { parseAllowEntry } from "../alerts/ip-ranges";
import { pemCertificates } from "../alerts/pem";

export const HttpsUrl = z
  .url({ protocol: /^https$/, error: "must be an https:// URL", abort: true })
  .max(2048)
  .refine((url) => url.toLowerCase().startsWith("https://"), "must be an https:// URL");

const base = {
  enabled: z.boolean().default(true),
  name: z.string().trim().min(1).max(64),
  /** A PEM to trust for this provider (a private CA), beside Node's own. */
  ca: z
    .string()
    .max(65536)
    .refine(
      (pem) => pemCertificates(pem) !== null,
      "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)",
    )
    .optional(),
};

export const AlertProvider = z.discriminatedUnion("type", [
  z.strictObject({ ...base, type: z.literal("webhook"), url: HttpsUrl, secret: z.string().max(256).optional() }),
  z.strictObject({
    ...base,
    type: z.literal("gotify"),
    url: HttpsUrl,
    token: z.string().min(1).max(256),
    priority: z.number().int().min(0).max(10).default(8),
  }),
  z.strictObject({
    ...base,
    type: z.literal("ntfy"),
    url: HttpsUrl,
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/),
    token: z.string().max(256).optional(),
  }),
  z.strictObject({ ...base, type: z.literal("discord"), url: HttpsUrl }),
  z.strictObject({ ...base, type: z.literal("slack"), url: HttpsUrl }),
  z.strictObject({
    ...base,
    type: z.literal("telegram"),
    token: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/),
    chat_id: z.string().min(1).max(64),
  }),
  z.strictObject({
    ...base,
    type: z.literal("pushover"),
    token: z.string().min(1).max(64),
    user: z.string().min(1).max(64),
  }),
  z.strictObject({ ...base, type: z.literal("apprise"), url: HttpsUrl }),
  z.strictObject({ ...base, type: z.literal("homeassistant"), url: HttpsUrl }),
]);
export type AlertProvider = z.infer<typeof AlertProvider>;

const cooldown = z.number().int().min(60).max(86400);

/** An address, a CIDR range or a host name (`*.lan` for every name under it) let through `block_private_targets`. */
export const PrivateTargetAllowEntry = z
  .string()
  .trim()
  .max(253)
  .refine((entry) => parseAllowEntry(entry) !== null, "must be an IP address, a CIDR range or a host name");

export const AlertConfig = z
  .strictObject({
    providers: z.array(AlertProvider).max(32).default([]),
    failure_threshold: z.number().int().min(1).max(100).default(3),
    cooldown_seconds: cooldown.default(300),
    alert_on_battery: z.boolean().default(true),
    alert_on_battery_low: z.boolean().default(true),
    alert_on_device_offline: z.boolean().default(true),
    alert_recovery_notifications: z.boolean().default(true),
    recovery_cooldown_seconds: cooldown.default(60),
    on_battery_delay_s: z.number().int().min(0).max(3600).default(0),
    /** Refuse private, loopback and link-local alert targets (off: home users host Gotify and ntfy on their LAN). */
    block_private_targets: z.boolean().default(false),
    /** What `block_private_targets` still lets through: the LAN's Gotify, say (`192.168.1.20`, `gotify.lan`). */
    allowed_private_targets: z.array(PrivateTargetAllowEntry).max(64).default([]),
  })
  .superRefine((config, ctx) => {
    // Providers are named in test requests, results and the outbox: the name must say which one.
    const seen = new Set<string>();
    config.providers.forEach((provider, index) => {
      if (seen.has(provider.name)) {
        ctx.addIssue({ code: "custom", path: ["providers", index, "name"], message: "must be unique" });
      }
      seen.add(provider.name);
    });
  });
export type AlertConfig = z.infer<typeof AlertConfig>;
