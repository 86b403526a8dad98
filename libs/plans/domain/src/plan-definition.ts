import { ValidationError } from '@tollgate/errors';
import { type MeterDefinition } from '@tollgate/metering-domain';
import { planCurrencyIssues, resolvePlanCurrency } from './plan-currency';
import {
  countersUnavailablePolicies,
  type CountersUnavailablePolicy,
  type CountPolicy,
  defaultCountersUnavailable,
  type Overage,
  type PlanCreate,
  type PlanPatch,
  type Quota,
  type QuotaPeriod,
  type RateLimit,
} from './plan.schema';
import { type PriceComponent } from './price-components';

/**
 * What a plan version freezes: everything that decides admission, counting and price. Name,
 * description, tier and visibility are presentation and change in place.
 */
export interface PlanDefinition {
  quota: Quota;
  rateLimit: RateLimit | null;
  concurrency: number | null;
  allowedEndpoints: string[];
  countPolicy: CountPolicy;
  alertThresholds: number[];
  overage: Overage | null;
  currency: string;
  prices: PriceComponent[];
  trialDays: number;
  /** What the gateway does while the quota counters are unreachable. */
  countersUnavailable: CountersUnavailablePolicy;
  /** Billable metrics (beyond the request count every plan has). */
  meters: MeterDefinition[];
}

/** The plan's storage columns that carry the definition (structurally, a Plan row). */
export interface PlanDefinitionColumns {
  quotaLimit: number;
  quotaPeriod: QuotaPeriod;
  ratePerSecond: number | null;
  rateBurst: number | null;
  concurrency: number | null;
  allowedEndpoints: string[];
  count4xx: boolean;
  count5xx: boolean;
  alertThresholds: number[];
  /** JSON column; written only from validated price components. */
  prices: unknown;
  currency: string;
  overageBufferPercent: number | null;
  overageUnitPriceMinor: number;
  trialDays: number;
  countersUnavailable: CountersUnavailablePolicy;
  /** JSON column; written only from validated meter definitions. */
  meters: unknown;
}

function isCountersUnavailablePolicy(value: unknown): value is CountersUnavailablePolicy {
  return (countersUnavailablePolicies as readonly unknown[]).includes(value);
}

function canonical(definition: PlanDefinition): PlanDefinition {
  return { ...definition, allowedEndpoints: [...new Set(definition.allowedEndpoints)].sort() };
}

/** The definition a plan row currently holds. */
export function planDefinition(plan: PlanDefinitionColumns): PlanDefinition {
  return canonical({
    quota: { limit: plan.quotaLimit, period: plan.quotaPeriod },
    rateLimit:
      plan.ratePerSecond === null
        ? null
        : { perSecond: plan.ratePerSecond, burst: plan.rateBurst ?? plan.ratePerSecond },
    concurrency: plan.concurrency,
    allowedEndpoints: plan.allowedEndpoints,
    countPolicy: { count4xx: plan.count4xx, count5xx: plan.count5xx },
    alertThresholds: plan.alertThresholds,
    overage:
      plan.overageBufferPercent === null
        ? null
        : {
            bufferPercent: plan.overageBufferPercent,
            unitPriceMinor: plan.overageUnitPriceMinor,
            currency: plan.currency,
          },
    currency: plan.currency,
    prices: Array.isArray(plan.prices) ? (plan.prices as PriceComponent[]) : [],
    trialDays: plan.trialDays,
    countersUnavailable: plan.countersUnavailable,
    meters: Array.isArray(plan.meters) ? (plan.meters as MeterDefinition[]) : [],
  });
}

