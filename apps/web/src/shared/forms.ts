import { type UseFormReturnType } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { type z } from 'zod';
import { ApiError, errorMessage } from './api-client';

/**
 * A @mantine/form `validate` function from a zod schema (the API's own), so the browser shows
 * the same messages at the same fields as the server would.
 */
export function zodValidate<Values>(schema: z.ZodType) {
  return (values: Values): Record<string, string> => {
    const result = schema.safeParse(values);
    if (result.success) return {};
    const errors: Record<string, string> = {};
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.') || '(body)';
      if (!(path in errors)) errors[path] = issue.message;
    }
    return errors;
  };
}

/**
 * Shows a failed request on the form: field errors at their fields, anything else as a
 * notification. Returns true when at least one field error was placed.
 */
export function showRequestError<Values>(form: UseFormReturnType<Values>, error: unknown): boolean {
  if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
    form.setErrors(error.fieldErrors);
    return true;
  }
  notifyError(error);
  return false;
}

export function notifyError(error: unknown, title = 'That did not work') {
  notifications.show({ color: 'red', title, message: errorMessage(error) });
}

export function notifySuccess(message: string, title?: string) {
  notifications.show({ color: 'teal', title, message });
}
