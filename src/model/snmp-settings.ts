/** How to reach one UPS or PDU over SNMP: the `snmp` part of a Device in `spec/api.md`. */
import { z } from "zod";
import { ConfigError } from "./config-error";

/** RFC 3414 password-to-key needs at least 8 characters; Net-SNMP's tools refuse shorter ones too. */
const MIN_KEY_LENGTH = 8;

export const SNMP_AUTH_PROTOCOLS = ["md5", "sha", "sha224", "sha256", "sha384", "sha512"] as const;
/** net-snmp's names: `aes256b` is Blumenthal (what Net-SNMP's tools call AES-256), `aes256r` is Reeder (Cisco). */
export const SNMP_PRIV_PROTOCOLS = ["des", "aes", "aes256b", "aes256r"] as const;
export const SNMP_PROFILES = ["auto", "ups-mib", "apc", "eaton", "cyberpower"] as const;

export const SnmpV3Settings = z
  .strictObject({
    username: z.string().min(1).max(64),
    level: z.enum(["noAuthNoPriv", "authNoPriv", "authPriv"]).default("authPriv"),
    auth_protocol: z.enum(SNMP_AUTH_PROTOCOLS).default("sha"),
    auth_key: z.string().max(255).default(""),
    priv_protocol: z.enum(SNMP_PRIV_PROTOCOLS).default("aes"),
    priv_key: z.string().max(255).default(""),
    context: z.string().max(64).default(""),
  })
  .superRefine((v3, ctx) => {
    if (v3.level !== "noAuthNoPriv" && v3.auth_key.length < MIN_KEY_LENGTH) {
      ctx.addIssue({
        code: "custom",
        path: ["auth_key"],
        message: `${v3.level} needs an authentication key of 8 characters or more`,
      });
    }
    if (v3.level === "authPriv" && v3.priv_key.length < MIN_KEY_LENGTH) {
      ctx.addIssue({
        code: "custom",
        path: ["priv_key"],
        message: "authPriv needs a privacy key of 8 characters or more",
      });
    }
  });
export type SnmpV3Settings = z.infer<typeof SnmpV3Settings>;

export const SnmpSettings = z
  .strictObject({
    host: z
      .string({ error: "an SNMP agent host is required" })
      .trim()
      .min(1, "an SNMP agent host is required")
      .max(253),
    port: z.coerce.number().int().min(1).max(65535).default(161),
    version: z.enum(["1", "2c", "3"]).default("2c"),
    community: z.string().max(255).default("public"),
    v3: SnmpV3Settings.optional(),
    profile: z.enum(SNMP_PROFILES).default("auto"),
    timeout_ms: z.coerce.number().int().min(100).max(60000).default(3000),
    retries: z.coerce.number().int().min(0).max(10).default(1),
  })
  .superRefine((settings, ctx) => {
    if (settings.version === "3" && !settings.v3) {
      ctx.addIssue({ code: "custom", path: ["v3", "username"], message: "SNMPv3 needs a user name" });
    }
  });
export type SnmpSettings = z.infer<typeof SnmpSettings>;
export type SnmpProfileSetting = SnmpSettings["profile"];

/** What a node gives, before defaults and environment fallbacks; `timeout` is in seconds, as the editor shows. */
export interface SnmpSettingsInput {
  host?: string;
  port?: string | number;
  version?: string;
  community?: string;
  profile?: string;
  timeout?: string | number;
  retries?: string | number;
  username?: string;
  level?: string;
  authProtocol?: string;
  authKey?: string;
  privProtocol?: string;
  privKey?: string;
  context?: string;
}

const ENV_FALLBACKS: Partial<Record<keyof SnmpSettingsInput, string>> = {
  version: "SNMP_VERSION",
  community: "SNMP_COMMUNITY",
  timeout: "SNMP_TIMEOUT",
  retries: "SNMP_RETRIES",
  username: "SNMP_V3_USERNAME",
  authProtocol: "SNMP_V3_AUTH_PROTOCOL",
  authKey: "SNMP_V3_AUTH_KEY",
  privProtocol: "SNMP_V3_PRIV_PROTOCOL",
  privKey: "SNMP_V3_PRIV_KEY",
};

/**
 * A field set in the editor wins; an empty one falls back to its environment variable (`spec/api.md`). Protocol
 * names are accepted the way device manuals and Net-SNMP write them (`SHA`, `SHA-256`, `AES`, `AES-256`).
 */
export function resolveSnmpSettings(input: SnmpSettingsInput, env: NodeJS.ProcessEnv = process.env): SnmpSettings {
  const given = withFallbacks(input, env);
  const version = normalizeVersion(given.version);
  const merged: Record<string, unknown> = {
    host: given.host,
    port: given.port,
    version,
    community: given.community,
    profile: given.profile,
    timeout_ms: secondsToMs(given.timeout),
    retries: given.retries,
  };
  if (version === "3" && given.username) merged.v3 = v3Of(given);
  const parsed = SnmpSettings.safeParse(dropEmpty(merged));
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  return parsed.data;
}

function withFallbacks(input: SnmpSettingsInput, env: NodeJS.ProcessEnv): SnmpSettingsInput {
  const result: Record<string, string | number | undefined> = { ...input };
  for (const [field, variable] of Object.entries(ENV_FALLBACKS)) {
    const value = result[field];
    if (value === undefined || value === "") result[field] = env[variable];
  }
  return result as SnmpSettingsInput;
}

function v3Of(given: SnmpSettingsInput): Record<string, unknown> {
  return dropEmpty({
    username: given.username,
    level: normalizeLevel(given.level),
    auth_protocol: normalizeAuthProtocol(given.authProtocol),
    auth_key: given.authKey,
    priv_protocol: normalizePrivProtocol(given.privProtocol),
    priv_key: given.privKey,
    context: given.context,
  });
}

function dropEmpty(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== ""));
}

/** `v2c`, `2` and `2c` all mean 2c. */
export function normalizeVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bare = value.trim().toLowerCase().replace(/^v/, "");
  return bare === "2" ? "2c" : bare;
}

function normalizeLevel(value: string | undefined): string | undefined {
  const levels = ["noAuthNoPriv", "authNoPriv", "authPriv"];
  return levels.find((level) => level.toLowerCase() === value?.trim().toLowerCase()) ?? value;
}

/** `SHA`, `SHA1`, `SHA-1` mean sha; `SHA-256` means sha256. Unknown names pass through for the schema to name. */
export function normalizeAuthProtocol(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bare = value
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, "");
  return bare === "sha1" ? "sha" : bare;
}

/**
 * `AES`/`AES-128` mean aes; Net-SNMP's `AES-256` (and snmpsim's `AES256BLMT`) is Blumenthal, aes256b; Cisco's
 * `AES-256-C` is Reeder, aes256r.
 */
export function normalizePrivProtocol(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bare = value
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, "");
  const aliases: Record<string, string> = {
    aes128: "aes",
    aes256: "aes256b",
    aes256blmt: "aes256b",
    aes256c: "aes256r",
  };
  return aliases[bare] ?? bare;
}

function secondsToMs(value: string | number | undefined): number | string | undefined {
  if (value === undefined || value === "") return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : String(value);
}
