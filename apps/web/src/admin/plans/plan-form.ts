import {
  defaultAlertThresholds,
  defaultCountPolicy,
  defaultCountersUnavailable,
  defaultGracePeriodDays,
  defaultPastDuePolicy,
  type PlanCreateInput,
  type PlanPatchInput,
  type PriceComponentInput,
} from '@tollgate/plans-domain';
import { type Plan, type PlanTier } from '../shared/admin-types';

/** A number input's value: empty while the field is blank. */
export type NumberField = number | '';

/** The plan editor's state: every plan field, in the shape the inputs hold. */
export interface PlanFormValues {
  name: string;
  slug: string;
  tier: PlanTier;
  description: string;
  isPublic: boolean;
  quotaLimit: NumberField;
  quotaPeriod: 'month' | 'day';
  rateLimited: boolean;
  perSecond: NumberField;
  burst: NumberField;
  concurrency: NumberField;
  allowedEndpoints: string[];
  overageEnabled: boolean;
  overageBufferPercent: NumberField;
  overageUnitPriceMinor: NumberField;
  currency: string;
  alertThresholds: string[];
  count4xx: boolean;
  count5xx: boolean;
  prices: PriceComponentInput[];
  trialDays: NumberField;
  countersUnavailable: 'reject' | 'local_limit';
  gracePeriodDays: NumberField;
  pastDuePolicy: 'downgrade' | 'suspend';
  /** Meters as JSON text (validated by the API's meter schema on submit). */
  metersJson: string;
}

export function emptyPlanForm(): PlanFormValues {
  return {
    name: '',
    slug: '',
    tier: 'subscription',
    description: '',
    isPublic: true,
    quotaLimit: 1000,
    quotaPeriod: 'month',
    rateLimited: false,
    perSecond: 10,
    burst: '',
    concurrency: '',
    allowedEndpoints: [],
    overageEnabled: false,
    overageBufferPercent: 10,
    overageUnitPriceMinor: 1,
    currency: 'usd',
    alertThresholds: defaultAlertThresholds.map(String),
    count4xx: defaultCountPolicy.count4xx,
    count5xx: defaultCountPolicy.count5xx,
    prices: [],
    trialDays: 0,
    countersUnavailable: defaultCountersUnavailable,
    gracePeriodDays: defaultGracePeriodDays,
    pastDuePolicy: defaultPastDuePolicy,
    metersJson: '[]',
  };
}

export function planToForm(plan: Plan): PlanFormValues {
  return {
    name: plan.name,
    slug: plan.slug,
    tier: plan.tier,
    description: plan.description ?? '',
    isPublic: plan.isPublic,
    quotaLimit: plan.quota.limit,
    quotaPeriod: plan.quota.period,
    rateLimited: plan.rateLimit !== null,
    perSecond: plan.rateLimit?.perSecond ?? 10,
    burst: plan.rateLimit?.burst ?? '',
    concurrency: plan.concurrency ?? '',
    allowedEndpoints: [...plan.allowedEndpoints],
    overageEnabled: plan.overage !== null,
    overageBufferPercent: plan.overage?.bufferPercent ?? 10,
    overageUnitPriceMinor: plan.overage?.unitPriceMinor ?? 1,
    currency: plan.currency,
    alertThresholds: plan.alertThresholds.map(String),
    count4xx: plan.countPolicy.count4xx,
    count5xx: plan.countPolicy.count5xx,
    prices: plan.prices.map((price) => structuredClone(price)),
    trialDays: plan.trialDays,
    countersUnavailable: plan.countersUnavailable,
    gracePeriodDays: plan.gracePeriodDays ?? defaultGracePeriodDays,
    pastDuePolicy: plan.pastDuePolicy ?? defaultPastDuePolicy,
    metersJson: JSON.stringify(plan.meters, null, 2),
  };
}

/** A blank number stays unset, so the schema reports the field as required instead of 0. */
function numberOrUndefined(value: NumberField): number | undefined {
  return value === '' ? undefined : value;
}

/** Threshold tags as numbers; a tag that is not a number stays a string so the schema names it. */
function thresholds(values: string[]): unknown[] {
  return values.map((value) => (/^\d+$/.test(value.trim()) ? Number(value.trim()) : value));
}

/** Meters JSON, or the raw text (the schema then reports `meters` as invalid). */
export function parseMeters(text: string): unknown {
  if (text.trim() === '') return [];
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The definition and presentation fields as the API takes them (create and patch alike). */
function planBody(values: PlanFormValues) {
  return {
    name: values.name,
    tier: values.tier,
    description: values.description.trim() === '' ? null : values.description,
    isPublic: values.isPublic,
    rateLimit: values.rateLimited
      ? { perSecond: numberOrUndefined(values.perSecond), burst: numberOrUndefined(values.burst) }
      : null,
    concurrency: numberOrUndefined(values.concurrency) ?? null,
    allowedEndpoints: values.allowedEndpoints,
    overage: values.overageEnabled
      ? {
          bufferPercent: numberOrUndefined(values.overageBufferPercent),
          unitPriceMinor: numberOrUndefined(values.overageUnitPriceMinor),
          currency: values.currency,
        }
      : null,
    currency: values.currency,
    alertThresholds: thresholds(values.alertThresholds),
    countPolicy: { count4xx: values.count4xx, count5xx: values.count5xx },
    prices: values.prices.map((price) => ({ ...price, currency: values.currency })),
    trialDays: numberOrUndefined(values.trialDays),
    countersUnavailable: values.countersUnavailable,
    gracePeriodDays: numberOrUndefined(values.gracePeriodDays),
    pastDuePolicy: values.pastDuePolicy,
    meters: parseMeters(values.metersJson),
  };
}

/** `POST /api/admin/plans` body; the slug is derived by the API when left blank. */
export function formToCreateBody(values: PlanFormValues): PlanCreateInput {
  const body = {
    ...planBody(values),
    quota: { limit: numberOrUndefined(values.quotaLimit), period: values.quotaPeriod },
    ...(values.slug.trim() === '' ? {} : { slug: values.slug.trim() }),
  };
  return body as PlanCreateInput;
}

/** `PATCH /api/admin/plans/{id}` body: every field (the API versions only a changed definition). */
export function formToPatchBody(values: PlanFormValues): PlanPatchInput {
  const body = {
    ...planBody(values),
    quota: { limit: numberOrUndefined(values.quotaLimit), period: values.quotaPeriod },
    ...(values.slug.trim() === '' ? {} : { slug: values.slug.trim() }),
  };
  return body as PlanPatchInput;
}

/**
 * Field names of the API body that the form shows an input for: errors on other paths are listed
 * above the save button.
 */
export const placedPlanFields = [
  'name',
  'slug',
  'tier',
  'description',
  'isPublic',
  'quota',
  'rateLimit',
  'concurrency',
  'allowedEndpoints',
  'overage',
  'currency',
  'alertThresholds',
  'countPolicy',
  'prices',
  'trialDays',
  'countersUnavailable',
  'gracePeriodDays',
  'pastDuePolicy',
  'meters',
] as const;
