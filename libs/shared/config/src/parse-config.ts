import { type z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';
import { variableMeta } from './variables';

type Environment = Record<string, string | undefined>;

/** Parses the environment against an app's schema; throws a ConfigError naming every bad variable. */
export function parseConfig<Schema extends z.ZodType>(
  app: string,
  schema: Schema,
  environment: Environment = process.env,
): z.infer<Schema> {
  // An empty variable means "unset", as in most twelve-factor tooling.
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(root)');
    return { variable: name, expected: present[name] === undefined ? 'is required' : issue.message };
  });
  throw new ConfigError(app, issues);
}

/** Boot helper: on a bad environment, print what is wrong and stop the process. */
export function loadConfigOrExit<Schema extends z.ZodType>(app: string, schema: Schema): z.infer<Schema> {
  try {
    return parseConfig(app, schema);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** Names of the variables marked secret in a schema, for log redaction. */
export function secretVariables(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => variableMeta(field as z.ZodType)?.secret === true)
    .map(([name]) => name);
}
