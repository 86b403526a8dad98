import { z } from 'zod';
import { emailSchema, httpUrlSchema, limitQuerySchema } from './schema-primitives';

/**
 * `PUT /api/portal/alert-settings`: where a developer's usage alerts go, besides the account email.
 * Both fields are required (the settings are replaced); `webhookUrl: null` turns webhooks off.
 */
export const alertSettingsInputSchema = z.strictObject({
  billingEmails: z
    .array(emailSchema)
    .max(20, 'At most 20 addresses')
    .transform((emails) => [...new Set(emails)]),
  webhookUrl: httpUrlSchema.nullable(),
});

export type AlertSettingsInput = z.output<typeof alertSettingsInputSchema>;

/** `?limit=` of the delivery and alert lists (1–200, default 50). */
export const deliveryListQuerySchema = z.strictObject({ limit: limitQuerySchema });

export type DeliveryListQuery = z.output<typeof deliveryListQuerySchema>;
