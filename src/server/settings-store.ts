/**
 * Small documents the server keeps across restarts: the runtime and alert configuration (with a fingerprint of
 * the editor values they were last deployed with, for precedence) and detector state. A handful of documents,
 * so nedb's load-everything model costs nothing here.
 */
import { createHash } from "node:crypto";
import type { Collection } from "./nedb";

interface SettingDoc {
  _id: string;
  value: unknown;
  editor?: string;
}

export class SettingsStore {
  constructor(private readonly collection: Collection) {}

  async get(key: string): Promise<SettingDoc | null> {
    return (await this.collection.findOne({ _id: key })) as SettingDoc | null;
  }

  async put(key: string, value: unknown, editorFingerprint?: string): Promise<void> {
    const doc: SettingDoc = { _id: key, value };
    if (editorFingerprint !== undefined) doc.editor = editorFingerprint;
    else {
      const existing = await this.get(key);
      if (existing?.editor !== undefined) doc.editor = existing.editor;
    }
    await this.collection.update({ _id: key }, doc, { upsert: true });
  }

  /**
   * The configuration to run with. The editor's values win when they differ from those last deployed (the newest
   * intent); otherwise what the API stored since is kept.
   */
  async resolve<T>(key: string, editorValue: T, parse: (stored: unknown) => T | null): Promise<T> {
    const fingerprint = fingerprintOf(editorValue);
    const stored = await this.get(key);
    const parsed = stored ? parse(stored.value) : null;
    if (stored && stored.editor === fingerprint && parsed !== null) return parsed;
    await this.put(key, editorValue, fingerprint);
    return editorValue;
  }
}

export function fingerprintOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("base64url");
}
