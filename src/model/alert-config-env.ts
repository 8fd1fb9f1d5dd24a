/**
 * The alert configuration the standalone Argus guide's environment variables describe (`WEBHOOK_URL`,
 * `GOTIFY_URL` + `GOTIFY_TOKEN`, `NTFY_URL` + `NTFY_TOPIC`, `ALERT_ON_DEVICE_OFFLINE`): what a server starts
 * with until `PUT /api/alerts` says otherwise. Each provider is checked by the same schema (https only); one that
 * fails is left out and named in `problems`, so a typo in one variable does not stop the whole server.
 */
import { AlertConfig, AlertProvider } from "./alert-config";

export interface EnvAlertConfig {
  config: AlertConfig;
  /** One line per variable set that could not be used, saying which and why. */
  problems: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const PROVIDERS: Array<{ when: string; vars: string[]; make: (env: Env) => Record<string, unknown> }> = [
  {
    when: "WEBHOOK_URL",
    vars: ["WEBHOOK_URL"],
    make: (env) => ({ type: "webhook", name: "webhook", url: env.WEBHOOK_URL }),
  },
  {
    when: "GOTIFY_URL",
    vars: ["GOTIFY_URL", "GOTIFY_TOKEN"],
    make: (env) => ({ type: "gotify", name: "gotify", url: env.GOTIFY_URL, token: env.GOTIFY_TOKEN }),
  },
  {
    when: "NTFY_URL",
    vars: ["NTFY_URL", "NTFY_TOPIC"],
    make: (env) => ({ type: "ntfy", name: "ntfy", url: env.NTFY_URL, topic: env.NTFY_TOPIC }),
  },
];

export function alertConfigFromEnv(env: Env = process.env): EnvAlertConfig {
  const problems: string[] = [];
  const providers: AlertProvider[] = [];
  for (const { when, vars, make } of PROVIDERS) {
    if (!env[when]) continue;
    const parsed = AlertProvider.safeParse(make(env));
    if (parsed.success) providers.push(parsed.data);
    else
      problems.push(
        `${vars.join(" and ")}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      );
  }
  const offline = env.ALERT_ON_DEVICE_OFFLINE?.trim().toLowerCase();
  const config = AlertConfig.parse({
    providers,
    alert_on_device_offline: offline ? ["1", "true", "yes", "on"].includes(offline) : undefined,
  });
  return { config, problems };
}
