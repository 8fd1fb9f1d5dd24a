/**
 * Polls the devices the server owns (those added through the API), each on its own interval and never two polls
 * of one device at once, and runs triggered polls of every device, reporting what `GET /api/trigger/status` shows.
 */
import { randomUUID } from "node:crypto";
import { PollLoop } from "../engine/poll-loop";

export interface TriggerStatus {
  running: boolean;
  last_started_at: string | null;
  last_finished_at: string | null;
  last_duration_ms: number | null;
  last_result: { ok: number; failed: number } | null;
  next_poll_at: string | null;
}

export interface ScheduledDevice {
  id: string;
  intervalS: number;
  /** Polls the device; resolves true when it answered. */
  poll: () => Promise<boolean>;
}

export class Scheduler {
  private readonly loops = new Map<string, { loop: PollLoop; device: ScheduledDevice }>();
  private paused = false;
  private running: { id: string; promise: Promise<void> } | null = null;
  private last: Omit<TriggerStatus, "running" | "next_poll_at"> = {
    last_started_at: null,
    last_finished_at: null,
    last_duration_ms: null,
    last_result: null,
  };

  /** Starts polling a device (again, if it was already scheduled with other settings). */
  add(device: ScheduledDevice, pollAtOnce: boolean): void {
    this.remove(device.id);
    const loop = new PollLoop(async () => void (await device.poll()), device.intervalS * 1000);
    this.loops.set(device.id, { loop, device });
    if (this.paused) return;
    if (pollAtOnce) loop.start();
    else loop.startLater();
  }

  remove(id: string): void {
    this.loops.get(id)?.loop.stop();
    this.loops.delete(id);
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const { loop } of this.loops.values()) {
      if (paused) loop.stop();
      else loop.startLater();
    }
  }

  /** Polls the given devices now; a trigger while one runs joins it rather than stacking polls. */
  trigger(polls: Array<() => Promise<boolean>>): { status: "started" | "already_running"; poll_id: string } {
    if (this.running) return { status: "already_running", poll_id: this.running.id };
    const id = randomUUID();
    const started = Date.now();
    this.last.last_started_at = new Date(started).toISOString();
    const promise = Promise.all(polls.map((poll) => poll().catch(() => false))).then((results) => {
      const ok = results.filter(Boolean).length;
      this.last = {
        last_started_at: new Date(started).toISOString(),
        last_finished_at: new Date().toISOString(),
        last_duration_ms: Date.now() - started,
        last_result: { ok, failed: results.length - ok },
      };
      this.running = null;
    });
    this.running = { id, promise };
    return { status: "started", poll_id: id };
  }

  /** Resolves when the triggered poll under way (if any) has finished. */
  async settled(): Promise<void> {
    await this.running?.promise;
  }

  /** Polls one scheduled device now (joining a poll under way). */
  pollNow(id: string): Promise<void> | undefined {
    return this.loops.get(id)?.loop.pollNow();
  }

  status(): TriggerStatus {
    const next = [...this.loops.values()]
      .map(({ loop }) => loop.nextPollAt)
      .filter((at): at is number => at !== null)
      .sort((a, b) => a - b)[0];
    return {
      running: this.running !== null,
      ...this.last,
      next_poll_at: next === undefined ? null : new Date(next).toISOString(),
    };
  }

  stop(): void {
    for (const { loop } of this.loops.values()) loop.stop();
    this.loops.clear();
  }
}
