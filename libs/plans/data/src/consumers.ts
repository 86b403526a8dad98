import { billingPeriodAt } from '@tollgate/billing-period';
import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import { type ConsumerCreate, type ConsumerListQuery, type ConsumerPatch } from '@tollgate/plans-domain';
import {
  type Consumer,
  type Plan,
  type Prisma,
  type PrismaClient,
  type Subscription,
} from '@tollgate/relational';
import { appendAudit, type Actor } from './audit-log';
import { newWebhookSecret } from './consumer-webhook-signature';

type Db = Prisma.TransactionClient;

export interface SubscriptionView {
  id: string;
  planId: string;
  planName: string;
  planVersion: number;
  status: Subscription['status'];
  periodAnchor: string;
  /** The billing period containing now, in the consumer's time zone. */
  currentPeriod: { start: string; end: string };
  trialEndsAt: string | null;
  canceledAt: string | null;
  pendingPlanId: string | null;
  pendingPlanVersion: number | null;
  pendingEffectiveAt: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  createdAt: string;
}

export interface ConsumerView {
  id: string;
  name: string;
  email: string;
  status: Consumer['status'];
  suspendedReason: string | null;
  timeZone: string;
  billingEmails: string[];
  webhookUrl: string | null;
  /** The consumer's id in the provider's identity system; JWT bearer tokens map to it. */
  externalId: string | null;
  developerId: string | null;
  groupId: string | null;
  createdAt: string;
  updatedAt: string;
  /** The live (not canceled) subscription; null when there is none. */
  subscription: SubscriptionView | null;
}

export interface ConsumerDetailView extends ConsumerView {
  /** Signs outbound webhooks; shared with the consumer so it can verify them. */
  webhookSecret: string | null;
}

