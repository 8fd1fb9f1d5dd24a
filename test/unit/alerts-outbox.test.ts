import { strict as assert } from "node:assert";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testMessage } from "../../src/alerts/message";
import type { AlertOutbox, OutboxEntry } from "../../src/alerts/outbox";
import { FileAlertOutbox, MemoryAlertOutbox, OUTBOX_FILE_NAME } from "../../src/alerts/outbox";

function entry(id: string, providers = ["a", "b"]): OutboxEntry {
  return {
    id,
    created_at: "2026-11-27T10:00:00.000Z",
    message: testMessage(new Date("2026-11-27T10:00:00.000Z"), id),
    providers,
  };
}

function contract(name: string, make: () => Promise<AlertOutbox>): void {
  describe(`alerts outbox contract: ${name}`, () => {
    it("put adds or replaces by id, done removes, pending lists oldest first", async () => {
      const outbox = await make();
      await outbox.put(entry("one"));
      await outbox.put(entry("two"));
      await outbox.put(entry("one", ["b"]));
      assert.deepEqual(
        (await outbox.pending()).map((e) => [e.id, e.providers]),
        [
          ["one", ["b"]],
          ["two", ["a", "b"]],
        ],
      );
      await outbox.done("one");
      await outbox.done("missing");
      assert.deepEqual(
        (await outbox.pending()).map((e) => e.id),
        ["two"],
      );
    });

    it("hands out copies: changing one does not change the outbox", async () => {
      const outbox = await make();
      const original = entry("x");
      await outbox.put(original);
      original.providers.push("c");
      const [listed] = await outbox.pending();
      listed?.providers.push("d");
      assert.deepEqual((await outbox.pending())[0]?.providers, ["a", "b"]);
    });

    it("keeps the dispatcher's memory", async () => {
      const outbox = await make();
      assert.equal(await outbox.loadState?.(), null);
      await outbox.saveState?.({ last_sent: { "ups\u0000ONBATT": 5 }, open: ["ups\u0000ONBATT"], recent_ids: ["e1"] });
      assert.deepEqual(await outbox.loadState?.(), {
        last_sent: { "ups\u0000ONBATT": 5 },
        open: ["ups\u0000ONBATT"],
        recent_ids: ["e1"],
      });
    });
  });
}

describe("alerts outbox", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "argus-outbox-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  contract("memory", async () => new MemoryAlertOutbox());
  contract("file", async () => new FileAlertOutbox(dir));

  it("file: a new instance over the same directory sees what the last one wrote", async () => {
    const first = new FileAlertOutbox(join(dir, "store"));
    await first.put(entry("one"));
    await first.saveState({ last_sent: {}, open: [], recent_ids: ["one"] });
    const second = new FileAlertOutbox(join(dir, "store"));
    assert.deepEqual(
      (await second.pending()).map((e) => e.id),
      ["one"],
    );
    assert.deepEqual((await second.loadState())?.recent_ids, ["one"]);
  });

  it("file: written whole through temp+rename, private, no temporary file left", async () => {
    const outbox = new FileAlertOutbox(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.put(entry(`e${i}`))));
    assert.deepEqual(await readdir(dir), [OUTBOX_FILE_NAME]);
    const parsed = JSON.parse(await readFile(join(dir, OUTBOX_FILE_NAME), "utf8")) as { entries: unknown[] };
    assert.equal(parsed.entries.length, 20);
    assert.equal((await stat(join(dir, OUTBOX_FILE_NAME))).mode & 0o777, 0o600);
  });

  it("file: an unreadable file is set aside and reported; the outbox starts empty", async () => {
    await writeFile(join(dir, OUTBOX_FILE_NAME), "{not json");
    const reports: Error[] = [];
    const outbox = new FileAlertOutbox(dir, { onCorrupt: (error) => reports.push(error) });
    assert.deepEqual(await outbox.pending(), []);
    assert.equal(reports.length, 1);
    assert.ok((await readdir(dir)).some((name) => name.startsWith(`${OUTBOX_FILE_NAME}.corrupt-`)));
  });

  it("file: malformed entries are skipped, valid ones kept", async () => {
    const good = entry("good");
    await writeFile(
      join(dir, OUTBOX_FILE_NAME),
      JSON.stringify({ version: 1, entries: [good, { id: 3 }, null], state: { open: "x" } }),
    );
    const outbox = new FileAlertOutbox(dir);
    assert.deepEqual(
      (await outbox.pending()).map((e) => e.id),
      ["good"],
    );
    assert.equal(await outbox.loadState(), null);
  });
});
