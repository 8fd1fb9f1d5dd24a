/**
 * Raw snapshot history in append-only files, sized for Node-RED's single event loop: nothing but the newest
 * snapshot per device and a line count per file lives in memory, every read and write is asynchronous, and long
 * loops yield to the event loop every few milliseconds.
 *
 * Layout: `<dataDir>/snapshots/<device_id>/<YYYY-MM-DD>.jsonl`, one line per snapshot, UTC day of its `ts` (see
 * `snapshot-codec.ts` for the line format). Appends are buffered and written in order by one worker; retention
 * deletes whole day files.
 *
 * Order of queries: newest first by `ts`, then `device_id` ascending, then newest line first. The cursor is a
 * position in that order, so paging neither repeats nor skips items, even while new snapshots arrive.
 */
import { EventEmitter } from "node:events";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { Snapshot } from "../model/snapshot";
import { InvalidCursorError, InvalidDeviceIdError, InvalidQueryError } from "./errors";
import { listDeviceFiles } from "./device-files";
import { assertDeviceId, DAY_MS, dayKey, dayStart, isDeviceId, parseSnapshotTs, parseTimeInput } from "./keys";
import type { TimeInput } from "./keys";
import { countLines, LineIndex } from "./line-index";
import { copySnapshot, encodeDelta, encodeFull, parseLine, rebuild } from "./snapshot-codec";
import type { StoredSnapshot } from "./snapshot-codec";
import { Slicer } from "./slicer";

export interface SnapshotQuery {
  device_id?: string;
  /** Inclusive lower bound on `ts`. */
  since?: TimeInput | null;
  /** Exclusive upper bound on `ts`. */
  until?: TimeInput | null;
  /** 1 to 1000, default 100. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string | null;
}

export interface SnapshotPage {
  items: Snapshot[];
  next_cursor: string | null;
}

export interface SnapshotStoreStats {
  /** False while the most recent write of some file (or the opening of the directory) failed. */
  ok: boolean;
  /** Snapshots stored (lines on disk, minus the corrupt ones found so far). */
  snapshots: number;
  devices: number;
  /** Lines found unreadable (skipped by reads). */
  corrupt: number;
  /** Appended, not yet written. */
  pending: number;
  /** Appended, lost to a failed write. */
  dropped: number;
  /** Error code of the last failure (never a path or a message). */
  last_error: string | null;
  /** False while the lines of older files are still being counted after `open()`. */
  counted: boolean;
}

export interface RetentionLimits {
  retention_days: number;
  max_snapshots: number;
}

export interface RetentionResult {
  deleted_files: number;
  deleted_snapshots: number;
}

export interface SnapshotStoreOptions {
  /** Day files whose line index stays cached (about 180 KB each for a device polled every 10 s). Default 64. */
  indexCacheFiles?: number;
}

export const MAX_QUERY_LIMIT = 1000;
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
/** A delta longer than this share of its base's full line starts a new base. */
const REBASE_RATIO = 0.6;

interface FileInfo {
  lines: number;
  corrupt: Set<number>;
}

interface WriteState {
  device: string;
  base: StoredSnapshot | null;
  baseLength: number;
  needsNewline: boolean;
}

/** A place in query order (what a cursor encodes). */
export interface Position {
  t: number;
  device: string;
  line: number;
}

interface Candidate extends Position {
  index: LineIndex;
  info: FileInfo;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EIO";
}

function isNotFound(error: unknown): boolean {
  return errorCode(error) === "ENOENT";
}

function comparePositions(a: Position, b: Position): number {
  if (a.t !== b.t) return b.t - a.t;
  if (a.device !== b.device) return a.device < b.device ? -1 : 1;
  return b.line - a.line;
}

/** True when `(t, device, line)` comes after `pos` in query order. */
function isAfter(pos: Position | null, t: number, device: string, line: number): boolean {
  if (pos === null || t < pos.t) return true;
  if (t > pos.t) return false;
  if (device !== pos.device) return device > pos.device;
  return line < pos.line;
}

