/** How to reach one UPS on a NUT server: the `nut` part of a Device in `spec/api.md`. */
import { z } from "zod";
import { ConfigError } from "./config-error";

export const NutSettings = z.strictObject({
  host: z.string({ error: "a NUT server host is required" }).trim().min(1, "a NUT server host is required").max(253),
  port: z.coerce.number().int().min(1).max(65535).default(3493),
  ups: z
    .string({ error: "a UPS name is required" })
    .trim()
    .min(1, "a UPS name is required")
    .max(64)
    .regex(/^[\x21-\x7e]+$/, "a UPS name has no spaces"),
  username: z.string().max(255).default(""),
  password: z.string().max(255).default(""),
  tls: z.enum(["off", "starttls", "required"]).default("off"),
});
export type NutSettings = z.infer<typeof NutSettings>;

/** What a node or a device definition says, before defaults and environment fallbacks. */
export interface NutSettingsInput {
  host?: string;
  port?: string | number;
  ups?: string;
  tls?: string;
  username?: string;
  password?: string;
}

const ENV_FALLBACKS = {
  host: "NUT_HOST",
  port: "NUT_PORT",
  ups: "NUT_UPS_NAME",
  username: "NUT_USERNAME",
  password: "NUT_PASSWORD",
} as const;

/** A field set in the editor wins; an empty one falls back to its environment variable (`spec/api.md`). */
export function resolveNutSettings(input: NutSettingsInput, env: NodeJS.ProcessEnv = process.env): NutSettings {
  const merged: Record<string, unknown> = { tls: input.tls || undefined };
  for (const [field, variable] of Object.entries(ENV_FALLBACKS)) {
    const given = input[field as keyof typeof ENV_FALLBACKS];
    const value = given === undefined || given === "" ? env[variable] : given;
    if (value !== undefined && value !== "") merged[field] = value;
  }
  const parsed = NutSettings.safeParse(merged);
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  return parsed.data;
}
