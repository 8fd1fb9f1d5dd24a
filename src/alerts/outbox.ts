/**
 * The alert outbox: an alert is written here before its first send and taken out once every provider has its
 * final answer, so an alert pending at a restart is delivered after it, and one already delivered is not sent
 * again. An entry names the providers still owed the message, never their secrets (those stay in the
 * configuration). The dispatcher's cooldown memory rides along, so a restart neither repeats an alert inside
 * its cooldown nor forgets which problem a recovery ends.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { AlertMessage } from "./message";

export interface OutboxEntry {
  /** The alert's id (the event id for an event). */
  id: string;
  /** ISO 8601: when the alert was accepted. */
  created_at: string;
  message: AlertMessage;
  /** Names of the providers still owed this message. */
  providers: string[];
}

/** What the dispatcher remembers between alerts. */
export interface DispatcherMemory {
  /** `device_id \u0000 type` to the epoch ms of the last alert sent for it. */
  last_sent: Record<string, number>;
  /** `device_id \u0000 type` of problems alerted and not yet recovered. */
  open: string[];
  /** Ids of the latest alerts accepted, so the same event handed over twice alerts once. */
  recent_ids: string[];
}

export interface AlertOutbox {
  /** Adds the entry, or replaces the one with its id. */
  put(entry: OutboxEntry): Promise<void>;
  /** Removes the entry (no error when there is none). */
  done(id: string): Promise<void>;
  /** Every entry, oldest first. */
  pending(): Promise<OutboxEntry[]>;
  loadState?(): Promise<DispatcherMemory | null>;
  saveState?(state: DispatcherMemory): Promise<void>;
}

const clone = <T>(value: T): T => structuredClone(value);

/** For the node without a server and for tests: survives nothing but keeps the same contract. */
export class MemoryAlertOutbox implements AlertOutbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private state: DispatcherMemory | null = null;

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(entry.id, clone(entry));
  }

  async done(id: string): Promise<void> {
    this.entries.delete(id);
  }

  async pending(): Promise<OutboxEntry[]> {
    return [...this.entries.values()].map(clone);
  }

  async loadState(): Promise<DispatcherMemory | null> {
    return this.state ? clone(this.state) : null;
  }

  async saveState(state: DispatcherMemory): Promise<void> {
    this.state = clone(state);
  }
}

interface OutboxFile {
  version: 1;
  entries: OutboxEntry[];
  state: DispatcherMemory | null;
}

export const OUTBOX_FILE_NAME = "alert-outbox.json";

function isEntry(value: unknown): value is OutboxEntry {
  const entry = value as Partial<OutboxEntry> | null;
  return (
    typeof entry === "object" &&
    entry !== null &&
    typeof entry.id === "string" &&
    typeof entry.created_at === "string" &&
    typeof entry.message === "object" &&
    entry.message !== null &&
    typeof entry.message.id === "string" &&
    Array.isArray(entry.providers) &&
    entry.providers.every((name) => typeof name === "string")
  );
}

function isMemory(value: unknown): value is DispatcherMemory {
  const memory = value as Partial<DispatcherMemory> | null;
  return (
    typeof memory === "object" &&
    memory !== null &&
    typeof memory.last_sent === "object" &&
    memory.last_sent !== null &&
    Object.values(memory.last_sent).every((ms) => typeof ms === "number") &&
    Array.isArray(memory.open) &&
    memory.open.every((key) => typeof key === "string") &&
    Array.isArray(memory.recent_ids) &&
    memory.recent_ids.every((id) => typeof id === "string")
  );
}

export interface FileAlertOutboxOptions {
  fileName?: string;
  /** Told when the file was unreadable and set aside (renamed `<file>.corrupt-<time>`), so it can be logged. */
  onCorrupt?: (error: Error) => void;
}

/**
 * One JSON file in a directory the caller gives (the server's store directory), rewritten whole on every
 * change through a temporary file, fsync and rename: after a crash it holds either the old or the new content.
 * Alerts are rare, so a whole-file write per change costs nothing that matters.
 */
export class FileAlertOutbox implements AlertOutbox {
  readonly path: string;
  private data: OutboxFile | null = null;
  private loading: Promise<OutboxFile> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly options: FileAlertOutboxOptions = {},
  ) {
    this.path = join(dir, options.fileName ?? OUTBOX_FILE_NAME);
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.change((data) => {
      const index = data.entries.findIndex((existing) => existing.id === entry.id);
      if (index >= 0) data.entries[index] = clone(entry);
      else data.entries.push(clone(entry));
    });
  }

  async done(id: string): Promise<void> {
    await this.change((data) => {
      data.entries = data.entries.filter((entry) => entry.id !== id);
    });
  }

  async pending(): Promise<OutboxEntry[]> {
    return (await this.load()).entries.map(clone);
  }

  async loadState(): Promise<DispatcherMemory | null> {
    const { state } = await this.load();
    return state ? clone(state) : null;
  }

  async saveState(state: DispatcherMemory): Promise<void> {
    await this.change((data) => {
      data.state = clone(state);
    });
  }

  private load(): Promise<OutboxFile> {
    if (this.data) return Promise.resolve(this.data);
    this.loading ??= this.read().then((data) => {
      this.data = data;
      return data;
    });
    return this.loading;
  }

  private async read(): Promise<OutboxFile> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, entries: [], state: null };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<OutboxFile>;
      if (parsed.version !== 1 || !Array.isArray(parsed.entries)) throw new Error("not an alert outbox file");
      return {
        version: 1,
        entries: parsed.entries.filter(isEntry),
        state: isMemory(parsed.state) ? parsed.state : null,
      };
    } catch (error) {
      const aside = `${this.path}.corrupt-${Date.now()}`;
      await rename(this.path, aside).catch(() => undefined);
      this.options.onCorrupt?.(
        new Error(`alert outbox ${this.path} was unreadable (${(error as Error).message}); moved to ${aside}`),
      );
      return { version: 1, entries: [], state: null };
    }
  }

  /** Applies `mutate` and writes the file; changes are written one at a time, in call order. */
  private change(mutate: (data: OutboxFile) => void): Promise<void> {
    const next = this.writing.then(async () => {
      const data = await this.load();
      mutate(data);
      await this.write(data);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(data: OutboxFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString("hex")}.tmp`;
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(data));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    // The rename is durable once the directory is synced; not every platform lets a directory be opened.
    const dirHandle = await open(this.dir, "r").catch(() => null);
    if (dirHandle)
      await dirHandle
        .sync()
        .catch(() => undefined)
        .finally(() => dirHandle.close());
  }
}