export function encodeCursor(pos: Position): string {
  return Buffer.from(JSON.stringify([1, pos.t, pos.device, pos.line])).toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  if (typeof cursor !== "string" || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(value) || value.length !== 4 || value[0] !== 1) throw new InvalidCursorError();
  const [, t, device, line] = value as unknown[];
  if (!Number.isSafeInteger(t) || !isDeviceId(device) || !Number.isSafeInteger(line) || (line as number) < 0) {
    throw new InvalidCursorError();
  }
  return { t: t as number, device, line: line as number };
}

export class SnapshotStore extends EventEmitter {
  private state: "new" | "open" | "closed" = "new";
  private opening: Promise<void> | null = null;
  /** device -> day -> file info. */
  private readonly files = new Map<string, Map<string, FileInfo>>();
  private readonly latestByDevice = new Map<string, Snapshot>();
  private pending: { snapshot: Snapshot; day: string }[] = [];
  private readonly writeStates = new Map<string, WriteState>();
  /** LRU of line indexes by path (a Map iterates in insertion order). */
  private readonly indexes = new Map<string, LineIndex>();
  private readonly knownDirs = new Set<string>();
  private readonly failing = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private counting: Promise<void> | null = null;
  private countingDone = false;
  private flushScheduled = false;
  private dropped = 0;
  private lastError: string | null = null;
  private readonly indexCacheFiles: number;

  /** `<dataDir>/snapshots`: one directory per device. */
  readonly base: string;

  constructor(
    /** Argus's data directory (e.g. `<userDir>/argus`); snapshots go to its `snapshots/` directory. */
    readonly dataDir: string,
    options: SnapshotStoreOptions = {},
  ) {
    super();
    this.base = path.join(dataDir, "snapshots");
    this.indexCacheFiles = Math.max(2, options.indexCacheFiles ?? 64);
  }

  /**
   * Lists the files and loads the newest snapshot of each device (indexing each device's newest day file). Never
   * rejects on I/O. The lines of the older files are then counted in the background (`counted()`), so a big or
   * cold history does not delay polling; until then `stats().snapshots` is low and `stats().counted` false.
   */
  open(): Promise<void> {
    if (this.state === "closed") return Promise.reject(new Error("snapshot store is closed"));
    this.opening ??= this.load().then((rest) => {
      if (this.state !== "new") return;
      this.state = "open";
      this.counting = this.countLater(rest);
    });
    return this.opening;
  }

  /** Resolves when every file's lines are counted (after `open()`). */
  async counted(): Promise<void> {
    await this.opening;
    await this.counting;
  }

  /**
   * Queues a snapshot for writing (in the order of the calls) and makes it the device's latest: the last poll, even
   * when the clock was stepped back and its `ts` is older than an earlier one. Returns false once the store is closed. Throws on an invalid `device_id` or `ts`, and before `open()`
   * has resolved.
   */
  append(snapshot: Snapshot): boolean {
    if (this.state === "closed") return false;
    if (this.state !== "open") throw new Error("snapshot store: await open() before append()");
    if (!isDeviceId(snapshot.device_id)) throw new InvalidDeviceIdError();
    const ms = parseSnapshotTs(snapshot.ts);
    if (Number.isNaN(ms)) throw new InvalidQueryError("ts", "ts must be an ISO 8601 UTC timestamp");
    const copy = copySnapshot(snapshot);
    this.pending.push({ snapshot: copy, day: dayKey(ms) });
    this.latestByDevice.set(copy.device_id, copy);
    this.scheduleFlush();
    return true;
  }

  /** The newest snapshot of every device, by `device_id`. From memory. */
  latest(): Snapshot[] {
    const devices = [...this.latestByDevice.keys()].sort();
    return devices.map((device) => copySnapshot(this.latestByDevice.get(device) as Snapshot));
  }

  /** Resolves when everything appended before the call is written (or has failed and been reported). */
  flush(): Promise<void> {
    if (this.opening === null) return Promise.resolve();
    return this.exclusive(() => this.drain());
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    await this.flush();
    this.state = "closed";
    await this.counting; // stops after the file it is counting
    this.indexes.clear();
    this.writeStates.clear();
  }

