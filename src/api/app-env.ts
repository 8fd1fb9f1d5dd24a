/**
 * `APP_ENV`, reduced to the two values that change behaviour: `production` refuses a `*` CORS origin and
 * `development` lets loopback clients use protected routes without a key. Anything else (or unset) is neither.
 */
export type AppEnv = "production" | "development" | "other";

export function parseAppEnv(value: string | undefined): AppEnv {
  const normalized = (value ?? "").trim().toLowerCase();
  if (normalized === "production") return "production";
  if (normalized === "development") return "development";
  return "other";
}
