/**
 * Names and times as the stores use them on disk: device ids checked before they touch a path, UTC day, month and
 * hour keys, and the `since` / `until` values a client may send.
 */
import { DEVICE_ID_PATTERN } from "../model/device-id";
import { InvalidDeviceIdError, InvalidQueryError } from "./errors";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The only device ids that may become a directory name: no `.`, no `/`, no `..`, at most 64 characters. */
export function isDeviceId(value: unknown): value is string {
  return typeof value === "string" && DEVICE_ID_PATTERN.test(value);
}

export function assertDeviceId(value: unknown, field = "device_id"): string {
  if (!isDeviceId(value)) throw new InvalidDeviceIdError(field);
  return value;
}

/** `2024-05-01T10:00:00Z` and fractions of a second, UTC only: the timestamps snapshots carry. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z$/;

/** Epoch ms of a snapshot timestamp, or NaN when it is not an ISO 8601 UTC timestamp. */
export function parseSnapshotTs(ts: unknown): number {
  if (typeof ts !== "string" || !ISO_UTC.test(ts)) return NaN;
  return Date.parse(ts);
}

/** A `since` / `until` value: epoch ms (number or digits), an ISO 8601 string, or a Date. */
export type TimeInput = number | string | Date;

export function parseTimeInput(value: TimeInput | undefined | null, field: string): number | null {
  if (value === undefined || value === null || value === "") return null;
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = value;
  else if (typeof value === "string" && /^\d{1,16}$/.test(value)) ms = Number(value);
  else if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value))
    ms = Date.parse(value);
  else throw new InvalidQueryError(field, `${field} must be an ISO 8601 time or epoch milliseconds`);
  if (!Number.isFinite(ms)) throw new InvalidQueryError(field, `${field} is not a valid time`);
  return ms;
}

const dayNames = new Map<number, string>();

/** `YYYY-MM-DD` of the UTC day that holds `ms`. */
export function dayKey(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 4096) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/** Start (epoch ms) of a `YYYY-MM-DD` day, or NaN. */
export function dayStart(key: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(key) ? Date.parse(`${key}T00:00:00Z`) : NaN;
}

/** `YYYY-MM` of the UTC month that holds `ms`. */
export function monthKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** Start (epoch ms) of a `YYYY-MM` month, or NaN. */
export function monthStart(key: string): number {
  return /^\d{4}-\d{2}$/.test(key) ? Date.parse(`${key}-01T00:00:00Z`) : NaN;
}

/** Start of the month after the one that holds `ms`. */
export function nextMonthStart(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}
