import { ValidationError, type FieldIssue } from '@tollgate/errors';
import { type z } from 'zod';

/** Zod issues as field issues: `field` is the dotted path (`quota.limit`, `prices.0.currency`). */
export function fieldIssuesOf(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      // One entry per unknown key, so each names the field the client should drop.
      for (const key of issue.keys) {
        issues.push({ field: path ? `${path}.${key}` : key, message: 'Unknown field' });
      }
      continue;
    }
    issues.push({ field: path || '(body)', message: issue.message });
  }
  return issues;
}

/** Parses `input` with `schema`, or throws a ValidationError naming every invalid field. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldIssuesOf(result.error));
  return result.data;
}
