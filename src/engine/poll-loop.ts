/**
 * Runs a poll at a fixed interval without ever overlapping two polls: a poll that is still running when the next
 * is due makes the next one wait for it, and "poll now" joins a poll already under way.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private nextAt: number | null = null;

  constructor(
    private readonly poll: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  /** Polls at once, then every interval. */
  start(): void {
    this.stopped = false;
    void this.pollNow();
  }

  /** Polls now (or joins the poll under way) and counts the next interval from now. */
  pollNow(): Promise<void> {
    if (this.running) return this.running;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.poll()
      .catch(() => undefined) // the poll reports its own failures; the loop only keeps time
      .finally(() => {
        this.running = null;
        this.scheduleNext();
      });
    return this.running;
  }

  /** When the next poll is due (epoch ms), or null while a poll runs or the loop is stopped. */
  get nextPollAt(): number | null {
    return this.timer ? this.nextAt : null;
  }

  /** Starts with the first poll after one interval instead of at once. */
  startLater(): void {
    this.stopped = false;
    this.scheduleNext();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.nextAt = Date.now() + this.intervalMs;
    this.timer = setTimeout(() => void this.pollNow(), this.intervalMs);
  }
}
