/** How to reach one UPS or PDU over SNMP: the `snmp` part of a Device in `spec/api.md`. */
import { z } from "zod";

export const SnmpV3Settings = z.strictObject({
  username: z.string().min(1).max(64),
  level: z.enum(["noAuthNoPriv", "authNoPriv", "authPriv"]).default("authPriv"),
  auth_protocol: z.enum(["md5", "sha", "sha224", "sha256", "sha384", "sha512"]).default("sha"),
  auth_key: z.string().max(255).default(""),
  priv_protocol: z.enum(["des", "aes", "aes256b", "aes256r"]).default("aes"),
  priv_key: z.string().max(255).default(""),
  context: z.string().max(64).default(""),
});
export type SnmpV3Settings = z.infer<typeof SnmpV3Settings>;

export const SnmpSettings = z.strictObject({
  host: z.string().trim().min(1, "an SNMP agent host is required").max(253),
  port: z.coerce.number().int().min(1).max(65535).default(161),
  version: z.enum(["1", "2c", "3"]).default("2c"),
  community: z.string().max(255).default("public"),
  v3: SnmpV3Settings.optional(),
  profile: z.enum(["auto", "ups-mib", "apc", "eaton", "cyberpower"]).default("auto"),
  timeout_ms: z.coerce.number().int().min(100).max(60000).default(3000),
  retries: z.coerce.number().int().min(0).max(10).default(1),
});
export type SnmpSettings = z.infer<typeof SnmpSettings>;