/** The columns to write for a definition (the inverse of planDefinition). */
export function planDefinitionColumns(definition: PlanDefinition): PlanDefinitionColumns & {
  prices: PriceComponent[];
  meters: MeterDefinition[];
} {
  const normalized = canonical(definition);
  return {
    quotaLimit: normalized.quota.limit,
    quotaPeriod: normalized.quota.period,
    ratePerSecond: normalized.rateLimit?.perSecond ?? null,
    rateBurst: normalized.rateLimit?.burst ?? null,
    concurrency: normalized.concurrency,
    allowedEndpoints: normalized.allowedEndpoints,
    count4xx: normalized.countPolicy.count4xx,
    count5xx: normalized.countPolicy.count5xx,
    alertThresholds: normalized.alertThresholds,
    prices: normalized.prices,
    currency: normalized.currency,
    overageBufferPercent: normalized.overage?.bufferPercent ?? null,
    overageUnitPriceMinor: normalized.overage?.unitPriceMinor ?? 0,
    trialDays: normalized.trialDays,
    countersUnavailable: normalized.countersUnavailable,
    meters: normalized.meters,
  };
}

/** The definition of a validated create body. */
export function definitionFromCreate(plan: PlanCreate): PlanDefinition {
  return canonical({
    quota: plan.quota,
    rateLimit: plan.rateLimit,
    concurrency: plan.concurrency,
    allowedEndpoints: plan.allowedEndpoints,
    countPolicy: plan.countPolicy,
    alertThresholds: plan.alertThresholds,
    overage: plan.overage,
    currency: resolvePlanCurrency(plan),
    prices: plan.prices,
    trialDays: plan.trialDays,
    countersUnavailable: plan.countersUnavailable,
    meters: plan.meters,
  });
}

/**
 * The definition after a patch. The currency follows an explicit `currency`, else new prices,
 * else a new overage, else stays; a mismatch is a ValidationError naming the field.
 */
export function applyPlanPatch(current: PlanDefinition, patch: PlanPatch): PlanDefinition {
  const prices = patch.prices ?? current.prices;
  const overage = patch.overage === undefined ? current.overage : patch.overage;
  const currency =
    patch.currency ??
    (patch.prices && patch.prices.length > 0 ? patch.prices[0].currency : undefined) ??
    (patch.overage ? patch.overage.currency : undefined) ??
    current.currency;
  const next = canonical({
    quota: { ...current.quota, ...stripUndefined(patch.quota ?? {}) },
    rateLimit: patch.rateLimit === undefined ? current.rateLimit : patch.rateLimit,
    concurrency: patch.concurrency === undefined ? current.concurrency : patch.concurrency,
    allowedEndpoints: patch.allowedEndpoints ?? current.allowedEndpoints,
    countPolicy: { ...current.countPolicy, ...stripUndefined(patch.countPolicy ?? {}) },
    alertThresholds: patch.alertThresholds ?? current.alertThresholds,
    overage,
    currency,
    prices,
    trialDays: patch.trialDays ?? current.trialDays,
    countersUnavailable: patch.countersUnavailable ?? current.countersUnavailable,
    meters: patch.meters ?? current.meters,
  });
  const issues = planCurrencyIssues(next);
  if (issues.length > 0) {
    throw new ValidationError(
      issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
    );
  }
  return next;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** Key-order independent JSON, so two equal definitions compare equal however they were built. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when subscribers would notice the change (limits, counting, prices): a new version is due. */
export function definitionsDiffer(a: PlanDefinition, b: PlanDefinition): boolean {
  return stableJson(canonical(a)) !== stableJson(canonical(b));
}

/**
 * Parses a stored PlanVersion definition (written by this module) back into its type. Fields added
 * after a version was written take their defaults: such a version behaved that way.
 */
export function storedPlanDefinition(value: unknown): PlanDefinition {
  const stored = value as Partial<PlanDefinition>;
  return canonical({
    ...(stored as PlanDefinition),
    countersUnavailable: isCountersUnavailablePolicy(stored.countersUnavailable)
      ? stored.countersUnavailable
      : defaultCountersUnavailable,
    meters: Array.isArray(stored.meters) ? stored.meters : [],
  });
}
