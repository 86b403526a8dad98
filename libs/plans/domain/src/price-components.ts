import { z } from 'zod';
import { currencySchema, int32Max, minorAmountSchema } from './schema-primitives';

/** What a usage-based component measures: a business unit reported by the upstream, or requests. */
const meterSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'Must be a meter name such as "requests" or "sms"');

const tierSchema = z.strictObject({
  /** Inclusive upper bound of the tier; null for the last, open-ended tier. */
  upTo: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable(),
  unitAmountMinor: minorAmountSchema,
  flatAmountMinor: minorAmountSchema.optional(),
});

const tiersSchema = z
  .array(tierSchema)
  .min(1)
  .max(50)
  .superRefine((tiers, context) => {
    tiers.forEach((tier, index) => {
      const isLast = index === tiers.length - 1;
      if (isLast && tier.upTo !== null) {
        context.addIssue({
          code: 'custom',
          path: [index, 'upTo'],
          message: 'The last tier must be open-ended (null)',
        });
      }
      if (!isLast && tier.upTo === null) {
        context.addIssue({
          code: 'custom',
          path: [index, 'upTo'],
          message: 'Only the last tier may be open-ended',
        });
      }
      const previous = tiers[index - 1]?.upTo;
      if (index > 0 && tier.upTo !== null && typeof previous === 'number' && tier.upTo <= previous) {
        context.addIssue({
          code: 'custom',
          path: [index, 'upTo'],
          message: 'Tiers must be in ascending order',
        });
      }
    });
  });

export const flatPriceSchema = z.strictObject({
  type: z.literal('flat'),
  amountMinor: minorAmountSchema,
  currency: currencySchema,
});

export const perUnitPriceSchema = z.strictObject({
  type: z.literal('per_unit'),
  unitAmountMinor: minorAmountSchema,
  currency: currencySchema,
  /** Absent: counted requests. */
  meter: meterSchema.optional(),
});

/** Each unit priced by the tier it falls in. */
export const graduatedPriceSchema = z.strictObject({
  type: z.literal('graduated'),
  tiers: tiersSchema,
  currency: currencySchema,
  meter: meterSchema.optional(),
});

/** Every unit priced by the tier the period's total falls in. */
export const volumePriceSchema = z.strictObject({
  type: z.literal('volume'),
  tiers: tiersSchema,
  currency: currencySchema,
  meter: meterSchema.optional(),
});

/** `amountMinor` per started block of `packageSize` units. */
export const packagePriceSchema = z.strictObject({
  type: z.literal('package'),
  packageSize: z.number().int().min(1).max(int32Max),
  amountMinor: minorAmountSchema,
  currency: currencySchema,
  meter: meterSchema.optional(),
});

/** A share of a reported transaction value (basis points: 250 = 2.5 %) plus a fixed fee per transaction. */
export const percentagePriceSchema = z.strictObject({
  type: z.literal('percentage'),
  percentBasisPoints: z.number().int().min(0).max(10_000),
  fixedAmountMinor: minorAmountSchema,
  currency: currencySchema,
  meter: meterSchema,
});

/** A price per business event received through the ingest API. */
export const perEventPriceSchema = z.strictObject({
  type: z.literal('per_event'),
  eventType: z.string().min(1).max(200),
  amountMinor: minorAmountSchema,
  currency: currencySchema,
});

export const priceComponentSchema = z.discriminatedUnion('type', [
  flatPriceSchema,
  perUnitPriceSchema,
  graduatedPriceSchema,
  volumePriceSchema,
  packagePriceSchema,
  percentagePriceSchema,
  perEventPriceSchema,
]);

export type PriceComponent = z.output<typeof priceComponentSchema>;
export type PriceComponentInput = z.input<typeof priceComponentSchema>;
export type PriceTier = z.output<typeof tierSchema>;
