import { alertSettingsInputSchema } from '@tollgate/plans-domain';

/** The alert settings form: the extra addresses and the webhook URL as typed. */
export interface SettingsValues {
  billingEmails: string[];
  webhookUrl: string;
}

/** `PUT /api/portal/alert-settings` body: a blank webhook URL turns webhooks off. */
export function toInput(values: SettingsValues) {
  return { billingEmails: values.billingEmails, webhookUrl: values.webhookUrl.trim() || null };
}

/** Errors by form field; an address's error names its position in the list. */
export function validateSettings(values: SettingsValues): Record<string, string> {
  const result = alertSettingsInputSchema.safeParse(toInput(values));
  if (result.success) return {};
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0] === 'billingEmails' ? 'billingEmails' : String(issue.path[0] ?? 'webhookUrl');
    errors[field] ??=
      issue.path.length > 1 ? `${issue.message} (address ${Number(issue.path[1]) + 1})` : issue.message;
  }
  return errors;
}
