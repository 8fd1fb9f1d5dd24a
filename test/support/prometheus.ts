/**
 * Reads a Prometheus text exposition (format 0.0.4) for the tests: parse-prometheus-text-format does the parsing
 * (the prom2json shape), after a line-by-line check of what that parser is lenient about: every family once,
 * HELP then TYPE before its samples, valid metric and label names, label values escaped, values as the format
 * spells them, and a final line feed.
 */
import { strict as assert } from "node:assert";
import { isDeepStrictEqual } from "node:util";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";

const METRIC_NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = "(?:NaN|[+-]Inf|[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)";
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{${LABEL}(?:,${LABEL})*\\})? ${VALUE}$`);
const HELP_LINE = new RegExp(`^# HELP (${METRIC_NAME}) (.+)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (gauge|counter|histogram|summary|untyped)$`);

/** The families by name, in exposition order. Fails the test on anything a strict parser would refuse. */
export function parseExposition(text: string): Map<string, PrometheusFamily> {
  assert.ok(text === "" || text.endsWith("\n"), "the exposition ends with a line feed");
  const lines = text.split("\n").slice(0, -1);
  const seen = new Set<string>();
  let current: string | null = null;
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    const help = HELP_LINE.exec(line);
    if (help) {
      const name = help[1] as string;
      assert.ok(!seen.has(name), `${where}: family ${name} appears once`);
      assert.match(lines[index + 1] ?? "", new RegExp(`^# TYPE ${name} `), `${where}: TYPE follows HELP`);
      seen.add(name);
      current = name;
      return;
    }
    const type = TYPE_LINE.exec(line);
    if (type) {
      assert.equal(type[1], current, `${where}: TYPE of the family its HELP opened`);
      return;
    }
    const sample = SAMPLE_LINE.exec(line);
    assert.ok(sample, `${where}: a HELP, TYPE or sample line`);
    assert.equal(sample[1], current, `${where}: a sample of the current family`);
  });

  const families = new Map<string, PrometheusFamily>();
  for (const family of parsePrometheusTextFormat(text)) {
    assert.ok(!families.has(family.name), `family ${family.name} parsed once`);
    families.set(family.name, family);
  }
  assert.deepEqual([...families.keys()], [...seen], "the parser saw the families the lines declare");
  return families;
}

/** The value of the one sample of `name` whose labels are exactly `labels`; undefined when there is none. */
export function sampleValue(
  families: ReadonlyMap<string, PrometheusFamily>,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const matches = (families.get(name)?.metrics ?? []).filter((sample) =>
    isDeepStrictEqual(sample.labels ?? {}, labels),
  );
  assert.ok(matches.length <= 1, `${name}${JSON.stringify(labels)} appears at most once`);
  const value = matches[0]?.value;
  return value === undefined ? undefined : Number(value);
}

/** Every label set of a family's samples. */
export function labelSets(families: ReadonlyMap<string, PrometheusFamily>, name: string): Record<string, string>[] {
  return (families.get(name)?.metrics ?? []).map((sample) => sample.labels ?? {});
}
