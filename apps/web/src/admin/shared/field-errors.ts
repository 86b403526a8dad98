import { type z } from 'zod';
import { ApiError, errorMessage } from '../../shared/api-client';

/** Error messages by dotted field path (`quota.limit`, `prices.0.currency`); `_` for the form. */
export type FieldErrors = Record<string, string>;

/** The zod issues of a failed parse, first message per field, with the API's dotted paths. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.') || '_';
    errors[field] ??= issue.message;
  }
  return errors;
}

/** The field errors of an API problem (400 `errors[]`, 409 naming a field), else its message under `_`. */
export function apiFieldErrors(error: unknown): FieldErrors {
  if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
    return { ...error.fieldErrors };
  }
  return { _: errorMessage(error) };
}

/** Validates `body` with the API's own schema: ok, or the field errors to show. */
export function validate<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; value: z.output<S> } | { ok: false; errors: FieldErrors } {
  const result = schema.safeParse(body);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: zodFieldErrors(result.error) };
}

/** Errors under `prefix.` with the prefix removed (a nested editor's own fields). */
export function errorsUnder(errors: FieldErrors, prefix: string): FieldErrors {
  const nested: FieldErrors = {};
  for (const [field, message] of Object.entries(errors)) {
    if (field.startsWith(`${prefix}.`)) nested[field.slice(prefix.length + 1)] = message;
    else if (field === prefix) nested._ = message;
  }
  return nested;
}

/** Messages for fields the form has no input for (shown above the submit button). */
export function unplacedErrors(errors: FieldErrors, placed: readonly string[]): string[] {
  return Object.entries(errors)
    .filter(([field]) => !placed.some((name) => field === name || field.startsWith(`${name}.`)))
    .map(([field, message]) => (field === '_' ? message : `${field}: ${message}`));
}
