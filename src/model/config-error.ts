import type { z } from "zod";

export interface ConfigIssue {
  path: string;
  message: string;
}

/** A configuration that cannot run, with every problem named by its field, for a node status or a 422. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID";

  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; "));
  }

  static fromZod(error: z.ZodError): ConfigError {
    return new ConfigError(error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })));
  }
}
