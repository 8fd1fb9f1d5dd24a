/**
 * Secrets in devices and alert providers: masked on every read, and a masked value sent back in a write means
 * "keep what is stored", so a dashboard can edit a device without ever seeing its password.
 */
import type { AlertConfig, AlertProvider } from "../model/alert-config";
import type { DeviceInput } from "../model/device";

export const MASK = "********";

const PROVIDER_SECRETS = ["secret", "token", "user"] as const;

function mask(value: string | undefined): string | undefined {
  return value ? MASK : value;
}

export function maskDevice<T extends DeviceInput>(device: T): T {
  if (device.kind === "nut") return { ...device, nut: { ...device.nut, password: mask(device.nut.password) ?? "" } };
  const snmp = { ...device.snmp, community: mask(device.snmp.community) ?? "" };
  if (snmp.v3) snmp.v3 = { ...snmp.v3, auth_key: mask(snmp.v3.auth_key) ?? "", priv_key: mask(snmp.v3.priv_key) ?? "" };
  return { ...device, snmp };
}

export function unmaskDevice(incoming: DeviceInput, stored: DeviceInput | undefined): DeviceInput {
  if (!stored || stored.kind !== incoming.kind) return incoming;
  if (incoming.kind === "nut" && stored.kind === "nut") {
    const password = incoming.nut.password === MASK ? stored.nut.password : incoming.nut.password;
    return { ...incoming, nut: { ...incoming.nut, password } };
  }
  if (incoming.kind === "snmp" && stored.kind === "snmp") {
    const community = incoming.snmp.community === MASK ? stored.snmp.community : incoming.snmp.community;
    const v3 = incoming.snmp.v3 && {
      ...incoming.snmp.v3,
      auth_key: incoming.snmp.v3.auth_key === MASK ? (stored.snmp.v3?.auth_key ?? "") : incoming.snmp.v3.auth_key,
      priv_key: incoming.snmp.v3.priv_key === MASK ? (stored.snmp.v3?.priv_key ?? "") : incoming.snmp.v3.priv_key,
    };
    return { ...incoming, snmp: { ...incoming.snmp, community, v3 } };
  }
  return incoming;
}

export function maskAlertConfig(config: AlertConfig): AlertConfig {
  return { ...config, providers: config.providers.map(maskProvider) };
}

function maskProvider(provider: AlertProvider): AlertProvider {
  const masked: Record<string, unknown> = { ...provider };
  for (const key of PROVIDER_SECRETS) {
    if (typeof masked[key] === "string") masked[key] = mask(masked[key] as string);
  }
  if ("url" in provider) masked.url = maskUrlSecrets(provider.url, provider.type);
  return masked as AlertProvider;
}

/**
 * User info in a URL is a secret, and so is the whole path of a webhook URL whose path is its credential
 * (Discord, Slack, Home Assistant webhooks, Apprise's /notify/{key}): only the origin is shown.
 */
function maskUrlSecrets(url: string, type: AlertProvider["type"]): string {
  const parsed = new URL(url);
  if (type === "discord" || type === "slack" || type === "homeassistant" || type === "webhook" || type === "apprise") {
    return `${parsed.origin}/${MASK}`;
  }
  parsed.username = parsed.username ? MASK : "";
  parsed.password = parsed.password ? MASK : "";
  return parsed.toString();
}

export function unmaskAlertConfig(incoming: AlertConfig, stored: AlertConfig): AlertConfig {
  const byName = new Map(stored.providers.map((provider) => [`${provider.type}:${provider.name}`, provider]));
  const providers = incoming.providers.map((provider) => {
    const previous = byName.get(`${provider.type}:${provider.name}`) as Record<string, unknown> | undefined;
    if (!previous) return provider;
    const merged: Record<string, unknown> = { ...provider };
    for (const key of [...PROVIDER_SECRETS, "url"]) {
      const value = merged[key];
      if (typeof value === "string" && value.includes(MASK)) merged[key] = previous[key];
    }
    return merged as AlertProvider;
  });
  return { ...incoming, providers };
}
