import { z } from "zod";

export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const DeviceId = z.string().regex(DEVICE_ID_PATTERN, "must match [a-z0-9][a-z0-9_-]{0,63}");

/** A device id derived from a name a person typed: lower case, other characters folded to `-`, at most 64. */
export function slugDeviceId(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "")
    .replace(/-+$/, "")
    .slice(0, 64);
  return slug || "device";
}
