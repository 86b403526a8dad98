import { billingPeriodAt } from '@tollgate/billing-period';
import { ConflictError, ForbiddenError, NotFoundError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import { appendAudit } from '@tollgate/plans-data';
import { type Developer, type Plan, type PrismaClient } from '@tollgate/relational';
import { developerConsumer, isFreePlan, selectablePlanFilter } from './developer-consumer';
import { type DeveloperView, developerView } from './developer-view';
import { countingPolicyText, priceText, type StoredPriceComponent } from './plan-description';

/** A plan as the public pricing list shows it. */
export interface PortalPlanView {
  id: string;
  slug: string;
  name: string;
  tier: string;
  description: string | null;
  version: number;
  /** True when choosing it needs no payment (it switches at once in the portal). */
  free: boolean;
  quota: { limit: number; period: 'month' | 'day' };
  rateLimit: { perSecond: number; burst: number } | null;
  concurrency: number | null;
  overage: { bufferPercent: number; unitPriceMinor: number; currency: string } | null;
  countingPolicy: { count4xx: boolean; count5xx: boolean; summary: string };
  prices: unknown[];
  /** One plain sentence per price component. */
  priceSummary: string[];
  trialDays: number;
}

export function portalPlanView(plan: Plan): PortalPlanView {
  const prices = Array.isArray(plan.prices) ? (plan.prices as unknown[]) : [];
  return {
    id: plan.id,
    slug: plan.slug,
    name: plan.name,
    tier: plan.tier,
    description: plan.description,
    version: plan.version,
    free: isFreePlan(plan),
    quota: { limit: plan.quotaLimit, period: plan.quotaPeriod },
    rateLimit:
      plan.ratePerSecond === null
        ? null
        : { perSecond: plan.ratePerSecond, burst: plan.rateBurst ?? plan.ratePerSecond },
    concurrency: plan.concurrency,
    overage:
      plan.overageBufferPercent === null
        ? null
        : {
            bufferPercent: plan.overageBufferPercent,
            unitPriceMinor: plan.overageUnitPriceMinor,
            currency: plan.currency,
          },
    countingPolicy: { count4xx: plan.count4xx, count5xx: plan.count5xx, summary: countingPolicyText(plan) },
    prices,
    priceSummary:
      prices.length === 0
        ? ['Free']
        : prices.map((price) => priceText(price as StoredPriceComponent, plan.quotaPeriod)),
    trialDays: plan.trialDays,
  };
}

/** Public, unarchived plans, free ones first, then by quota. */
export async function listPortalPlans(prisma: PrismaClient): Promise<PortalPlanView[]> {
  const plans = await prisma.plan.findMany({
    where: selectablePlanFilter,
    orderBy: [{ quotaLimit: 'asc' }, { id: 'asc' }],
  });
  const views = plans.map(portalPlanView);
  return [...views.filter((plan) => plan.free), ...views.filter((plan) => !plan.free)];
}

export interface DeveloperProfile {
  developer: DeveloperView;
  consumer: { id: string; name: string; email: string; status: string; timeZone: string } | null;
  subscription: {
    id: string;
    status: string;
    planVersion: number;
    periodAnchor: string;
    currentPeriod: { start: string; end: string };
  } | null;
  plan: PortalPlanView | null;
}

/** What `GET /me` shows: the developer, their consumer, its live subscription and plan. */
export async function developerProfile(
  prisma: PrismaClient,
  developer: Developer,
): Promise<DeveloperProfile> {
  const consumer = await prisma.consumer.findFirst({
    where: { developerId: developer.id },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: {
      subscriptions: {
        where: { status: { not: 'canceled' } },
        orderBy: { createdAt: 'desc' },
        take: 1,
        include: { plan: true },
      },
    },
  });
  const subscription = consumer?.subscriptions[0];
  const period =
    consumer && subscription
      ? billingPeriodAt(
          Date.now(),
          subscription.periodAnchor.getTime(),
          consumer.timeZone,
          subscription.plan.quotaPeriod,
        )
      : undefined;
  return {
    developer: developerView(developer),
    consumer: consumer
      ? {
          id: consumer.id,
          name: consumer.name,
          email: consumer.email,
          status: consumer.status,
          timeZone: consumer.timeZone,
        }
      : null,
    subscription:
      subscription && period
        ? {
            id: subscription.id,
            status: subscription.status,
            planVersion: subscription.planVersion,
            periodAnchor: subscription.periodAnchor.toISOString(),
            currentPeriod: {
              start: new Date(period.start).toISOString(),
              end: new Date(period.end).toISOString(),
            },
          }
        : null,
    plan: subscription ? portalPlanView(subscription.plan) : null,
  };
}

/**
 * Moves the developer's consumer to a free public plan at once: the current subscription is
 * canceled and a new one starts with the same period anchor (the quota window does not move).
 * Paid plans are refused here; they go through checkout (the billing issue).
 */
export async function chooseDeveloperPlan(
  prisma: PrismaClient,
  developer: Developer,
  planId: string,
): Promise<DeveloperProfile> {
  await prisma.$transaction(async (tx) => {
    const consumer = await developerConsumer(tx, developer.id);
    const plan = await tx.plan.findFirst({
      where: { id: planId, ...selectablePlanFilter },
      include: { group: true },
    });
    // Private and archived plans are "not found", like unknown ones.
    if (!plan) throw new NotFoundError('Plan', planId);
    if (!isFreePlan(plan)) {
      throw new ConflictError('Paid plans go through checkout, which is not available in the portal yet', {
        planId,
        reason: 'checkout_required',
      });
    }
    if (consumer.status !== 'active') {
      throw new ForbiddenError('Plan changes are unavailable while the account is suspended');
    }
    const current = await tx.subscription.findFirst({
      where: { consumerId: consumer.id, status: { not: 'canceled' } },
      orderBy: { createdAt: 'desc' },
    });
    if (current && (current.status === 'suspended' || current.status === 'past_due')) {
      throw new ForbiddenError(
        `Plan changes are unavailable while the subscription is ${current.status.replace('_', ' ')}`,
      );
    }
    if (current?.stripeSubscriptionId) {
      // Leaving a paid subscription must also end it at the billing provider: that is billing's job.
      throw new ConflictError('Leaving a paid subscription goes through billing', {
        reason: 'billing_required',
      });
    }
    if (current?.planId === plan.id) {
      // Choosing the free plan it was downgraded to keeps it there: a later payment restores nothing.
      if (current.downgradedFromPlanId !== null) {
        await tx.subscription.update({ where: { id: current.id }, data: { downgradedFromPlanId: null } });
      }
      return;
    }
    const now = new Date();
    if (current) {
      await tx.subscription.update({
        where: { id: current.id },
        data: { status: 'canceled', canceledAt: now, downgradedFromPlanId: null },
      });
    }
    const created = await tx.subscription.create({
      data: {
        id: prefixedId('sub'),
        consumerId: consumer.id,
        planId: plan.id,
        planVersion: plan.version,
        status: 'active',
        periodAnchor: current?.periodAnchor ?? now,
      },
    });
    await tx.consumer.update({ where: { id: consumer.id }, data: { groupId: plan.group?.id ?? null } });
    await appendAudit(
      tx,
      { type: 'developer', id: developer.id },
      {
        action: 'subscription.change_plan',
        entityType: 'consumer',
        entityId: consumer.id,
        before: current
          ? { subscriptionId: current.id, planId: current.planId, planVersion: current.planVersion }
          : null,
        after: { subscriptionId: created.id, planId: plan.id, planVersion: plan.version },
      },
    );
  });
  return developerProfile(prisma, developer);
}
