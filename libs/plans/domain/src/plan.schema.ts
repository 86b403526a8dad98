import { meterDefinitionsSchema } from '@tollgate/metering-domain';
import { z } from 'zod';
import { priceComponentSchema } from './price-components';
import {
  currencySchema,
  endpointNameSchema,
  int32Max,
  minorAmountSchema,
  nameSchema,
} from './schema-primitives';
import { planCurrencyIssues, resolvePlanCurrency } from './plan-currency';

export const planTiers = ['free', 'pay_per_call', 'subscription', 'enterprise'] as const;
export const quotaPeriods = ['month', 'day'] as const;
/**
 * What the gateway does while the quota counters (Redis) are unreachable: `reject` answers 503;
 * `local_limit` admits through a node-local limiter at the plan's limits divided by the node count.
 */
export const countersUnavailablePolicies = ['reject', 'local_limit'] as const;
export const defaultCountersUnavailable = 'reject';
export const defaultAlertThresholds = [80, 95, 100];
export const defaultCountPolicy = { count4xx: true, count5xx: false };
/**
 * What happens to a past-due subscription once its grace period is over: `downgrade` moves it to
 * the free plan (restored when paid), `suspend` suspends the consumer's keys (reactivated when paid).
 */
export const pastDuePolicies = ['downgrade', 'suspend'] as const;
export const defaultPastDuePolicy = 'downgrade';
export const defaultGracePeriodDays = 3;

export const slugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'Must be lower-case letters, digits and dashes, e.g. "starter"');

export const quotaSchema = z.strictObject({
  /** Counted requests allowed per billing period. */
  limit: z.number().int().min(0).max(int32Max),
  period: z.enum(quotaPeriods),
});

export const rateLimitSchema = z
  .strictObject({
    perSecond: z.number().int().min(1).max(1_000_000),
    /** Token-bucket size; defaults to perSecond. */
    burst: z.number().int().min(1).max(int32Max).optional(),
  })
  .transform(({ perSecond, burst }) => ({ perSecond, burst: burst ?? perSecond }))
  .refine((rate) => rate.burst >= rate.perSecond, {
    message: 'Must be at least perSecond',
    path: ['burst'],
  });

export const concurrencySchema = z.number().int().min(1).max(100_000);

/** Requests up to quota × (1 + bufferPercent/100) pass and are billed at unitPriceMinor; then a hard block. */
export const overageSchema = z.strictObject({
  bufferPercent: z.number().int().min(1).max(1000),
  unitPriceMinor: minorAmountSchema,
  currency: currencySchema,
});

export const alertThresholdsSchema = z
  .array(z.number().int().min(1).max(1000))
  .max(20)
  .refine((values) => values.every((value, index) => index === 0 || value > values[index - 1]), {
    message: 'Must be strictly ascending percentages',
  });

export const countPolicySchema = z.strictObject({
  count4xx: z.boolean().default(defaultCountPolicy.count4xx),
  count5xx: z.boolean().default(defaultCountPolicy.count5xx),
});

export const trialDaysSchema = z.number().int().min(0).max(365);
/** Days a past-due subscription keeps its plan before the past-due policy applies. */
export const gracePeriodDaysSchema = z.number().int().min(0).max(90);
const allowedEndpointsSchema = z.array(endpointNameSchema).max(1000);
const pricesSchema = z.array(priceComponentSchema).max(50);
const descriptionSchema = z.string().max(5000);

