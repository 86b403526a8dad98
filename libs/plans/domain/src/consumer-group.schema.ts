import { z } from 'zod';
import { nameSchema } from './schema-primitives';

/** One group per plan (APISIX style): its consumers share the plan's limits. */
export const consumerGroupCreateSchema = z.strictObject({
  name: nameSchema,
  planId: z.string().min(1).max(100),
});

export const consumerGroupPatchSchema = z.strictObject({
  name: nameSchema.optional(),
});

export type ConsumerGroupCreate = z.output<typeof consumerGroupCreateSchema>;
export type ConsumerGroupPatch = z.output<typeof consumerGroupPatchSchema>;
