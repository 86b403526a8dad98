export interface ConfigIssue {
  variable: string;
  expected: string;
}

/** Thrown when the environment does not satisfy an app's config schema; names every offending variable. */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `Invalid configuration for ${app}:\n` +
        issues.map((issue) => `  - ${issue.variable}: ${issue.expected}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
