import { z } from 'zod';
import { int32Max } from './schema-primitives';

/** A developer's monthly spend cap in minor units of the plan's currency; null removes it. */
export const spendCapInputSchema = z.strictObject({
  capMinor: z
    .number({ error: 'Required: an amount in minor units (e.g. 500 for 5.00), or null for no cap' })
    .int('Must be a whole number of minor units')
    .min(1, 'Must be at least 1 minor unit; send null to remove the cap')
    .max(int32Max)
    .nullable(),
});

export type SpendCapInput = z.output<typeof spendCapInputSchema>;
