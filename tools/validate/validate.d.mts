// Types of validate.mjs for the mocha test that imports it.
export interface ScorecardCheck {
  test: boolean;
  packages?: string[];
  [key: string]: unknown;
}
export type Scorecard = Record<string, ScorecardCheck>;
export const KNOWN_FAILURES: Record<string, { packages: string[]; reason: string }>;
export const UNCHECKED_OFFLINE: string[];
export function runScorecard(): { scorecard: Scorecard; log: string };
export function unexpectedFailures(scorecard: Scorecard): string[];
