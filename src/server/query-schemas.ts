/**
 * The query strings of the read endpoints as zod schemas: every value a plain string checked against a pattern or
 * an enum before it reaches a store, and unknown parameters refused (422 with the parameter's name).
 */
import { z } from "zod";
import { DeviceId } from "../model/device-id";
import { EventType, Severity } from "../model/power-event";

/** ISO 8601 or epoch milliseconds, as epoch milliseconds. */
export const TimeParam = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const ms = /^\d{1,16}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: "must be ISO 8601 or epoch milliseconds" });
      return z.NEVER;
    }
    return ms;
  });

const Limit = z
  .string()
  .regex(/^\d{1,4}$/, "must be a whole number from 1 to 1000")
  .transform(Number)
  .pipe(z.number().min(1, "must be a whole number from 1 to 1000").max(1000, "must be a whole number from 1 to 1000"));

const Cursor = z.string().max(512);

export const SnapshotsQuery = z.strictObject({
  device_id: DeviceId.optional(),
  since: TimeParam.optional(),
  until: TimeParam.optional(),
  limit: Limit.optional(),
  cursor: Cursor.optional(),
});

export const EventsQuery = SnapshotsQuery.extend({
  type: EventType.optional(),
  severity: Severity.optional(),
});

export const EnergyQuery = z.strictObject({
  device_id: DeviceId.optional(),
  since: TimeParam.optional(),
  until: TimeParam.optional(),
  bucket: z.enum(["hour", "day", "month"]).optional(),
});

export const NoQuery = z.strictObject({});

export const TriggerBody = z.strictObject({ device_id: DeviceId.optional() }).optional();

export const AlertTestBody = z.strictObject({ provider: z.string().max(64).optional() }).optional();
