// `npm run validate`: the flow library scorecard (`node-red-dev validate`) run offline, with the catalogue request
// answered by catalogue-stub.cjs. Fails on any failed check except the known ones listed below, each with its reason.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

/**
 * Checks that fail on purpose. D03 (dependencies at their latest version): undici 8 requires Node >= 22.19, and
 * Argus supports Node 20 (engines ">=20"), so it stays on undici 7.
 */
export const KNOWN_FAILURES = {
  D03: { packages: ["undici"], reason: "undici 8 needs Node >= 22.19; Argus supports Node 20 and stays on undici 7" },
};

/** Checks the scorecard cannot make here: the catalogue is stubbed, so N01 and P08 pass unchecked. */
export const UNCHECKED_OFFLINE = ["N01", "P08"];

/** Runs node-red-dev validate on the package and returns its scorecard. */
export function runScorecard() {
  const dir = mkdtempSync(join(tmpdir(), "argus-scorecard-"));
  const output = join(dir, "scorecard.json");
  try {
    const bin = join(dirname(require.resolve("node-red-dev/package.json")), "bin", "run");
    const stub = join(ROOT, "tools", "validate", "catalogue-stub.cjs");
    const log = execFileSync(process.execPath, [bin, "validate", "-p", ROOT, "-o", output], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${stub}`.trim() },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 180_000,
    });
    return { scorecard: JSON.parse(readFileSync(output, "utf8")), log };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The failed checks that are not known failures (with exactly their known packages), as messages. */
export function unexpectedFailures(scorecard) {
  const problems = [];
  for (const [check, result] of Object.entries(scorecard)) {
    if (check === "package" || result.test) continue;
    const known = KNOWN_FAILURES[check];
    if (known && JSON.stringify([...(result.packages ?? [])].sort()) === JSON.stringify(known.packages)) continue;
    problems.push(`${check} failed: ${JSON.stringify(result)}`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { scorecard, log } = runScorecard();
  process.stdout.write(log);
  for (const [check, known] of Object.entries(KNOWN_FAILURES)) {
    if (scorecard[check] && !scorecard[check].test) console.log(`known failure ${check}: ${known.reason}`);
  }
  console.log(`not checked offline: ${UNCHECKED_OFFLINE.join(", ")} (catalogue stubbed)`);
  const problems = unexpectedFailures(scorecard);
  for (const problem of problems) console.error(problem);
  process.exit(problems.length === 0 ? 0 : 1);
}
