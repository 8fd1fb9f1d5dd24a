/**
 * The alert configuration of an `argus-alert` node that sends through its own provider: the editor's fields and
 * credentials as one AlertConfig, validated by the same schema as `PUT /api/alerts` (https only, 422-style issues).
 */
import { AlertConfig } from "../model/alert-config";
import { ConfigError } from "../model/config-error";

export interface AlertNodeFields {
  providerType?: string;
  topic?: string;
  chatId?: string;
  priority?: string | number;
  cooldown?: string | number;
  blockPrivate?: boolean | string;
  allowPrivate?: string;
  /** A PEM to trust for this provider (a private CA). */
  ca?: string;
}

export interface AlertNodeCredentials {
  url?: string;
  token?: string;
  secret?: string;
  user?: string;
}

/**
 * True when nothing of the provider's address was filled in yet (a freshly dropped node, an imported example):
 * the node then waits to be configured instead of reporting an error on every deploy.
 */
export function isUnconfigured(fields: AlertNodeFields, credentials: AlertNodeCredentials): boolean {
  const type = fields.providerType || "webhook";
  return type === "telegram" || type === "pushover" ? !credentials.token : !credentials.url;
}

export function alertConfigOfNode(
  name: string,
  fields: AlertNodeFields,
  credentials: AlertNodeCredentials,
): AlertConfig {
  const type = fields.providerType || "webhook";
  const provider: Record<string, unknown> = { type, name: name || type, enabled: true };
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== "") provider[key] = value;
  };
  if (type !== "telegram" && type !== "pushover") set("url", credentials.url);
  if (["gotify", "ntfy", "telegram", "pushover"].includes(type)) set("token", credentials.token);
  if (type === "webhook") set("secret", credentials.secret);
  set("ca", fields.ca?.trim());
  if (type === "pushover") set("user", credentials.user);
  if (type === "ntfy") set("topic", fields.topic);
  if (type === "telegram") set("chat_id", fields.chatId);
  if (type === "gotify" && fields.priority !== undefined && fields.priority !== "")
    set("priority", Number(fields.priority));
  const cooldown = fields.cooldown === undefined || fields.cooldown === "" ? 300 : Number(fields.cooldown);
  const parsed = AlertConfig.safeParse({
    providers: [provider],
    cooldown_seconds: cooldown,
    recovery_cooldown_seconds: Math.min(cooldown, 86400),
    block_private_targets: fields.blockPrivate === true || fields.blockPrivate === "true",
    allowed_private_targets: (fields.allowPrivate ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean),
  });
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  return parsed.data;
}
