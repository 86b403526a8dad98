import { billingPeriodAt, isValidTimeZone } from '@tollgate/billing-period';
import { type GatewaySnapshot, type SnapshotPlan, snapshotPlanKey } from '@tollgate/gateway-snapshot';

/**
 * Each consumer's current quota period as the gateway sees it: from the same snapshot the gateway
 * enforces (the subscription's pinned plan version, anchor and time zone), so analytics and
 * reconciliation read the very period, limit and counter the gateway uses.
 */
export interface ConsumerQuotaPeriod {
  consumerId: string;
  planId: string;
  planVersion: number;
  status: 'active' | 'suspended';
  /** Quota units per period (each request costs its route's weight, 1 by default). */
  quotaLimit: number;
  /** Inclusive, epoch ms. */
  periodStart: number;
  /** Exclusive, epoch ms. */
  periodEnd: number;
  /** The gateway's quota counter key of this period (without the store's key prefix). */
  counterKey: string;
}

export interface SkippedConsumer {
  consumerId: string;
  reason: string;
}

/**
 * The gateway's quota counter key of a consumer's period, `q:{<consumerId>}:<periodStart ms>` (the
 * counters adapter adds the installation's key prefix). The same format as the gateway data
 * plane's `quotaCounterKey`, which this layer may not import; the reconciliation tests run both
 * against one embedded platform, so a change to either shows up there as drift.
 */
export function gatewayQuotaCounterKey(consumerId: string, periodStart: number): string {
  return `q:{${consumerId}}:${periodStart}`;
}

/**
 * Every consumer of the snapshot with its period at `now`. Consumers the gateway would skip too (an
 * anchor that is not an instant, an unknown time zone, a plan version the snapshot lacks) are
 * returned apart, with the reason.
 */
export function consumerQuotaPeriods(
  snapshot: GatewaySnapshot,
  now: number,
): { periods: ConsumerQuotaPeriod[]; skipped: SkippedConsumer[] } {
  const plans = new Map<string, SnapshotPlan>();
  const latestVersions = new Map<string, number>();
  for (const plan of snapshot.plans) {
    plans.set(snapshotPlanKey(plan.id, plan.version), plan);
    latestVersions.set(plan.id, Math.max(plan.version, latestVersions.get(plan.id) ?? plan.version));
  }
  const periods: ConsumerQuotaPeriod[] = [];
  const skipped: SkippedConsumer[] = [];
  for (const consumer of snapshot.consumers) {
    const anchor = Date.parse(consumer.periodAnchor);
    if (Number.isNaN(anchor)) {
      skipped.push({
        consumerId: consumer.id,
        reason: `period anchor "${consumer.periodAnchor}" is not an instant`,
      });
      continue;
    }
    if (!isValidTimeZone(consumer.timeZone)) {
      skipped.push({ consumerId: consumer.id, reason: `unknown time zone "${consumer.timeZone}"` });
      continue;
    }
    // As the gateway does: a snapshot without planVersion means the plan's latest.
    const version =
      typeof consumer.planVersion === 'number' ? consumer.planVersion : latestVersions.get(consumer.planId);
    const plan = version === undefined ? undefined : plans.get(snapshotPlanKey(consumer.planId, version));
    if (plan === undefined || version === undefined) {
      skipped.push({
        consumerId: consumer.id,
        reason: `plan ${consumer.planId} version ${String(version)} is not in the snapshot`,
      });
      continue;
    }
    const period = billingPeriodAt(now, anchor, consumer.timeZone, plan.quota.period);
    periods.push({
      consumerId: consumer.id,
      planId: consumer.planId,
      planVersion: version,
      status: consumer.status,
      quotaLimit: plan.quota.limit,
      periodStart: period.start,
      periodEnd: period.end,
      counterKey: gatewayQuotaCounterKey(consumer.id, period.start),
    });
  }
  return { periods, skipped };
}

/** Requests of one endpoint of one API. */
export interface EndpointRequests {
  apiId: string;
  endpoint: string;
  requests: number;
}

/** Cost weight of each route by API and metered endpoint name. */
export type RouteCostWeights = ReadonlyMap<string, number>;

const weightKey = (apiId: string, endpoint: string): string => `${apiId}\u0000${endpoint}`;

export function routeCostWeights(snapshot: GatewaySnapshot): RouteCostWeights {
  const weights = new Map<string, number>();
  for (const api of snapshot.apis) {
    for (const route of api.routes) weights.set(weightKey(api.id, route.endpoint), route.costWeight);
  }
  return weights;
}

/**
 * Quota units of counted requests: each request costs its route's current weight, as the gateway
 * charges it; a request that matched no route costs 1, as at the gateway.
 */
export function quotaUnits(rows: readonly EndpointRequests[], weights: RouteCostWeights): number {
  let units = 0;
  for (const row of rows) units += row.requests * (weights.get(weightKey(row.apiId, row.endpoint)) ?? 1);
  return units;
}
