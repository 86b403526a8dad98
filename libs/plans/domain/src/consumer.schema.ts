import { z } from 'zod';
import {
  emailSchema,
  httpUrlSchema,
  instantSchema,
  limitQuerySchema,
  nameSchema,
  timeZoneSchema,
} from './schema-primitives';

export const consumerStatuses = ['active', 'suspended'] as const;

const billingEmailsSchema = z.array(emailSchema).max(20);

/** The consumer's id in the provider's identity system (a JWT's consumer claim), e.g. `auth0|42`. */
export const externalIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'Must be 1 to 200 printable ASCII characters without spaces');

/** `POST /api/admin/consumers`: creates the consumer and its subscription to `planId`. */
export const consumerCreateSchema = z.strictObject({
  name: nameSchema,
  email: emailSchema,
  planId: z.string().min(1).max(100),
  /** The billing period follows the consumer's local calendar. */
  timeZone: timeZoneSchema.default('UTC'),
  billingEmails: billingEmailsSchema.default([]),
  /** Alerts are POSTed here, signed with a generated `whsec_…` secret. */
  webhookUrl: httpUrlSchema.nullable().default(null),
  /** Unique; JWT bearer tokens whose consumer claim equals it identify this consumer. */
  externalId: externalIdSchema.nullable().default(null),
});

/**
 * `PATCH /api/admin/consumers/{id}`. A plan change (`planId` and/or `planVersion`) applies now when
 * `effectiveAt` is absent or past, else it is scheduled on the subscription.
 */
export const consumerPatchSchema = z
  .strictObject({
    name: nameSchema.optional(),
    email: emailSchema.optional(),
    billingEmails: billingEmailsSchema.optional(),
    webhookUrl: httpUrlSchema.nullable().optional(),
    externalId: externalIdSchema.nullable().optional(),
    status: z.enum(consumerStatuses).optional(),
    suspendedReason: z.string().trim().min(1).max(500).optional(),
    planId: z.string().min(1).max(100).optional(),
    planVersion: z.number().int().min(1).optional(),
    effectiveAt: instantSchema.optional(),
  })
  .superRefine((patch, context) => {
    if (patch.suspendedReason !== undefined && patch.status !== 'suspended') {
      context.addIssue({
        code: 'custom',
        path: ['suspendedReason'],
        message: 'Only with status "suspended"',
      });
    }
    if (patch.effectiveAt !== undefined && patch.planId === undefined && patch.planVersion === undefined) {
      context.addIssue({ code: 'custom', path: ['effectiveAt'], message: 'Only with planId or planVersion' });
    }
  });

/** `GET /api/admin/consumers?limit&cursor&status&planId&search`. */
export const consumerListQuerySchema = z.object({
  limit: limitQuerySchema,
  cursor: z.string().min(1).max(100).optional(),
  status: z.enum(consumerStatuses).optional(),
  planId: z.string().min(1).max(100).optional(),
  /** Case-insensitive substring of the name or email. */
  search: z.string().trim().min(1).max(200).optional(),
});

export type ConsumerCreateInput = z.input<typeof consumerCreateSchema>;
export type ConsumerCreate = z.output<typeof consumerCreateSchema>;
export type ConsumerPatchInput = z.input<typeof consumerPatchSchema>;
export type ConsumerPatch = z.output<typeof consumerPatchSchema>;
export type ConsumerListQuery = z.output<typeof consumerListQuerySchema>;
export type ConsumerStatus = (typeof consumerStatuses)[number];
