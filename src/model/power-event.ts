/** A power event: what the detector saw change, named as NUT's upsmon names it where it has a name. */
import { z } from "zod";
import { DeviceId } from "./device-id";
import { Snapshot } from "./snapshot";

export const EVENT_TYPES = [
  "ONBATT",
  "ONLINE",
  "LOWBATT",
  "COMMBAD",
  "COMMOK",
  "REPLBATT",
  "OVER",
  "NOTOVER",
  "BYPASS",
  "NOTBYPASS",
  "FSD",
  "CHARGE_LOW",
  "RUNTIME_LOW",
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

export const Severity = z.enum(["info", "warning", "critical"]);
export type Severity = z.infer<typeof Severity>;

export const PowerEvent = z.object({
  id: z.string(),
  device_id: DeviceId,
  ts: z.iso.datetime(),
  type: EventType,
  severity: Severity,
  message: z.string(),
  snapshot: Snapshot.nullable(),
  recovery_of: z.string().nullable(),
});
export type PowerEvent = z.infer<typeof PowerEvent>;
