/**
 * Cooperative time slicing for long loops on Node-RED's single event loop: call `maybeYield()` often; it hands the
 * loop back (one `setImmediate`) whenever the current synchronous slice has run for `budgetMs`.
 */
import { performance } from "node:perf_hooks";

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Slicer {
  private sliceStart = performance.now();

  constructor(private readonly budgetMs = 4) {}

  /** True when the slice is used up; the caller then awaits `yield()`. Cheap enough to call per line. */
  due(): boolean {
    return performance.now() - this.sliceStart >= this.budgetMs;
  }

  async yield(): Promise<void> {
    await yieldToLoop();
    this.sliceStart = performance.now();
  }

  async maybeYield(): Promise<void> {
    if (this.due()) await this.yield();
  }
}
