/**
 * The alert configuration the standalone Argus guide's environment variables describe (`WEBHOOK_URL`,
 * `GOTIFY_URL` + `GOTIFY_TOKEN`, `NTFY_URL` + `NTFY_TOPIC`, `ALERT_ON_DEVICE_OFFLINE`): what a server starts
 * with until `PUT /api/alerts` says otherwise. Validated by the same schema, so an http:// URL is refused here too.
 */
import { AlertConfig } from "./alert-config";
import { ConfigError } from "./config-error";

export function alertConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AlertConfig {
  const providers: Record<string, unknown>[] = [];
  if (env.WEBHOOK_URL) providers.push({ type: "webhook", name: "webhook", url: env.WEBHOOK_URL });
  if (env.GOTIFY_URL) providers.push({ type: "gotify", name: "gotify", url: env.GOTIFY_URL, token: env.GOTIFY_TOKEN });
  if (env.NTFY_URL) providers.push({ type: "ntfy", name: "ntfy", url: env.NTFY_URL, topic: env.NTFY_TOPIC });
  const offline = env.ALERT_ON_DEVICE_OFFLINE?.trim().toLowerCase();
  const parsed = AlertConfig.safeParse({
    providers,
    alert_on_device_offline:
      offline === undefined || offline === "" ? undefined : ["1", "true", "yes", "on"].includes(offline),
  });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ path: `env ${envNameOf(issue.path)}`, message: issue.message })),
    );
  }
  return parsed.data;
}

/** Names the environment variable behind a schema path, so the message says what to fix. */
function envNameOf(path: PropertyKey[]): string {
  if (path[0] !== "providers") return "ALERT_ON_DEVICE_OFFLINE";
  return path.slice(1).join(".");
}
