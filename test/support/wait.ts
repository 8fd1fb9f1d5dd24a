// Condition polling for tests: every wait has a deadline, so a broken fixture fails fast with a reason
// instead of hanging mocha or hiding behind a fixed sleep.
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

export interface WaitOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between probes (default 20 ms). */
  intervalMs?: number;
  /** Shown in the timeout message: "timed out after 10000ms waiting for <what>". */
  what?: string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Polls `probe` until it returns (or resolves to) a truthy value and returns that value.
 * A probe that throws or rejects counts as "not yet"; its last message is kept for the timeout error,
 * because that is usually the only clue to why the condition never held.
 */
/** What a truthy check lets through: the value without its falsy alternatives. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const what = opts.what ?? "condition";
  const deadline = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
    } catch (err) {
      lastError = describeError(err);
    }
    if (Date.now() >= deadline) break;
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const suffix = lastError === undefined ? "" : ` (last error: ${lastError})`;
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${suffix}`);
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Another process may still take it before the caller
 * binds, so callers that can should retry on EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
