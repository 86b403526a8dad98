import { NotFoundError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import {
  type Consumer,
  type Developer,
  type Plan,
  type Prisma,
  type PrismaClient,
} from '@tollgate/relational';

/**
 * A plan a developer may take without paying: no price component and no billed overage. The tier
 * alone does not decide it (a `free` tier plan with a price would still charge).
 */
export function isFreePlan(
  plan: Pick<Plan, 'prices' | 'overageBufferPercent' | 'overageUnitPriceMinor'>,
): boolean {
  const prices = Array.isArray(plan.prices) ? plan.prices : [];
  const billsOverage = plan.overageBufferPercent !== null && plan.overageUnitPriceMinor > 0;
  return prices.length === 0 && !billsOverage;
}

type Client = PrismaClient | Prisma.TransactionClient;

/** Plans a developer may see and pick in the portal. */
export const selectablePlanFilter = { isPublic: true, archivedAt: null } satisfies Prisma.PlanWhereInput;

/**
 * The plan new developers start on: the public plan with slug `free` when it is free, otherwise
 * the first public free plan (the `free` tier first, then the oldest). Null when there is none.
 */
export async function defaultPortalPlan(client: Client) {
  const candidates = await client.plan.findMany({
    where: selectablePlanFilter,
    include: { group: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const free = candidates.filter(isFreePlan);
  return (
    free.find((plan) => plan.slug === 'free') ?? free.find((plan) => plan.tier === 'free') ?? free[0] ?? null
  );
}

/**
 * The developer's own consumer, created on first need (at email verification) with a subscription
 * to the default free plan and that plan's consumer group. Call it inside a transaction.
 */
export async function ensureDeveloperConsumer(
  tx: Prisma.TransactionClient,
  developer: Developer,
  now = new Date(),
): Promise<Consumer> {
  const existing = await tx.consumer.findFirst({
    where: { developerId: developer.id },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (existing) return existing;
  const plan = await defaultPortalPlan(tx);
  const consumer = await tx.consumer.create({
    data: {
      id: prefixedId('cons'),
      name: developer.name,
      email: developer.email,
      developerId: developer.id,
      groupId: plan?.group?.id ?? null,
    },
  });
  if (plan) {
    await tx.subscription.create({
      data: {
        id: prefixedId('sub'),
        consumerId: consumer.id,
        planId: plan.id,
        planVersion: plan.version,
        status: 'active',
        periodAnchor: now,
      },
    });
  }
  return consumer;
}

/** The consumer a signed-in developer acts as (their oldest, when an operator attached more). */
export async function developerConsumer(prisma: Client, developerId: string): Promise<Consumer> {
  const consumer = await prisma.consumer.findFirst({
    where: { developerId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (!consumer) throw new NotFoundError('Consumer', `of developer ${developerId}`);
  return consumer;
}
