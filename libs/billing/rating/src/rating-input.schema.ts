import { type FieldIssue } from '@tollgate/errors';
import { z } from 'zod';
import { unitAmountDecimalPattern } from './minor-amount';

/**
 * Runtime checks of rating input. Objects are not strict: a whole plan definition (with its rate
 * limit, alert thresholds, …) is valid rating input, and rating reads only its prices, overage and
 * quota.
 */

const count = z
  .number({ error: 'Must be a number' })
  .int('Must be an integer')
  .min(0, 'Must not be negative')
  .max(Number.MAX_SAFE_INTEGER, 'Must be at most 2^53 - 1');

const amountMinor = count;
const currency = z.string().regex(/^[A-Za-z]{3}$/, 'Must be a three-letter ISO 4217 currency code');
const meter = z.string().min(1).max(200);
const unitAmountDecimal = z
  .string()
  .regex(unitAmountDecimalPattern, 'Must be a decimal such as "0.2" (at most 12 decimal places)');
const instant = z.date({ error: 'Must be a valid Date' });

const tier = z.object({
  upTo: count.min(1, 'Must be at least 1').nullable(),
  unitAmountMinor: amountMinor,
  unitAmountDecimal: unitAmountDecimal.optional(),
  flatAmountMinor: amountMinor.optional(),
});

const tiers = z
  .array(tier)
  .min(1, 'Must have at least one tier')
  .superRefine((list, context) => {
    list.forEach((entry, index) => {
      const isLast = index === list.length - 1;
      if (isLast !== (entry.upTo === null)) {
        context.addIssue({
          code: 'custom',
          path: [index, 'upTo'],
          message: isLast
            ? 'The last tier must be open-ended (null)'
            : 'Only the last tier may be open-ended',
        });
      }
      const previous = index > 0 ? list[index - 1].upTo : null;
      if (entry.upTo !== null && previous !== null && entry.upTo <= previous) {
        context.addIssue({
          code: 'custom',
          path: [index, 'upTo'],
          message: 'Tiers must be in ascending order',
        });
      }
    });
  });

const priceComponent = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('flat'), amountMinor, currency }),
    z.object({
      type: z.literal('per_unit'),
      unitAmountMinor: amountMinor,
      unitAmountDecimal: unitAmountDecimal.optional(),
      currency,
      meter: meter.optional(),
    }),
    z.object({ type: z.literal('graduated'), tiers, currency, meter: meter.optional() }),
    z.object({ type: z.literal('volume'), tiers, currency, meter: meter.optional() }),
    z.object({
      type: z.literal('package'),
      packageSize: count.min(1, 'Must be at least 1'),
      amountMinor,
      currency,
      meter: meter.optional(),
    }),
    z.object({
      type: z.literal('percentage'),
      percentBasisPoints: count.max(10_000, 'Must be at most 10000 (100 %)'),
      fixedAmountMinor: amountMinor,
      currency,
      meter,
    }),
    z.object({ type: z.literal('per_event'), eventType: z.string().min(1), amountMinor, currency }),
  ],
  { error: 'Must be one of flat, per_unit, graduated, volume, package, percentage, per_event' },
);

const plan = z
  .object({
    prices: z.array(priceComponent),
    overage: z.object({ unitPriceMinor: amountMinor, currency }).nullable().optional(),
    quota: z.object({ limit: count, period: z.enum(['month', 'day']) }).optional(),
  })
  .superRefine((value, context) => {
    if (value.overage && !value.quota) {
      context.addIssue({ code: 'custom', path: ['quota'], message: 'Required when the plan has an overage' });
    }
  });

export const ratingUsageSchema = z.object({
  requests: count,
  meters: z.record(z.string(), count).optional(),
  transactions: z.record(z.string(), z.object({ count, valueMinor: amountMinor })).optional(),
  events: z.record(z.string(), count).optional(),
  requestsPerQuotaWindow: z.array(count).optional(),
});

const segment = z.object({ from: instant, to: instant, plan, usage: ratingUsageSchema });

const period = { currency, periodStart: instant, periodEnd: instant };

const ratingInputSchema = z.union([
  z.object({ ...period, segments: z.array(segment).min(1, 'Must have at least one segment') }),
  z.object({ ...period, plan, usage: ratingUsageSchema }),
]);

/** Zod's issues as field issues with dotted paths. */
export function fieldIssues(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: [...prefix, ...issue.path].map(String).join('.') || '(input)',
    message: issue.message,
  }));
}

/** The shape checks of `rate`'s input; the period and segment checks follow in `rate`. */
export function ratingInputIssues(input: unknown): FieldIssue[] {
  const candidate = input as { segments?: unknown } | null;
  // A union reports the issues of every branch; pick the branch the caller meant.
  const schema =
    candidate !== null && typeof candidate === 'object' && 'segments' in candidate
      ? ratingInputSchema.options[0]
      : ratingInputSchema.options[1];
  const result = schema.safeParse(input);
  return result.success ? [] : fieldIssues(result.error);
}
