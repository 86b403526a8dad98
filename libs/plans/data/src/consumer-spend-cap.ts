import { DomainError, NotFoundError, ValidationError } from '@tollgate/errors';
import { quotaCeiling } from '@tollgate/gateway-snapshot';
import { type PlanDefinition, type SpendCapInput } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { chargeForUnits, spendCapUnits } from './spend-cap-units';
import { subscriptionPlanDefinition } from './subscription-plan';

/** A consumer's spend cap and what it means in requests. */
export interface SpendCapView {
  /** Minor units of `currency`; null: no cap. */
  capMinor: number | null;
  currency: string;
  /** Whether the plan takes a cap (pay-per-call plans with a monthly quota). */
  eligible: boolean;
  /** Billable requests per period the cap pays for (never more than the plan's quota ceiling); null without a cap. */
  capUnits: number | null;
  /** Present only when a cap is set but its requests cannot be worked out: why, and that it is not enforced. */
  reason?: string;
}

/** The outcome of setting a cap: `changed` is false when the same value was set again. */
export interface SpendCapChange {
  view: SpendCapView;
  changed: boolean;
}

async function liveSubscription(prisma: PrismaClient, consumerId: string) {
  const subscription = await prisma.subscription.findFirst({
    where: { consumerId, status: { not: 'canceled' } },
    orderBy: { createdAt: 'desc' },
    include: { plan: true },
  });
  if (!subscription) throw new NotFoundError('Subscription', `of consumer ${consumerId}`);
  return subscription;
}

type LiveSubscription = Awaited<ReturnType<typeof liveSubscription>>;

/** The subscription with the plan version it is pinned to: what the gateway enforces for it. */
interface PinnedSubscription {
  subscription: LiveSubscription;
  definition: PlanDefinition;
}

async function pinnedSubscription(prisma: PrismaClient, consumerId: string): Promise<PinnedSubscription> {
  const subscription = await liveSubscription(prisma, consumerId);
  return {
    subscription,
    definition: await subscriptionPlanDefinition(prisma, subscription, subscription.plan),
  };
}

function isEligible({ subscription, definition }: PinnedSubscription): boolean {
  return subscription.plan.tier === 'pay_per_call' && definition.quota.period === 'month';
}

/** The units a cap pays for, as the gateway snapshot sizes them. Throws when the prices cannot be rated. */
function capUnitsOf(definition: PlanDefinition, capMinor: number): number {
  return spendCapUnits(
    definition,
    capMinor,
    quotaCeiling(definition.quota.limit, definition.overage?.bufferPercent),
  );
}

function viewOf(pinned: PinnedSubscription, capMinor: number | null): SpendCapView {
  const { subscription, definition } = pinned;
  const eligible = isEligible(pinned);
  const view: SpendCapView = {
    capMinor,
    currency: definition.currency.toLowerCase(),
    eligible,
    capUnits: null,
  };
  if (capMinor === null || !eligible) return view;
  try {
    view.capUnits = capUnitsOf(definition, capMinor);
  } catch (error) {
    // Reading a cap must not fail on plan fields the developer cannot change.
    if (!(error instanceof DomainError)) throw error;
    view.reason = `The prices of "${subscription.plan.name}" cannot be rated, so the cap is not enforced until the plan is fixed`;
  }
  return view;
}

/** The consumer's spend cap on its live subscription, sized on the plan version it is pinned to. */
export async function consumerSpendCap(prisma: PrismaClient, consumerId: string): Promise<SpendCapView> {
  const pinned = await pinnedSubscription(prisma, consumerId);
  return viewOf(pinned, pinned.subscription.spendCapMinor);
}

function capIssue(message: string): ValidationError {
  return new ValidationError([{ field: 'capMinor', message }]);
}

/** Why `capMinor` cannot be the cap of this subscription, as a 400 naming capMinor. */
function checkCap(pinned: PinnedSubscription, capMinor: number): void {
  const { subscription, definition } = pinned;
  const { plan } = subscription;
  if (plan.tier !== 'pay_per_call') {
    throw capIssue(
      `Spend caps are for pay-per-call plans; "${plan.name}" is a ${plan.tier.replace(/_/g, '-')} plan`,
    );
  }
  if (definition.quota.period !== 'month') {
    throw capIssue(`Spend caps need a monthly quota; "${plan.name}" has a daily one`);
  }
  let fixedCharge: number;
  try {
    fixedCharge = chargeForUnits(definition, 0);
    capUnitsOf(definition, capMinor);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw capIssue(`The prices of "${plan.name}" cannot be rated: no cap can be set`);
  }
  if (capMinor < fixedCharge) {
    throw capIssue(`Must be at least the plan's fixed charge of ${fixedCharge} minor units`);
  }
}

/**
 * Sets (or, with null, removes) the monthly spend cap. `input` is already validated against
 * spendCapInputSchema. Only pay-per-call plans with a monthly quota take one, and it must cover the
 * plan's fixed charge (of the version the subscription is pinned to). Setting the same value again
 * changes nothing: `changed` tells the caller whether to refresh the gateway snapshot.
 */
export async function setConsumerSpendCap(
  prisma: PrismaClient,
  consumerId: string,
  input: SpendCapInput,
): Promise<SpendCapChange> {
  const pinned = await pinnedSubscription(prisma, consumerId);
  if (input.capMinor !== null) checkCap(pinned, input.capMinor);
  if (pinned.subscription.spendCapMinor === input.capMinor) {
    return { view: viewOf(pinned, input.capMinor), changed: false };
  }
  await prisma.subscription.update({
    where: { id: pinned.subscription.id },
    data: { spendCapMinor: input.capMinor },
  });
  return { view: viewOf(pinned, input.capMinor), changed: true };
}