  stats(): SnapshotStoreStats {
    let lines = 0;
    let corrupt = 0;
    for (const days of this.files.values()) {
      for (const info of days.values()) {
        lines += info.lines;
        corrupt += info.corrupt.size;
      }
    }
    const devices = new Set([...this.files.keys(), ...this.latestByDevice.keys()]);
    return {
      ok: this.failing.size === 0,
      snapshots: Math.max(0, lines - corrupt),
      devices: devices.size,
      corrupt,
      pending: this.pending.length,
      dropped: this.dropped,
      last_error: this.lastError,
      counted: this.countingDone,
    };
  }

  /** History, newest first. Throws a `StoreInputError` for a bad device id, time, limit or cursor. */
  async query(query: SnapshotQuery = {}): Promise<SnapshotPage> {
    const device = query.device_id === undefined || query.device_id === null ? null : assertDeviceId(query.device_id);
    const since = parseTimeInput(query.since, "since") ?? -Infinity;
    const until = parseTimeInput(query.until, "until") ?? Infinity;
    const limit = query.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
      throw new InvalidQueryError("limit", `limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`);
    }
    const cursor = query.cursor === undefined || query.cursor === null ? null : decodeCursor(query.cursor);
    this.assertUsable();
    await this.flush();

    const devices = device === null ? [...this.files.keys()].sort() : this.files.has(device) ? [device] : [];
    const upper = cursor === null ? until : Math.min(until, cursor.t + 1);
    const days = new Set<string>();
    for (const id of devices) {
      for (const day of (this.files.get(id) as Map<string, FileInfo>).keys()) {
        const start = dayStart(day);
        if (start < upper && start + DAY_MS > since) days.add(day);
      }
    }
    const want = limit + 1; // one more than asked: is there a next page?
    const found: { snapshot: Snapshot; pos: Position }[] = [];
    const slicer = new Slicer();
    let pos: Position | null = cursor;
    for (const day of [...days].sort().reverse()) {
      while (found.length < want) {
        const need = want - found.length;
        const candidates: Candidate[] = [];
        for (const id of devices) {
          const info = this.files.get(id)?.get(day);
          if (info === undefined) continue;
          const index = await this.indexFor(id, day, info, slicer);
          if (index !== null) this.collect(index, info, id, need, since, upper, pos, candidates);
        }
        if (candidates.length === 0) break;
        candidates.sort(comparePositions);
        const chosen = candidates.slice(0, need);
        const decoded = await this.decodeCandidates(chosen, slicer);
        for (let k = 0; k < chosen.length; k++) {
          const candidate = chosen[k] as Candidate;
          const snapshot = decoded[k];
          pos = { t: candidate.t, device: candidate.device, line: candidate.line };
          if (snapshot) found.push({ snapshot, pos });
          else this.markCorrupt(candidate.index, candidate.info, candidate.line);
        }
      }
      if (found.length >= want) break;
    }
    const items = found.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((item) => item.snapshot),
      next_cursor: found.length > limit && last !== undefined ? encodeCursor(last.pos) : null,
    };
  }

  /**
   * Deletes day files wholly older than `retention_days` (before `now`), then, per device, the oldest files while
   * the device has more than `max_snapshots` stored (never its newest file, so a device keeps at least one day).
   */
  async applyRetention(limits: RetentionLimits, now: Date | number = Date.now()): Promise<RetentionResult> {
    const nowMs = now instanceof Date ? now.getTime() : now;
    if (!(limits.retention_days > 0) || !(limits.max_snapshots > 0) || !Number.isFinite(nowMs)) {
      throw new InvalidQueryError("retention", "retention_days and max_snapshots must be positive");
    }
    this.assertUsable();
    await this.counted(); // the count limit needs every file's count
    return this.exclusive(async () => {
      await this.drain();
      const cutoff = nowMs - limits.retention_days * DAY_MS;
      const result: RetentionResult = { deleted_files: 0, deleted_snapshots: 0 };
      for (const [device, days] of [...this.files]) {
        const ordered = [...days.keys()].sort();
        let total = 0;
        for (const info of days.values()) total += info.lines - info.corrupt.size;
        for (const day of ordered) {
          const info = days.get(day) as FileInfo;
          const tooOld = dayStart(day) + DAY_MS <= cutoff;
          const tooMany = total > limits.max_snapshots && day !== ordered[ordered.length - 1];
          if (!tooOld && !tooMany) break;
          if (await this.deleteFile(device, day)) {
            result.deleted_files++;
            result.deleted_snapshots += info.lines - info.corrupt.size;
            total -= info.lines - info.corrupt.size;
          }
        }
        if (days.size === 0) {
          this.files.delete(device);
          this.latestByDevice.delete(device);
          this.knownDirs.delete(device);
          await fsp.rmdir(path.join(this.base, device)).catch(() => undefined);
        }
      }
      return result;
    });
  }

  // ---- opening -------------------------------------------------------------------------------------------------

  /** Lists every file and indexes the newest of each device; returns the files left to count. */
  private async load(): Promise<{ device: string; day: string; info: FileInfo }[]> {
    const slicer = new Slicer();
    const rest: { device: string; day: string; info: FileInfo }[] = [];
    const listing = await listDeviceFiles(this.base, {
      pattern: DAY_FILE,
      startOf: dayStart,
      fail: (where, error) => this.fail(where, error),
    });
    if (!listing) return rest;
    this.failing.delete("");
    for (const { device, keys } of listing) {
      const days = keys.reverse();
      this.knownDirs.add(device);
      const infos = new Map<string, FileInfo>();
      this.files.set(device, infos);
      let latestFound = false;
      for (const day of days) {
        const info: FileInfo = { lines: 0, corrupt: new Set() };
        infos.set(day, info);
        const file = this.filePath(device, day);
        try {
          if (!latestFound) {
            // The newest files are indexed whole (at most a day): the latest snapshot and the writer's base.
            const index = await this.indexFor(device, day, info, slicer);
            if (index === null) {
              infos.delete(day);
              continue;
            }
            info.lines = index.count + (index.partialTail ? 1 : 0);
            if (index.partialTail) info.corrupt.add(index.count);
            const latest = await this.newestIn(index, info, device, slicer);
            if (latest !== null) {
              this.latestByDevice.set(device, latest);
              latestFound = true;
            }
          } else {
            rest.push({ device, day, info });
          }
        } catch (error) {
          if (isNotFound(error)) infos.delete(day);
          else this.fail(file, error);
        }
      }
      if (infos.size === 0) this.files.delete(device);
    }
    return rest;
  }

  /** Counts the lines of the files `open()` did not index, one at a time, with one read buffer. */
  private async countLater(files: { device: string; day: string; info: FileInfo }[]): Promise<void> {
    const slicer = new Slicer();
    const scratch = Buffer.allocUnsafe(1 << 20);
    for (const { device, day, info } of files) {
      if (this.state === "closed") break;
      const file = this.filePath(device, day);
      try {
        const counted = await countLines(file, slicer, scratch);
        info.lines = counted.lines + (counted.partialTail ? 1 : 0);
        if (counted.partialTail) info.corrupt.add(counted.lines);
      } catch (error) {
        if (isNotFound(error)) this.files.get(device)?.delete(day);
        else this.fail(file, error);
      }
    }
    this.countingDone = true;
  }

  /** The last line of a file (in append order, as `append` keeps latest) that decodes, or null. */
  private async newestIn(index: LineIndex, info: FileInfo, device: string, slicer: Slicer): Promise<Snapshot | null> {
    for (let end = index.count; end > 0; end -= 16) {
      const lines: number[] = [];
      for (let i = end - 1; i >= Math.max(0, end - 16); i--) if (!index.isCorrupt(i)) lines.push(i);
      const decoded = await this.decodeLines(device, index, lines, slicer);
      for (let j = 0; j < lines.length; j++) {
        const snapshot = decoded[j];
        const line = lines[j] as number;
        if (snapshot) return snapshot;
        this.markCorrupt(index, info, line);
      }
    }
    return null;
  }

  // ---- reading -------------------------------------------------------------------------------------------------

  private filePath(device: string, day: string): string {
    return path.join(this.base, device, `${day}.jsonl`);
  }

  /** The file's line index, brought up to date; null when the file is gone. */
  private async indexFor(device: string, day: string, info: FileInfo, slicer: Slicer): Promise<LineIndex | null> {
    const file = this.filePath(device, day);
    let index = this.indexes.get(file);
    if (index === undefined) {
      index = new LineIndex(file);
      while (this.indexes.size >= this.indexCacheFiles) {
        const oldest = this.indexes.keys().next().value as string;
        this.indexes.delete(oldest);
      }
    } else {
      this.indexes.delete(file);
    }
    this.indexes.set(file, index);
    try {
      await index.update(slicer);
    } catch (error) {
      this.indexes.delete(file);
      if (isNotFound(error)) return null;
      throw error;
    }
    for (const line of index.takeNewCorrupt()) info.corrupt.add(line);
    return index;
  }

  /** Up to `need` lines of one file in query order within the range and after `pos`. */
  private collect(
    index: LineIndex,
    info: FileInfo,
    device: string,
    need: number,
    since: number,
    upper: number,
    pos: Position | null,
    out: Candidate[],
  ): void {
    if (index.sorted) {
      let taken = 0;
      for (let i = index.lowerBound(upper) - 1; i >= 0 && taken < need; i--) {
        const t = index.ts(i);
        if (t < since) break;
        if (index.isCorrupt(i) || !isAfter(pos, t, device, i)) continue;
        out.push({ t, device, line: i, index, info });
        taken++;
      }
      return;
    }
    const mine: Candidate[] = [];
    for (let i = 0; i < index.count; i++) {
      const t = index.ts(i);
      if (t < since || t >= upper || index.isCorrupt(i) || !isAfter(pos, t, device, i)) continue;
      mine.push({ t, device, line: i, index, info });
    }
    mine.sort(comparePositions);
    for (const candidate of mine.slice(0, need)) out.push(candidate);
  }

  private async decodeCandidates(chosen: Candidate[], slicer: Slicer): Promise<(Snapshot | null)[]> {
    const byIndex = new Map<LineIndex, number[]>();
    for (let k = 0; k < chosen.length; k++) {
      const candidate = chosen[k] as Candidate;
      const list = byIndex.get(candidate.index);
      if (list) list.push(k);
      else byIndex.set(candidate.index, [k]);
    }
    const out: (Snapshot | null)[] = new Array(chosen.length).fill(null);
    for (const [index, ks] of byIndex) {
      const device = (chosen[ks[0] as number] as Candidate).device;
      const decoded = await this.decodeLines(
        device,
        index,
        ks.map((k) => (chosen[k] as Candidate).line),
        slicer,
      );
      ks.forEach((k, j) => (out[k] = decoded[j] ?? null));
    }
    return out;
  }

  /** Reads and rebuilds the given lines of one file (one read for the lines, one per base). */
  private async decodeLines(
    device: string,
    index: LineIndex,
    lines: number[],
    slicer: Slicer,
  ): Promise<(Snapshot | null)[]> {
    if (lines.length === 0) return [];
    let first = Infinity;
    let last = -1;
    for (const line of lines) {
      first = Math.min(first, line);
      last = Math.max(last, line);
    }
    const from = index.start(first);
    const to = index.end(last);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(index.path, "r");
    } catch (error) {
      if (isNotFound(error)) return lines.map(() => null);
      throw error;
    }
    try {
      const buf = Buffer.allocUnsafe(to - from);
      await handle.read(buf, 0, buf.length, from);
      const out: (Snapshot | null)[] = [];
      for (const line of lines) {
        const parsed = parseLine(buf.toString("utf8", index.start(line) - from, index.end(line) - from));
        let snapshot: Snapshot | null = null;
        if (parsed !== null) {
          let base: StoredSnapshot | null = null;
          if (!parsed.full) {
            const baseLine = index.baseOf(line);
            base = index.bases.get(baseLine) ?? (await this.baseFor(index, baseLine, handle));
          }
          snapshot = rebuild(device, parsed, base);
        }
        out.push(snapshot);
        if (slicer.due()) await slicer.yield();
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  private async baseFor(index: LineIndex, line: number, handle: fsp.FileHandle): Promise<StoredSnapshot | null> {
    if (line < 0) return null;
    const cached = index.bases.get(line);
    if (cached !== undefined) return cached;
    const start = index.start(line);
    const buf = Buffer.allocUnsafe(index.end(line) - start);
    await handle.read(buf, 0, buf.length, start);
    const parsed = parseLine(buf.toString("utf8"));
    const base = parsed !== null && parsed.full ? parsed.record : null;
    index.bases.set(line, base);
    return base;
  }

  private markCorrupt(index: LineIndex, info: FileInfo, line: number): void {
    index.markCorrupt(line);
    info.corrupt.add(line);
  }

  // ---- writing -------------------------------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** Runs `task` after every task queued before it: writes, retention and flushes never interleave. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async drain(): Promise<void> {
    await this.opening;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const groups = new Map<string, { device: string; day: string; items: Snapshot[] }>();
      for (const { snapshot, day } of batch) {
        const key = `${snapshot.device_id}/${day}`;
        const group = groups.get(key);
        if (group) group.items.push(snapshot);
        else groups.set(key, { device: snapshot.device_id, day, items: [snapshot] });
      }
      for (const group of groups.values()) await this.writeGroup(group.device, group.day, group.items);
    }
  }

  private async writeGroup(device: string, day: string, items: Snapshot[]): Promise<void> {
    const file = this.filePath(device, day);
    try {
      if (!this.knownDirs.has(device)) {
        await fsp.mkdir(path.join(this.base, device), { recursive: true });
        this.knownDirs.add(device);
      }
      const state = this.writeStates.get(file) ?? (await this.loadWriteState(device, day));
      let base = state.base;
      let baseLength = state.baseLength;
      let text = state.needsNewline ? "\n" : "";
      for (const snapshot of items) {
        let line = base === null ? null : encodeDelta(snapshot, base);
        if (line === null || line.length > baseLength * REBASE_RATIO) {
          line = encodeFull(snapshot);
          base = snapshot;
          baseLength = line.length;
        }
        text += line + "\n";
      }
      await fsp.appendFile(file, text);
      for (const [other, otherState] of this.writeStates) {
        if (otherState.device === device && other !== file) this.writeStates.delete(other);
      }
      this.writeStates.set(file, { device, base, baseLength, needsNewline: false });
      let days = this.files.get(device);
      if (days === undefined) this.files.set(device, (days = new Map()));
      const info = days.get(day);
      if (info) info.lines += items.length;
      else days.set(day, { lines: items.length, corrupt: new Set() });
      this.failing.delete(file);
    } catch (error) {
      this.writeStates.delete(file);
      this.dropped += items.length;
      this.fail(file, error);
    }
  }

  /** The writer's view of an existing file: its last full line (the base of new deltas) and a cut-off tail. */
  private async loadWriteState(device: string, day: string): Promise<WriteState> {
    const fresh: WriteState = { device, base: null, baseLength: 0, needsNewline: false };
    let days = this.files.get(device);
    let info = days?.get(day);
    const probe = info ?? { lines: 0, corrupt: new Set<number>() };
    const index = await this.indexFor(device, day, probe, new Slicer());
    if (index === null) return fresh;
    if (info === undefined) {
      // A file on disk that the store did not list (created after open, e.g. by a failed write).
      info = probe;
      info.lines = index.count + (index.partialTail ? 1 : 0);
      if (days === undefined) this.files.set(device, (days = new Map()));
      days.set(day, info);
    }
    const state: WriteState = { ...fresh, needsNewline: index.partialTail };
    if (index.lastFull >= 0) {
      const handle = await fsp.open(index.path, "r");
      try {
        const base = await this.baseFor(index, index.lastFull, handle);
        if (base !== null) {
          state.base = base;
          state.baseLength = encodeFull(base).length;
        }
      } finally {
        await handle.close();
      }
    }
    return state;
  }

  private async deleteFile(device: string, day: string): Promise<boolean> {
    const file = this.filePath(device, day);
    try {
      await fsp.unlink(file);
    } catch (error) {
      if (!isNotFound(error)) {
        this.fail(file, error);
        return false;
      }
    }
    this.files.get(device)?.delete(day);
    this.indexes.delete(file);
    this.writeStates.delete(file);
    this.failing.delete(file);
    return true;
  }

  private fail(where: string, error: unknown): void {
    this.failing.add(where);
    this.lastError = errorCode(error);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private assertUsable(): void {
    if (this.opening === null) throw new Error("snapshot store: open() first");
    if (this.state === "closed") throw new Error("snapshot store is closed");
  }
}
