/**
 * Where the lines of one snapshot day file are, when each was taken and which are full lines, built by reading the
 * file in 1 MB chunks (time-sliced) and extended incrementally as the file grows. About 21 bytes a line, so a day
 * of one device polled every 10 s costs ~180 KB. Only complete lines (ended by `\n`) are indexed; a trailing
 * fragment is an append under way or a write that a crash cut short.
 */
import { promises as fsp } from "node:fs";
import { parseSnapshotTs } from "./keys";
import type { StoredSnapshot } from "./snapshot-codec";
import { Slicer } from "./slicer";

const NL = 0x0a;
const QUOTE = 0x22;
const CLOSE = 0x7d;
const FULL_PREFIX = Buffer.from('{"f":1,"ts":"', "latin1");
const DELTA_PREFIX = Buffer.from('{"ts":"', "latin1");
const CHUNK = 1 << 20;

const FLAG_FULL = 1;
const FLAG_CORRUPT = 2;

function startsWith(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ"` read straight from the bytes; NaN when the text is in any other form. */
function fastIsoMs(buf: Buffer, p: number, end: number): number {
  if (end - p < 25 || buf[p + 24] !== QUOTE || buf[p + 23] !== 0x5a) return NaN;
  if (buf[p + 4] !== 0x2d || buf[p + 7] !== 0x2d || buf[p + 10] !== 0x54) return NaN;
  if (buf[p + 13] !== 0x3a || buf[p + 16] !== 0x3a || buf[p + 19] !== 0x2e) return NaN;
  const d = (i: number): number => {
    const c = (buf[p + i] as number) - 48;
    return c >= 0 && c <= 9 ? c : NaN;
  };
  const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const month = d(5) * 10 + d(6);
  const day = d(8) * 10 + d(9);
  const hour = d(11) * 10 + d(12);
  const minute = d(14) * 10 + d(15);
  const second = d(17) * 10 + d(18);
  const ms = d(20) * 100 + d(21) * 10 + d(22);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) {
    return NaN;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

export class LineIndex {
  /** Complete lines indexed. */
  count = 0;
  /** Bytes covered by those lines (the offset after the last `\n`). */
  indexedBytes = 0;
  /** Bytes follow the last complete line (as of the last scan). */
  partialTail = false;
  /** Timestamps never decrease from one line to the next (the normal case: then no sort is needed). */
  sorted = true;
  /** The last full line, -1 when there is none. */
  lastFull = -1;
  /** Every full line, ascending (few: one per file, plus rebases). */
  private fullLines: number[] = [];
  /** Parsed full lines (bases of deltas) by line number, filled by the reader; null: unreadable. */
  readonly bases = new Map<number, StoredSnapshot | null>();
  private queue: Promise<void> = Promise.resolve();
  /** Lines found unusable while indexing since the last `takeNewCorrupt()`. */
  private newCorrupt: number[] = [];
  private starts = new Float64Array(1024);
  private times = new Float64Array(1024);
  private flags = new Uint8Array(1024);

  constructor(readonly path: string) {}

  /** Byte range of line `i` without its `\n`. */
  start(i: number): number {
    return this.starts[i] as number;
  }
  end(i: number): number {
    return (i + 1 < this.count ? (this.starts[i + 1] as number) : this.indexedBytes) - 1;
  }
  /** Epoch ms of line `i`; a corrupt line carries its predecessor's time (so it never breaks `sorted`). */
  ts(i: number): number {
    return this.times[i] as number;
  }
  isCorrupt(i: number): boolean {
    return ((this.flags[i] as number) & FLAG_CORRUPT) !== 0;
  }
  markCorrupt(i: number): void {
    this.flags[i] = (this.flags[i] as number) | FLAG_CORRUPT;
  }
  /** The full line that line `i` is a delta against (itself when full), -1 when none. */
  baseOf(i: number): number {
    const full = this.fullLines;
    let lo = 0;
    let hi = full.length; // first full line after i
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((full[mid] as number) <= i) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -1 : (full[lo - 1] as number);
  }
  /** Index of the first line with ts >= `t` (files that are `sorted` only). */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** Lines found corrupt by the scans since the last call. */
  takeNewCorrupt(): number[] {
    const lines = this.newCorrupt;
    this.newCorrupt = [];
    return lines;
  }

  /** Reads what was appended since the last call (everything, the first time). ENOENT propagates. */
  update(slicer: Slicer = new Slicer()): Promise<void> {
    const run = this.queue.then(() => this.scan(slicer));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async scan(slicer: Slicer): Promise<void> {
    const handle = await fsp.open(this.path, "r");
    try {
      const size = (await handle.stat()).size;
      if (size < this.indexedBytes) this.reset();
      let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size - this.indexedBytes, 64)));
      let pos = this.indexedBytes;
      while (pos < size) {
        const want = Math.min(buf.length, size - pos);
        const { bytesRead } = await handle.read(buf, 0, want, pos);
        if (bytesRead === 0) break;
        const lastNl = buf.lastIndexOf(NL, bytesRead - 1);
        if (lastNl < 0) {
          if (pos + bytesRead >= size) break; // a fragment at the end
          const bigger = Buffer.allocUnsafe(buf.length * 2); // one line longer than the buffer
          buf = bigger;
          continue;
        }
        let s = 0;
        while (s <= lastNl) {
          const nl = buf.indexOf(NL, s);
          this.add(buf, s, nl, pos + s);
          s = nl + 1;
        }
        pos += lastNl + 1;
        this.indexedBytes = pos;
        await slicer.maybeYield();
      }
      this.partialTail = this.indexedBytes < size;
    } finally {
      await handle.close();
    }
  }

  private reset(): void {
    this.count = 0;
    this.indexedBytes = 0;
    this.sorted = true;
    this.lastFull = -1;
    this.fullLines = [];
    this.newCorrupt = [];
    this.bases.clear();
  }

  private add(buf: Buffer, s: number, nl: number, offset: number): void {
    if (this.count === this.starts.length) this.grow();
    const i = this.count++;
    this.starts[i] = offset;
    let flags = 0;
    let p = -1;
    if (startsWith(buf, s, nl, FULL_PREFIX)) {
      flags = FLAG_FULL;
      p = s + FULL_PREFIX.length;
    } else if (startsWith(buf, s, nl, DELTA_PREFIX)) {
      p = s + DELTA_PREFIX.length;
    }
    let t = NaN;
    if (p >= 0 && buf[nl - 1] === CLOSE) {
      t = fastIsoMs(buf, p, nl);
      if (Number.isNaN(t)) {
        const q = buf.indexOf(QUOTE, p);
        if (q > 0 && q < nl) t = parseSnapshotTs(buf.toString("latin1", p, q));
      }
    }
    const previous = i > 0 ? (this.times[i - 1] as number) : -Infinity;
    if (Number.isNaN(t)) {
      flags = FLAG_CORRUPT;
      t = previous;
      this.newCorrupt.push(i);
    } else if (t < previous) {
      this.sorted = false;
    }
    if (flags & FLAG_FULL) {
      this.lastFull = i;
      this.fullLines.push(i);
    }
    this.times[i] = t;
    this.flags[i] = flags;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const starts = new Float64Array(size);
    starts.set(this.starts);
    const times = new Float64Array(size);
    times.set(this.times);
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.starts = starts;
    this.times = times;
    this.flags = flags;
  }

  /** Approximate bytes this index holds (for the cache's budget). */
  get memoryBytes(): number {
    return this.starts.length * 17;
  }
}

/** Lines of a file without indexing it: complete lines and whether a fragment follows the last one. */
export async function countLines(
  path: string,
  slicer: Slicer = new Slicer(),
  scratch?: Buffer,
): Promise<{ lines: number; partialTail: boolean }> {
  const handle = await fsp.open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const buf = scratch ?? Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 64)));
    let lines = 0;
    let pos = 0;
    let last = NL;
    while (pos < size) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      const data = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
      let at = data.indexOf(NL, 0);
      while (at >= 0) {
        lines++;
        at = data.indexOf(NL, at + 1);
      }
      last = buf[bytesRead - 1] as number;
      pos += bytesRead;
      await slicer.maybeYield();
    }
    return { lines, partialTail: size > 0 && last !== NL };
  } finally {
    await handle.close();
  }
}
