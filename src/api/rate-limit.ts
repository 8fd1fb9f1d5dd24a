/**
 * Rate limits of the protected routes: a sliding log of timestamps per key (exact, and cheap at 60 a minute),
 * and on top of it a limiter of failed key attempts per client address, so guessing keys is slow.
 * Time is passed in (`now`, in ms, any monotonic origin) so that tests drive it and no timer is ever started.
 */
import { addressBucket } from "./client-address";
import { ConfigError } from "../model/config-error";

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterS: number };

export interface SlidingWindowOptions {
  /** Requests allowed per window. */
  limit?: number;
  windowMs?: number;
  /** Upper bound on tracked keys, so a flood of new keys (addresses) cannot grow memory without end. */
  maxKeys?: number;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 60;
export const DEFAULT_WINDOW_MS = 60_000;
export const DEFAULT_MAX_KEYS = 10_000;
export const DEFAULT_FAILED_ATTEMPTS_PER_MINUTE = 10;
/** Beyond this a typo (6000 for 60) is more likely than a need. */
const MAX_RATE_LIMIT_PER_MINUTE = 100_000;

export class SlidingWindowLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly maxKeys: number;
  /** Timestamps of counted hits per key, oldest first; at most `limit` of them. Map order = least recently used. */
  private readonly logs = new Map<string, number[]>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: SlidingWindowOptions = {}) {
    this.limit = positiveInteger(options.limit ?? DEFAULT_RATE_LIMIT_PER_MINUTE, "limit");
    this.windowMs = positiveInteger(options.windowMs ?? DEFAULT_WINDOW_MS, "windowMs");
    this.maxKeys = positiveInteger(options.maxKeys ?? DEFAULT_MAX_KEYS, "maxKeys");
  }

  /** Counts a request for `key` if there is room; a refused request is not counted, so a slot always frees. */
  hit(key: string, now: number): LimitDecision {
    const decision = this.check(key, now);
    if (decision.allowed) this.record(key, now);
    return decision;
  }

  /** Whether `key` has room now, without counting anything. */
  check(key: string, now: number): LimitDecision {
    this.sweepIfDue(now);
    const log = this.prunedLog(key, now);
    if (log === undefined || log.length < this.limit) return { allowed: true };
    const oldest = log[log.length - this.limit] ?? now;
    return { allowed: false, retryAfterS: retryAfterSeconds(oldest, this.windowMs, now) };
  }

  /** Counts one event for `key` unconditionally (the failure limiter records after the fact). */
  record(key: string, now: number): void {
    let log = this.logs.get(key);
    if (log === undefined) {
      this.makeRoom(now);
      log = [];
    } else {
      this.logs.delete(key); // re-inserted below: keeps the map in least-recently-used order
    }
    log.push(now);
    if (log.length > this.limit) log.splice(0, log.length - this.limit);
    this.logs.set(key, log);
  }

  /** Number of keys tracked (for tests and diagnostics). */
  get size(): number {
    return this.logs.size;
  }

  private prunedLog(key: string, now: number): number[] | undefined {
    const log = this.logs.get(key);
    if (log === undefined) return undefined;
    dropExpired(log, now - this.windowMs);
    if (log.length === 0) {
      this.logs.delete(key);
      return undefined;
    }
    return log;
  }

  /** Keys whose log emptied are deleted at most once per window, so the sweep costs O(1) per hit amortized. */
  private sweepIfDue(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.sweep(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const key of [...this.logs.keys()]) this.prunedLog(key, now);
  }

  private makeRoom(now: number): void {
    if (this.logs.size < this.maxKeys) return;
    this.sweep(now);
    // Still full of live keys: forget the least recently used one rather than refusing everyone new.
    while (this.logs.size >= this.maxKeys) {
      const first = this.logs.keys().next();
      if (first.done === true) break;
      this.logs.delete(first.value);
    }
  }
}

/** Failed key attempts per client address (per /64 for IPv6). Only failures are counted. */
export class FailedAttemptLimiter {
  private readonly window: SlidingWindowLimiter;

  constructor(options: SlidingWindowOptions = {}) {
    this.window = new SlidingWindowLimiter({ limit: DEFAULT_FAILED_ATTEMPTS_PER_MINUTE, ...options });
  }

  get limit(): number {
    return this.window.limit;
  }

  get size(): number {
    return this.window.size;
  }

  /** Asked BEFORE the key is compared, so an address over its budget learns nothing more about the key. */
  check(address: string, now: number): LimitDecision {
    return this.window.check(addressBucket(address), now);
  }

  recordFailure(address: string, now: number): void {
    this.window.record(addressBucket(address), now);
  }
}

/** Whole seconds until the oldest counted hit leaves the window: never 0, so a client always waits. */
export function retryAfterSeconds(oldest: number, windowMs: number, now: number): number {
  return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
}

/** RATE_LIMIT_PER_MINUTE from the node's field or the environment; blank means the default of 60. */
export function parseRateLimitPerMinute(value: string | number | undefined): number {
  if (value === undefined || (typeof value === "string" && value.trim() === "")) return DEFAULT_RATE_LIMIT_PER_MINUTE;
  const parsed = typeof value === "number" ? value : Number(value.trim());
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_RATE_LIMIT_PER_MINUTE) {
    throw new ConfigError([
      {
        path: "rate_limit_per_minute",
        message: `must be a whole number from 1 to ${MAX_RATE_LIMIT_PER_MINUTE} (RATE_LIMIT_PER_MINUTE)`,
      },
    ]);
  }
  return parsed;
}

function dropExpired(log: number[], cutoff: number): void {
  let expired = 0;
  while (expired < log.length && (log[expired] ?? Number.POSITIVE_INFINITY) <= cutoff) expired++;
  if (expired > 0) log.splice(0, expired);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
