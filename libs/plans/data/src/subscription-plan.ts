import { countersUnavailablePolicies, type PlanDefinition, planDefinition } from '@tollgate/plans-domain';
import { type Plan, type PrismaClient } from '@tollgate/relational';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/**
 * A stored PlanVersion definition, field by field: whatever is missing or malformed (rows written
 * before a field existed) falls back to the plan's current value, so an old subscriber is never
 * left without limits or prices. The gateway snapshot, the portal's estimate and spend cap, and
 * billing all read a pinned version through this one function.
 */
export function pinnedPlanDefinition(stored: unknown, fallback: PlanDefinition): PlanDefinition {
  if (!isRecord(stored)) return fallback;
  const quota = isRecord(stored['quota']) ? stored['quota'] : {};
  const rateLimit = stored['rateLimit'];
  const countPolicy = isRecord(stored['countPolicy']) ? stored['countPolicy'] : {};
  const allowed = stored['allowedEndpoints'];
  const thresholds = stored['alertThresholds'];
  const concurrency = stored['concurrency'];
  const overage = stored['overage'];
  const countersUnavailable = stored['countersUnavailable'];
  const currency = stored['currency'];
  const prices = stored['prices'];
  const meters = stored['meters'];
  return {
    ...fallback,
    countersUnavailable: (countersUnavailablePolicies as readonly unknown[]).includes(countersUnavailable)
      ? (countersUnavailable as PlanDefinition['countersUnavailable'])
      : fallback.countersUnavailable,
    quota: {
      limit: isCount(quota['limit']) ? quota['limit'] : fallback.quota.limit,
      period:
        quota['period'] === 'month' || quota['period'] === 'day' ? quota['period'] : fallback.quota.period,
    },
    rateLimit:
      rateLimit === null
        ? null
        : isRecord(rateLimit) && isCount(rateLimit['perSecond'])
          ? {
              perSecond: rateLimit['perSecond'],
              burst: isCount(rateLimit['burst']) ? rateLimit['burst'] : rateLimit['perSecond'],
            }
          : fallback.rateLimit,
    concurrency: concurrency === null || isCount(concurrency) ? concurrency : fallback.concurrency,
    overage:
      overage === null
        ? null
        : isRecord(overage) &&
            isCount(overage['bufferPercent']) &&
            isCount(overage['unitPriceMinor']) &&
            typeof overage['currency'] === 'string'
          ? {
              bufferPercent: overage['bufferPercent'],
              unitPriceMinor: overage['unitPriceMinor'],
              currency: overage['currency'],
            }
          : fallback.overage,
    allowedEndpoints:
      Array.isArray(allowed) && allowed.every((entry) => typeof entry === 'string')
        ? [...new Set(allowed)].sort()
        : fallback.allowedEndpoints,
    alertThresholds:
      Array.isArray(thresholds) && thresholds.every(isCount) ? thresholds : fallback.alertThresholds,
    countPolicy: {
      count4xx:
        typeof countPolicy['count4xx'] === 'boolean'
          ? countPolicy['count4xx']
          : fallback.countPolicy.count4xx,
      count5xx:
        typeof countPolicy['count5xx'] === 'boolean'
          ? countPolicy['count5xx']
          : fallback.countPolicy.count5xx,
    },
    // Prices and meters were validated when the version was written; the rating engine checks them again.
    currency: typeof currency === 'string' && currency !== '' ? currency : fallback.currency,
    prices: Array.isArray(prices) ? (prices as PlanDefinition['prices']) : fallback.prices,
    meters: Array.isArray(meters) ? (meters as PlanDefinition['meters']) : fallback.meters,
    trialDays: isCount(stored['trialDays']) ? stored['trialDays'] : fallback.trialDays,
  };
}

/**
 * The definition a subscription is held to: its pinned plan version (the plan row holds only the
 * latest), so estimates, spend caps, alert thresholds, quota and overage are what the gateway
 * enforces for it.
 */
export async function subscriptionPlanDefinition(
  prisma: PrismaClient,
  subscription: { planId: string; planVersion: number },
  plan: Plan,
): Promise<PlanDefinition> {
  const latest = planDefinition(plan);
  if (subscription.planVersion === plan.version) return latest;
  const version = await prisma.planVersion.findUnique({
    where: { planId_version: { planId: subscription.planId, version: subscription.planVersion } },
  });
  return version ? pinnedPlanDefinition(version.definition, latest) : latest;
}
