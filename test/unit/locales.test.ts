/**
 * Labels and help in every language: each en-US key exists in de and the other way round, every node has help in
 * both, and every data-i18n key the editor templates use exists in en-US.
 */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const NODES = resolve(__dirname, "../../nodes");
const LANGUAGES = ["en-US", "de"];
const types = readdirSync(NODES)
  .filter((file) => file.endsWith(".html"))
  .map((file) => file.replace(/\.html$/, ""))
  .sort();

type Tree = { [key: string]: string | Tree };

/** "argus-nut.label.name" for every leaf of a locale file. */
function keysOf(tree: Tree, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [prefix + key] : keysOf(value, `${prefix}${key}.`),
  );
}

const labels = (language: string, type: string): Tree =>
  JSON.parse(readFileSync(join(NODES, "locales", language, `${type}.json`), "utf8")) as Tree;

/** The keys a template asks for: data-i18n="key", "[placeholder]key" and "[html]key;[title]other". */
function i18nKeysIn(html: string): string[] {
  const keys: string[] = [];
  for (const match of html.matchAll(/data-i18n="([^"]+)"/g)) {
    for (const part of (match[1] ?? "").split(";")) keys.push(part.replace(/^\[[a-z]+\]/, ""));
  }
  return keys;
}

/** `this._("key")` / `node._("key")` calls in the editor code. */
const codeKeysIn = (html: string): string[] => [...html.matchAll(/\b_\("([^"]+)"\)/g)].map((match) => match[1] ?? "");

describe("editor locales", () => {
  it("covers the five nodes", () => {
    assert.deepEqual(types, ["argus-alert", "argus-events", "argus-nut", "argus-server", "argus-snmp"]);
  });

  for (const type of types) {
    describe(type, () => {
      it("has labels and help in en-US and de", () => {
        for (const language of LANGUAGES) {
          for (const extension of ["json", "html"]) {
            const file = join(NODES, "locales", language, `${type}.${extension}`);
            assert.ok(existsSync(file), `missing ${file}`);
          }
          const help = readFileSync(join(NODES, "locales", language, `${type}.html`), "utf8");
          assert.match(help, new RegExp(`data-help-name="${type}"`));
        }
      });

      it("has the same label keys in en-US and de", () => {
        const english = keysOf(labels("en-US", type)).sort();
        const german = keysOf(labels("de", type)).sort();
        assert.deepEqual(
          english.filter((key) => !german.includes(key)),
          [],
          "en-US keys missing in de",
        );
        assert.deepEqual(
          german.filter((key) => !english.includes(key)),
          [],
          "de keys missing in en-US",
        );
      });

      it("defines in en-US every key its editor template and code use", () => {
        const html = readFileSync(join(NODES, `${type}.html`), "utf8");
        const defined = new Set(keysOf(labels("en-US", type)));
        const used = [...i18nKeysIn(html), ...codeKeysIn(html)];
        assert.ok(used.length > 0);
        assert.deepEqual(
          used.filter((key) => !defined.has(key)),
          [],
          `${type}.html uses keys not in en-US/${type}.json`,
        );
      });

      it("keeps the same help sections in de as in en-US", () => {
        const sections = (language: string) =>
          (readFileSync(join(NODES, "locales", language, `${type}.html`), "utf8").match(/<h3>/g) ?? []).length;
        assert.equal(sections("de"), sections("en-US"));
      });
    });
  }
});
