import { z } from 'zod';
import { instantSchema } from './schema-primitives';

export const apiKeyScopeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:*-]{1,64}$/, 'Must be 1–64 letters, digits or _ . : * -');

/** `POST …/keys`: the secret is returned once. */
export const apiKeyCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  scopes: z.array(apiKeyScopeSchema).max(50).optional(),
  /** Absent or null: no expiry. */
  expiresAt: instantSchema
    .refine((date) => date.getTime() > Date.now(), 'Must be in the future')
    .nullable()
    .optional(),
});

/** `POST …/keys/{id}/rotate`: the old key keeps working for the overlap (default one day). */
export const apiKeyRotateSchema = z.strictObject({
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional(),
});

export type ApiKeyCreateInput = z.input<typeof apiKeyCreateSchema>;
export type ApiKeyCreate = z.output<typeof apiKeyCreateSchema>;
export type ApiKeyRotate = z.output<typeof apiKeyRotateSchema>;
