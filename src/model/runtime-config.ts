/** The runtime configuration of `GET/PUT /api/config`. */
import { z } from "zod";

export const RuntimeConfig = z.strictObject({
  poll_interval_s: z.number().int().min(1).max(86400).default(10),
  poll_on_startup: z.boolean().default(true),
  scheduler_paused: z.boolean().default(false),
  /** Raw snapshots are kept this many days; hourly rollups ten times as long. */
  retention_days: z.number().int().min(1).max(3650).default(7),
  /** Upper bound on raw snapshots per device, whatever their age. */
  max_snapshots: z.number().int().min(100).max(1_000_000).default(100_000),
  /** Trust `X-Forwarded-For` from a reverse proxy in front of Node-RED. */
  trust_proxy: z.boolean().default(false),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;
