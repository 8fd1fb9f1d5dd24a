/**
 * A monitored device as the API and the registry know it. Devices come from flow nodes (`source: "flow"`, read
 * only through the API) or from the API itself (`source: "api"`).
 */
import { z } from "zod";
import { DeviceId } from "./device-id";
import { NutSettings } from "./nut-settings";
import { SnmpSettings } from "./snmp-settings";

const common = {
  id: DeviceId,
  name: z.string().trim().min(1).max(128),
  enabled: z.boolean().default(true),
  poll_interval_s: z.number().int().min(1).max(86400).default(10),
  nominal_power_w: z.number().positive().max(1_000_000).nullable().default(null),
};

/** What a client sends to create or replace a device. */
export const DeviceInput = z.discriminatedUnion("kind", [
  z.strictObject({ ...common, kind: z.literal("nut"), nut: NutSettings }),
  z.strictObject({ ...common, kind: z.literal("snmp"), snmp: SnmpSettings }),
]);
export type DeviceInput = z.infer<typeof DeviceInput>;

export const DeviceSource = z.enum(["api", "flow"]);

/** A device with its origin and live state, as `GET /api/devices` answers (secrets masked). */
export type Device = DeviceInput & {
  source: z.infer<typeof DeviceSource>;
  online: boolean | null;
  last_seen_at: string | null;
  last_status: string | null;
};
