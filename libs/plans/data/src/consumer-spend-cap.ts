import { NotFoundError, ValidationError } from '@tollgate/errors';
import { parseInput, planDefinition, type SpendCapInput, spendCapInputSchema } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { chargeForUnits, spendCapUnits } from './spend-cap-units';

/** A consumer's spend cap and what it means in requests. */
export interface SpendCapView {
  /** Minor units of `currency`; null: no cap. */
  capMinor: number | null;
  currency: string;
  /** Whether the plan takes a cap (pay-per-call plans with a monthly quota). */
  eligible: boolean;
  /** Billable requests per period the cap pays for (never more than the plan's quota ceiling); null without a cap. */
  capUnits: number | null;
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

function isEligible(subscription: LiveSubscription): boolean {
  return subscription.plan.tier === 'pay_per_call' && subscription.plan.quotaPeriod === 'month';
}

function quotaCeilingOf(subscription: LiveSubscription): number {
  const { quotaLimit, overageBufferPercent } = subscription.plan;
  return quotaLimit + Math.floor((quotaLimit * (overageBufferPercent ?? 0)) / 100);
}

function viewOf(subscription: LiveSubscription): SpendCapView {
  const capMinor = subscription.spendCapMinor;
  const eligible = isEligible(subscription);
  return {
    capMinor,
    currency: subscription.plan.currency.toLowerCase(),
    eligible,
    capUnits:
      capMinor === null || !eligible
        ? null
        : spendCapUnits(planDefinition(subscription.plan), capMinor, quotaCeilingOf(subscription)),
  };
}

/** The consumer's spend cap on its live subscription. */
export async function consumerSpendCap(prisma: PrismaClient, consumerId: string): Promise<SpendCapView> {
  return viewOf(await liveSubscription(prisma, consumerId));
}

/**
 * Sets (or, with null, removes) the monthly spend cap. Only pay-per-call plans with a monthly quota
 * take one, and it must cover the plan's fixed charge. Setting the same value again changes nothing.
 * The caller refreshes the gateway snapshot.
 */
export async function setConsumerSpendCap(
  prisma: PrismaClient,
  consumerId: string,
  body: unknown,
): Promise<SpendCapView> {
  const input: SpendCapInput = parseInput(spendCapInputSchema, body);
  const subscription = await liveSubscription(prisma, consumerId);
  if (input.capMinor !== null) {
    const { plan } = subscription;
    if (plan.tier !== 'pay_per_call') {
      throw new ValidationError([
        {
          field: 'capMinor',
          message: `Spend caps are for pay-per-call plans; "${plan.name}" is a ${plan.tier.replace(/_/g, '-')} plan`,
        },
      ]);
    }
    if (plan.quotaPeriod !== 'month') {
      throw new ValidationError([
        { field: 'capMinor', message: `Spend caps need a monthly quota; "${plan.name}" has a daily one` },
      ]);
    }
    let fixedCharge: number;
    try {
      fixedCharge = chargeForUnits(planDefinition(plan), 0);
    } catch {
      throw new ValidationError([
        { field: 'capMinor', message: `The prices of "${plan.name}" cannot be rated: no cap can be set` },
      ]);
    }
    if (input.capMinor < fixedCharge) {
      throw new ValidationError([
        {
          field: 'capMinor',
          message: `Must be at least the plan's fixed charge of ${fixedCharge} minor units`,
        },
      ]);
    }
  }
  if (subscription.spendCapMinor === input.capMinor) return viewOf(subscription);
  const updated = await prisma.subscription.update({
    where: { id: subscription.id },
    data: { spendCapMinor: input.capMinor },
    include: { plan: true },
  });
  return viewOf(updated);
}
