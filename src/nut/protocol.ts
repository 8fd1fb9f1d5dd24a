/**
 * The text layer of NUT's network protocol: how words are quoted and escaped going out, and how a reply line is
 * split back into words. Values are double-quoted; inside quotes `"`, `\` and `#` are backslash-escaped.
 */
import { NutError } from "./errors";

/** A word that needs no quotes: NUT names and simple values. */
const BARE_WORD = /^[A-Za-z0-9._:+\-/@]+$/;
/** upsd drops non-printable and non-ASCII bytes, and a CR or LF would end the command early (injection). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function quote(value: string): string {
  return `"${value.replace(/[\\"#]/g, "\\$&")}"`;
}

/** Formats one command line (without the newline); throws BAD-REQUEST for a word upsd could not take safely. */
export function formatCommand(words: readonly string[]): string {
  return words.map(formatWord).join(" ");
}

function formatWord(word: string): string {
  if (!PRINTABLE_ASCII.test(word)) {
    throw new NutError("BAD-REQUEST", "values must be printable ASCII without line breaks");
  }
  return BARE_WORD.test(word) ? word : quote(word);
}

/**
 * Splits a reply line into words: bare words end at a space; a quoted word ends at the next unescaped quote and
 * `\X` stands for `X`. Lenient by design: NUT 2.8 drivers pass values with unescaped quotes through upsd, so an
 * unterminated quote takes the rest of the line rather than failing the whole reply.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    if (line[i] === '"') {
      const [word, next] = readQuoted(line, i + 1);
      words.push(word);
      i = next;
      continue;
    }
    const end = line.indexOf(" ", i);
    const stop = end === -1 ? line.length : end;
    words.push(line.slice(i, stop));
    i = stop;
  }
  return words;
}

function readQuoted(line: string, start: number): [string, number] {
  let word = "";
  let i = start;
  while (i < line.length) {
    const ch = line[i];
    if (ch === "\\" && i + 1 < line.length) {
      word += line[i + 1];
      i += 2;
      continue;
    }
    if (ch === '"') return [word, i + 1];
    word += ch;
    i++;
  }
  return [word, i];
}
