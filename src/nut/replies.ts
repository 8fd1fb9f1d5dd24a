/** Parsers for the reply lines of NUT's `GET` and `LIST` commands. */
import { NutError } from "./errors";
import { splitWords } from "./protocol";

/**
 * The value of `VAR <ups> <name> "<value>"`. Everything after the name belongs to the value: NUT 2.8 drivers can
 * pass values with unescaped quotes through upsd, and taking the rest of the line survives them.
 */
export function parseVarLine(line: string): { name: string; value: string } {
  const first = line.indexOf(" ");
  const second = first === -1 ? -1 : line.indexOf(" ", first + 1);
  const third = second === -1 ? -1 : line.indexOf(" ", second + 1);
  if (!line.startsWith("VAR ") || third === -1) throw new NutError("PROTOCOL", "malformed VAR line");
  return { name: line.slice(second + 1, third), value: unquoteRest(line.slice(third + 1)) };
}

function unquoteRest(rest: string): string {
  if (rest.length >= 2 && rest.startsWith('"') && rest.endsWith('"')) {
    return rest.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return splitWords(rest)[0] ?? "";
}

export function parseVarList(items: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = Object.create(null);
  for (const item of items) {
    const { name, value } = parseVarLine(item);
    vars[name] = value;
  }
  return vars;
}

export interface UpsListing {
  name: string;
  description: string;
}

/** Items of `LIST UPS`: `UPS <name> "<description>"`. */
export function parseUpsList(items: readonly string[]): UpsListing[] {
  return items.map((item) => {
    const [, name = "", description = ""] = splitWords(item);
    return { name, description };
  });
}

/** Items of `LIST CMD <ups>`: `CMD <ups> <command>`. */
export function parseCmdList(items: readonly string[]): string[] {
  return items.map((item) => splitWords(item)[2] ?? "").filter(Boolean);
}