/** `POST /api/admin/plans`: only name and quota are required. */
export const planCreateSchema = z
  .strictObject({
    name: nameSchema,
    /** Derived from the name when absent. */
    slug: slugSchema.optional(),
    tier: z.enum(planTiers).default('subscription'),
    description: descriptionSchema.nullable().default(null),
    isPublic: z.boolean().default(true),
    quota: quotaSchema,
    rateLimit: rateLimitSchema.nullable().default(null),
    concurrency: concurrencySchema.nullable().default(null),
    /** Absent or null: requests beyond the quota are refused (hard block). */
    overage: overageSchema.nullable().default(null),
    alertThresholds: alertThresholdsSchema.default(defaultAlertThresholds),
    countPolicy: countPolicySchema.default(defaultCountPolicy),
    /** Defaults to the prices' (or the overage's) currency, else usd. */
    currency: currencySchema.optional(),
    prices: pricesSchema.default([]),
    trialDays: trialDaysSchema.default(0),
    /** Metered endpoint names the plan may call; empty means every endpoint. */
    allowedEndpoints: allowedEndpointsSchema.default([]),
    countersUnavailable: z.enum(countersUnavailablePolicies).default(defaultCountersUnavailable),
    /** Billable metrics beyond the request count (usage units, business events). */
    meters: meterDefinitionsSchema.default([]),
    gracePeriodDays: gracePeriodDaysSchema.default(defaultGracePeriodDays),
    pastDuePolicy: z.enum(pastDuePolicies).default(defaultPastDuePolicy),
  })
  .superRefine((plan, context) => {
    const currency = resolvePlanCurrency(plan);
    for (const issue of planCurrencyIssues({ ...plan, currency })) {
      context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
  });

/**
 * `PATCH /api/admin/plans/{id}`: every field optional; `quota` and `countPolicy` merge field by
 * field, `rateLimit`, `concurrency`, `overage` and `description` accept null to remove them.
 */
export const planPatchSchema = z.strictObject({
  name: nameSchema.optional(),
  slug: slugSchema.optional(),
  tier: z.enum(planTiers).optional(),
  description: descriptionSchema.nullable().optional(),
  isPublic: z.boolean().optional(),
  /** true archives the plan (no new subscriptions); false restores it. */
  archived: z.boolean().optional(),
  quota: z
    .strictObject({
      limit: z.number().int().min(0).max(int32Max).optional(),
      period: z.enum(quotaPeriods).optional(),
    })
    .optional(),
  rateLimit: rateLimitSchema.nullable().optional(),
  concurrency: concurrencySchema.nullable().optional(),
  overage: overageSchema.nullable().optional(),
  alertThresholds: alertThresholdsSchema.optional(),
  countPolicy: z
    .strictObject({ count4xx: z.boolean().optional(), count5xx: z.boolean().optional() })
    .optional(),
  currency: currencySchema.optional(),
  prices: pricesSchema.optional(),
  trialDays: trialDaysSchema.optional(),
  allowedEndpoints: allowedEndpointsSchema.optional(),
  countersUnavailable: z.enum(countersUnavailablePolicies).optional(),
  /** Replaces the plan's meters. */
  meters: meterDefinitionsSchema.optional(),
  gracePeriodDays: gracePeriodDaysSchema.optional(),
  pastDuePolicy: z.enum(pastDuePolicies).optional(),
});

/** `POST /api/admin/plans/{id}/migrate-subscribers`. */
export const migrateSubscribersSchema = z.strictObject({
  toVersion: z.number().int().min(1),
  /** Absent or not in the future: now. */
  effectiveAt: z.iso
    .datetime({ offset: true, message: 'Must be an ISO 8601 date-time with an offset' })
    .transform((value) => new Date(value))
    .optional(),
  /** Only subscribers currently on this version; absent: every other version. */
  fromVersion: z.number().int().min(1).optional(),
});

export type PlanCreateInput = z.input<typeof planCreateSchema>;
export type PlanCreate = z.output<typeof planCreateSchema>;
export type PlanPatchInput = z.input<typeof planPatchSchema>;
export type PlanPatch = z.output<typeof planPatchSchema>;
export type MigrateSubscribers = z.output<typeof migrateSubscribersSchema>;
export type Quota = z.output<typeof quotaSchema>;
export type RateLimit = z.output<typeof rateLimitSchema>;
export type Overage = z.output<typeof overageSchema>;
export type CountPolicy = z.output<typeof countPolicySchema>;
export type PlanTier = (typeof planTiers)[number];
export type QuotaPeriod = (typeof quotaPeriods)[number];
export type CountersUnavailablePolicy = (typeof countersUnavailablePolicies)[number];
export type PastDuePolicy = (typeof pastDuePolicies)[number];