export interface ConsumerPage {
  items: ConsumerView[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

type SubscriptionWithPlan = Subscription & { plan: Pick<Plan, 'name' | 'quotaPeriod'> };
type ConsumerWithSubscription = Consumer & { subscriptions: SubscriptionWithPlan[] };

const liveSubscription = {
  where: { status: { not: 'canceled' } },
  orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  take: 1,
  include: { plan: { select: { name: true, quotaPeriod: true } } },
} satisfies Prisma.Consumer$subscriptionsArgs;

function subscriptionView(
  subscription: SubscriptionWithPlan,
  timeZone: string,
  now: number,
): SubscriptionView {
  const period = billingPeriodAt(
    now,
    subscription.periodAnchor.getTime(),
    timeZone,
    subscription.plan.quotaPeriod,
  );
  return {
    id: subscription.id,
    planId: subscription.planId,
    planName: subscription.plan.name,
    planVersion: subscription.planVersion,
    status: subscription.status,
    periodAnchor: subscription.periodAnchor.toISOString(),
    currentPeriod: { start: new Date(period.start).toISOString(), end: new Date(period.end).toISOString() },
    trialEndsAt: subscription.trialEndsAt?.toISOString() ?? null,
    canceledAt: subscription.canceledAt?.toISOString() ?? null,
    pendingPlanId: subscription.pendingPlanId,
    pendingPlanVersion: subscription.pendingPlanVersion,
    pendingEffectiveAt: subscription.pendingEffectiveAt?.toISOString() ?? null,
    stripeCustomerId: subscription.stripeCustomerId,
    stripeSubscriptionId: subscription.stripeSubscriptionId,
    createdAt: subscription.createdAt.toISOString(),
  };
}

export function consumerView(consumer: ConsumerWithSubscription, now = Date.now()): ConsumerView {
  const subscription = consumer.subscriptions[0];
  return {
    id: consumer.id,
    name: consumer.name,
    email: consumer.email,
    status: consumer.status,
    suspendedReason: consumer.suspendedReason,
    timeZone: consumer.timeZone,
    billingEmails: consumer.billingEmails,
    webhookUrl: consumer.webhookUrl,
    externalId: consumer.externalId,
    developerId: consumer.developerId,
    groupId: consumer.groupId,
    createdAt: consumer.createdAt.toISOString(),
    updatedAt: consumer.updatedAt.toISOString(),
    subscription: subscription ? subscriptionView(subscription, consumer.timeZone, now) : null,
  };
}

async function readConsumer(db: Db, consumerId: string): Promise<ConsumerDetailView> {
  const consumer = await db.consumer.findUnique({
    where: { id: consumerId },
    include: { subscriptions: liveSubscription },
  });
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  return { ...consumerView(consumer), webhookSecret: consumer.webhookSecret };
}

/** The audit trail never holds the webhook secret. */
function auditable(view: ConsumerDetailView): ConsumerView {
  const { webhookSecret: _secret, ...rest } = view;
  return rest;
}

async function ensureExternalIdFree(db: Db, externalId: string, exceptId?: string): Promise<void> {
  const holder = await db.consumer.findUnique({ where: { externalId }, select: { id: true } });
  if (holder && holder.id !== exceptId) {
    throw new ConflictError(`Consumer ${holder.id} already has the external id ${externalId}`, {
      field: 'externalId',
    });
  }
}

async function subscribablePlan(db: Db, planId: string, field: string) {
  const plan = await db.plan.findUnique({ where: { id: planId }, include: { group: true } });
  if (!plan) throw new ValidationError([{ field, message: `No plan ${planId}` }]);
  if (plan.archivedAt) throw new ValidationError([{ field, message: `Plan ${planId} is archived` }]);
  // Plans created before groups existed get theirs on first use.
  const group =
    plan.group ??
    (await db.consumerGroup.create({ data: { id: prefixedId('cgrp'), name: plan.name, planId } }));
  return { ...plan, group };
}

/**
 * Creates a consumer and its subscription: trialing when the plan has trial days, else active; the
 * billing period is anchored now, in the consumer's time zone.
 */
export async function createConsumer(
  prisma: PrismaClient,
  input: ConsumerCreate & { developerId?: string },
  actor?: Actor,
  now = new Date(),
): Promise<ConsumerDetailView> {
  return prisma.$transaction(async (tx) => {
    const plan = await subscribablePlan(tx, input.planId, 'planId');
    if (input.externalId) await ensureExternalIdFree(tx, input.externalId);
    const id = prefixedId('cons');
    await tx.consumer.create({
      data: {
        id,
        name: input.name,
        email: input.email,
        timeZone: input.timeZone,
        billingEmails: input.billingEmails,
        webhookUrl: input.webhookUrl,
        webhookSecret: input.webhookUrl ? newWebhookSecret() : null,
        externalId: input.externalId ?? null,
        developerId: input.developerId ?? null,
        groupId: plan.group.id,
      },
    });
    const trialing = plan.trialDays > 0;
    await tx.subscription.create({
      data: {
        id: prefixedId('sub'),
        consumerId: id,
        planId: plan.id,
        planVersion: plan.version,
        status: trialing ? 'trialing' : 'active',
        periodAnchor: now,
        trialEndsAt: trialing ? new Date(now.getTime() + plan.trialDays * 86_400_000) : null,
      },
    });
    const view = await readConsumer(tx, id);
    await appendAudit(tx, actor, {
      action: 'consumer.create',
      entityType: 'consumer',
      entityId: id,
      after: auditable(view),
    });
    return view;
  });
}

export async function getConsumer(prisma: PrismaClient, consumerId: string): Promise<ConsumerDetailView> {
  return prisma.$transaction((tx) => readConsumer(tx, consumerId));
}

/** Newest first, `limit` per page, filtered by status, live plan, and name/email substring. */
export async function listConsumers(prisma: PrismaClient, query: ConsumerListQuery): Promise<ConsumerPage> {
  const where: Prisma.ConsumerWhereInput = {
    ...(query.status ? { status: query.status } : {}),
    ...(query.planId
      ? { subscriptions: { some: { planId: query.planId, status: { not: 'canceled' } } } }
      : {}),
    ...(query.search
      ? {
          OR: [
            { name: { contains: query.search, mode: 'insensitive' } },
            { email: { contains: query.search, mode: 'insensitive' } },
          ],
        }
      : {}),
  };
  return prisma.$transaction(async (tx) => {
    if (
      query.cursor &&
      !(await tx.consumer.findUnique({ where: { id: query.cursor }, select: { id: true } }))
    ) {
      throw new ValidationError([{ field: 'cursor', message: 'Unknown cursor' }]);
    }
    const rows = await tx.consumer.findMany({
      where,
      include: { subscriptions: liveSubscription },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
      ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
    });
    const now = Date.now();
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => consumerView(row, now)),
      nextCursor: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  });
}

/**
 * Edits a consumer. A plan change effective now cancels the live subscription and starts a new one
 * on the same billing anchor (a version-only move updates it in place); a future one is recorded as
 * pending on the live subscription.
 */
export async function patchConsumer(
  prisma: PrismaClient,
  consumerId: string,
  patch: ConsumerPatch,
  actor?: Actor,
  now = new Date(),
): Promise<ConsumerDetailView> {
  return prisma.$transaction(async (tx) => {
    const before = await readConsumer(tx, consumerId);
    const consumer = await tx.consumer.findUniqueOrThrow({ where: { id: consumerId } });
    const data: Prisma.ConsumerUpdateInput = {
      name: patch.name,
      email: patch.email,
      billingEmails: patch.billingEmails,
    };
    if (patch.externalId !== undefined) {
      if (patch.externalId !== null) await ensureExternalIdFree(tx, patch.externalId, consumerId);
      data.externalId = patch.externalId;
    }
    if (patch.webhookUrl !== undefined) {
      data.webhookUrl = patch.webhookUrl;
      data.webhookSecret = patch.webhookUrl === null ? null : (consumer.webhookSecret ?? newWebhookSecret());
    }
    if (patch.status === 'suspended') {
      data.status = 'suspended';
      data.suspendedReason =
        patch.suspendedReason ?? consumer.suspendedReason ?? 'Suspended by an administrator';
    } else if (patch.status === 'active') {
      data.status = 'active';
      data.suspendedReason = null;
    }
    if (patch.planId !== undefined || patch.planVersion !== undefined) {
      const groupId = await changePlan(tx, consumerId, patch, now);
      if (groupId) data.group = { connect: { id: groupId } };
    }
    await tx.consumer.update({ where: { id: consumerId }, data });
    const after = await readConsumer(tx, consumerId);
    await appendAudit(tx, actor, {
      action: 'consumer.update',
      entityType: 'consumer',
      entityId: consumerId,
      before: auditable(before),
      after: auditable(after),
    });
    return after;
  });
}

/** Applies or schedules a plan change; returns the new group when the consumer moved now. */
async function changePlan(
  db: Db,
  consumerId: string,
  patch: ConsumerPatch,
  now: Date,
): Promise<string | null> {
  const live = await db.subscription.findFirst({
    where: { consumerId, status: { not: 'canceled' } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  const planId = patch.planId ?? live?.planId;
  if (!planId)
    throw new ValidationError([{ field: 'planId', message: 'The consumer has no plan; name one' }]);
  const plan = await subscribablePlan(db, planId, 'planId');
  const version = patch.planVersion ?? plan.version;
  if (
    !(await db.planVersion.findUnique({
      where: { planId_version: { planId, version } },
      select: { id: true },
    }))
  ) {
    throw new ValidationError([
      { field: 'planVersion', message: `Plan ${planId} has no version ${version}` },
    ]);
  }
  const effectiveAt =
    patch.effectiveAt && patch.effectiveAt.getTime() > now.getTime() ? patch.effectiveAt : null;
  if (live && effectiveAt) {
    await db.subscription.update({
      where: { id: live.id },
      data: { pendingPlanId: planId, pendingPlanVersion: version, pendingEffectiveAt: effectiveAt },
    });
    return null;
  }
  await moveSubscription(db, consumerId, live, planId, version, now);
  return plan.group.id;
}

async function moveSubscription(
  db: Db,
  consumerId: string,
  live: Subscription | null,
  planId: string,
  version: number,
  now: Date,
): Promise<void> {
  // A deliberate plan change also ends a dunning downgrade: a later payment restores nothing.
  const clearPending = {
    pendingPlanId: null,
    pendingPlanVersion: null,
    pendingEffectiveAt: null,
    downgradedFromPlanId: null,
  };
  if (live && live.planId === planId) {
    await db.subscription.update({ where: { id: live.id }, data: { planVersion: version, ...clearPending } });
    return;
  }
  if (live) {
    await db.subscription.update({
      where: { id: live.id },
      data: { status: 'canceled', canceledAt: now, ...clearPending },
    });
  }
  await db.subscription.create({
    data: {
      id: prefixedId('sub'),
      consumerId,
      planId,
      planVersion: version,
      status: 'active',
      // The consumer keeps its billing calendar across plan changes.
      periodAnchor: live?.periodAnchor ?? now,
      stripeCustomerId: live?.stripeCustomerId ?? null,
    },
  });
}

/**
 * Applies scheduled plan changes whose time has come (run periodically by a job). Returns how many
 * subscriptions moved.
 */
export async function applyDueSubscriptionChanges(prisma: PrismaClient, now = new Date()): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const due = await tx.subscription.findMany({
      where: { status: { not: 'canceled' }, pendingEffectiveAt: { lte: now }, pendingPlanId: { not: null } },
    });
    for (const subscription of due) {
      const planId = subscription.pendingPlanId as string;
      const version = subscription.pendingPlanVersion ?? subscription.planVersion;
      await moveSubscription(tx, subscription.consumerId, subscription, planId, version, now);
      if (planId !== subscription.planId) {
        const group = await tx.consumerGroup.findUnique({ where: { planId }, select: { id: true } });
        await tx.consumer.update({
          where: { id: subscription.consumerId },
          data: { groupId: group?.id ?? null },
        });
      }
      await appendAudit(
        tx,
        { type: 'system', id: 'scheduler' },
        {
          action: 'subscription.apply_pending',
          entityType: 'subscription',
          entityId: subscription.id,
          after: {
            planId,
            planVersion: version,
            effectiveAt: subscription.pendingEffectiveAt?.toISOString() ?? null,
          },
        },
      );
    }
    return due.length;
  });
}
