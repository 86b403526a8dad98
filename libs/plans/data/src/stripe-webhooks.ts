import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import { parseStripePriceLocalId } from '@tollgate/plans-domain';
import { Prisma, type PrismaClient, type Subscription } from '@tollgate/relational';
import { type Actor, appendAudit } from './audit-log';

/** The part of a verified Stripe event that the control plane reads. */
export interface StripeWebhookEvent {
  id: string;
  type: string;
  /** Seconds since the epoch, as Stripe sends it. */
  created: number;
  data: { object: unknown };
}

/**
 * What an event did: `applied` changed a subscription, `unchanged` matched one already in that state,
 * `stale` was older than the last event applied to it, `unmatched` named no linked subscription,
 * `ignored` is a type Tollgate does not act on.
 */
export type StripeEventOutcome = 'applied' | 'unchanged' | 'stale' | 'unmatched' | 'ignored';

export interface StripeWebhookResult {
  received: true;
  /** The event id was already recorded: nothing was done this time. */
  duplicate: boolean;
  outcome?: StripeEventOutcome;
  /** Whether a subscription changed (the gateway snapshot then needs a refresh). */
  changed: boolean;
}

const handledTypes = new Set([
  'invoice.payment_failed',
  'invoice.paid',
  'customer.subscription.deleted',
  'customer.subscription.updated',
]);

const stripeActor: Actor = { type: 'system', id: 'stripe' };

/** Metadata keys a Tollgate Checkout Session carries (set by the billing worker's `StripeSync.checkout`). */
export const checkoutMetadataKeys = {
  consumerId: 'tollgate_consumer_id',
  planId: 'tollgate_plan_id',
  planVersion: 'tollgate_plan_version',
} as const;

/** An expandable Stripe reference: the id itself or the expanded object. */
function referenceId(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') {
    return (value as { id: string }).id;
  }
  return undefined;
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The Stripe subscription and customer an event concerns (invoices name them in two API versions). */
export function stripeReferencesOf(event: StripeWebhookEvent): {
  subscriptionId?: string;
  customerId?: string;
} {
  const object = event.data.object;
  const subscriptionId = event.type.startsWith('customer.subscription.')
    ? referenceId(field(object, 'id'))
    : (referenceId(field(object, 'subscription')) ??
      referenceId(field(object, 'parent', 'subscription_details', 'subscription')));
  return { subscriptionId, customerId: referenceId(field(object, 'customer')) };
}

async function findSubscription(
  tx: Prisma.TransactionClient,
  references: { subscriptionId?: string; customerId?: string },
): Promise<Subscription | null> {
  if (references.subscriptionId) {
    const bySubscription = await tx.subscription.findUnique({
      where: { stripeSubscriptionId: references.subscriptionId },
    });
    if (bySubscription) return bySubscription;
  }
  if (!references.customerId) return null;
  return tx.subscription.findFirst({
    where: {
      status: { not: 'canceled' },
      OR: [
        { stripeCustomerId: references.customerId },
        { consumer: { stripeCustomerId: references.customerId } },
      ],
      // The customer's live subscription, unless it is linked to another Stripe subscription.
      ...(references.subscriptionId ? { stripeSubscriptionId: null } : {}),
    },
    orderBy: { createdAt: 'desc' },
  });
}

type SubscriptionChange = Prisma.SubscriptionUpdateInput;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The Stripe price ids of a subscription object's items. */
export function subscriptionPriceIds(object: unknown): string[] {
  const items = field(object, 'items', 'data');
  if (!Array.isArray(items)) return [];
  return items.flatMap((item: unknown) => {
    const price = referenceId(field(item, 'price'));
    return price ? [price] : [];
  });
}

/**
 * The Tollgate plan (and version) whose synced price a Stripe subscription bills, from
 * `stripe_objects` (see `stripePriceLocalId`): the first item whose price names an existing plan.
 */
async function planOfPrices(
  tx: Prisma.TransactionClient,
  priceIds: string[],
): Promise<{ planId: string; version: number } | null> {
  if (priceIds.length === 0) return null;
  const rows = await tx.stripeObject.findMany({
    where: { kind: 'price', stripeId: { in: priceIds } },
    select: { stripeId: true, localId: true },
  });
  const named = new Map<string, { planId: string; version: number }>();
  for (const row of rows) {
    const parsed = parseStripePriceLocalId(row.localId);
    if (parsed) named.set(row.stripeId, parsed);
  }
  if (named.size === 0) return null;
  const plans = await tx.plan.findMany({
    where: { id: { in: [...new Set([...named.values()].map((target) => target.planId))] } },
    select: { id: true },
  });
  const existing = new Set(plans.map((plan) => plan.id));
  for (const priceId of priceIds) {
    const target = named.get(priceId);
    if (target && existing.has(target.planId)) return target;
  }
  return null;
}

/**
 * Whether an audit entry that suspended a subscription records a Stripe pause: the only
 * suspension Stripe makes (an admin or dunning suspends the consumer instead).
 */
export function isStripePauseSuspension(entry: {
  actorType: string;
  actorId: string;
  action: string;
}): boolean {
  return (
    entry.actorType === stripeActor.type &&
    entry.actorId === stripeActor.id &&
    entry.action === 'subscription.stripe.customer.subscription.updated'
  );
}

/** Whether the subscription's latest suspension in its audit trail came from a Stripe pause. */
async function suspendedByStripePause(
  tx: Prisma.TransactionClient,
  subscriptionId: string,
): Promise<boolean> {
  const latest = await tx.auditLog.findFirst({
    where: {
      entityType: 'subscription',
      entityId: subscriptionId,
      after: { path: ['status'], equals: 'suspended' },
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { actorType: true, actorId: true, action: true },
  });
  return latest !== null && isStripePauseSuspension(latest);
}

/**
 * Stripe's subscription status as a change of Tollgate's (null: no change). A pause suspends the
 * subscription; a resume (`active` or `trialing` again) lifts that suspension only when
 * `pausedInStripe` says the suspension came from a Stripe pause.
 */
export function subscriptionStatusChange(
  stripeStatus: unknown,
  subscription: Subscription,
  at: Date,
  pausedInStripe = false,
): SubscriptionChange | null {
  switch (stripeStatus) {
    case 'active':
    case 'trialing':
      if (subscription.status === 'suspended') {
        return pausedInStripe ? { status: stripeStatus, pastDueSince: null } : null;
      }
      if (stripeStatus === 'trialing') return null;
      if (subscription.status !== 'past_due' && subscription.status !== 'trialing') return null;
      return { status: 'active', pastDueSince: null };
    case 'past_due':
    case 'unpaid':
      // A trial that ends unpaid starts dunning like a paying subscription.
      if (subscription.status !== 'active' && subscription.status !== 'trialing') return null;
      return { status: 'past_due', pastDueSince: subscription.pastDueSince ?? at };
    case 'paused':
      // Stripe pauses a subscription, e.g. when a trial ends without a payment method.
      if (subscription.status === 'suspended' || subscription.status === 'canceled') return null;
      return { status: 'suspended' };
    case 'canceled':
    case 'incomplete_expired':
      return { status: 'canceled', canceledAt: at, pastDueSince: null };
    default:
      return null;
  }
}

/**
 * Whether a subscription follows the plan (and version) its Stripe subscription now bills:
 * `none` when it already is on it (or the prices name no synced plan), `move` to follow it, `keep`
 * to stay where it is. A subscription that dunning downgraded for non-payment keeps the free plan
 * while Stripe still bills the plan it came from (dunning restores that plan once paid), and while
 * it is unpaid; a move to another plan once it is paid again is a deliberate change.
 */
export function stripePlanFollow(
  subscription: Pick<Subscription, 'planId' | 'planVersion' | 'downgradedFromPlanId'>,
  target: { planId: string; version: number } | null,
  statusAfter: Subscription['status'],
): 'none' | 'move' | 'keep' {
  if (target === null) return 'none';
  if (target.planId === subscription.planId && target.version === subscription.planVersion) return 'none';
  if (subscription.downgradedFromPlanId === null) return 'move';
  if (target.planId === subscription.downgradedFromPlanId) return 'keep';
  return statusAfter === 'active' || statusAfter === 'trialing' ? 'move' : 'keep';
}

/**
 * `customer.subscription.updated`: the status mapped to Tollgate's, and a plan change when the
 * subscription now bills a price synced for another plan (or another version of it), unless it is
 * downgraded for non-payment (see `stripePlanFollow`).
 */
async function subscriptionUpdatedChange(
  tx: Prisma.TransactionClient,
  object: unknown,
  subscription: Subscription,
  at: Date,
): Promise<{ change: SubscriptionChange | null; planId?: string }> {
  if (subscription.status === 'canceled') return { change: null };
  // Found through its customer: the event names the Stripe subscription to link.
  const stripeSubscriptionId = referenceId(field(object, 'id'));
  const link: SubscriptionChange =
    subscription.stripeSubscriptionId === null && stripeSubscriptionId ? { stripeSubscriptionId } : {};
  const stripeStatus = field(object, 'status');
  const resumed =
    subscription.status === 'suspended' && (stripeStatus === 'active' || stripeStatus === 'trialing');
  const pausedInStripe = resumed && (await suspendedByStripePause(tx, subscription.id));
  const status = subscriptionStatusChange(stripeStatus, subscription, at, pausedInStripe);
  const target = await planOfPrices(tx, subscriptionPriceIds(object));
  const statusAfter = typeof status?.status === 'string' ? status.status : subscription.status;
  const follow = stripePlanFollow(subscription, target, statusAfter);
  if (follow !== 'move' || target === null) {
    return { change: status || Object.keys(link).length > 0 ? { ...status, ...link } : null };
  }
  return {
    change: {
      ...status,
      ...link,
      plan: { connect: { id: target.planId } },
      planVersion: target.version,
      pendingPlanId: null,
      pendingPlanVersion: null,
      pendingEffectiveAt: null,
      // A deliberate move: a later payment recovery has no plan to restore.
      downgradedFromPlanId: null,
    },
    planId: target.planId,
  };
}

export interface CheckoutSessionReferences {
  consumerId?: string;
  planId?: string;
  planVersion?: number;
  stripeSubscriptionId?: string;
  stripeCustomerId?: string;
}

/** What a completed Checkout Session names: the consumer and plan (metadata) and the Stripe ids. */
export function checkoutSessionReferences(session: unknown): CheckoutSessionReferences {
  const metadata = field(session, 'metadata');
  const version = Number(text(field(metadata, checkoutMetadataKeys.planVersion)));
  return {
    consumerId:
      text(field(metadata, checkoutMetadataKeys.consumerId)) ?? text(field(session, 'client_reference_id')),
    planId: text(field(metadata, checkoutMetadataKeys.planId)),
    planVersion: Number.isInteger(version) && version >= 1 ? version : undefined,
    stripeSubscriptionId: referenceId(field(session, 'subscription')),
    stripeCustomerId: referenceId(field(session, 'customer')),
  };
}

interface EventEffect {
  outcome: StripeEventOutcome;
  subscriptionId: string | null;
  changed: boolean;
}

/**
 * `checkout.session.completed` of a session opened by Tollgate: the consumer named by the
 * session's metadata (or `client_reference_id`) moves to the paid plan it names, active, linked to
 * the session's Stripe subscription and customer. Its billing periods restart at the event, in
 * step with the Stripe subscription's billing cycle.
 */
async function applyCheckoutCompleted(
  tx: Prisma.TransactionClient,
  event: StripeWebhookEvent,
  at: Date,
): Promise<EventEffect> {
  const { consumerId, planId, planVersion, stripeSubscriptionId, stripeCustomerId } =
    checkoutSessionReferences(event.data.object);
  const unmatched: EventEffect = { outcome: 'unmatched', subscriptionId: null, changed: false };
  if (!consumerId || !planId || !stripeSubscriptionId) return unmatched;
  const consumer = await tx.consumer.findUnique({ where: { id: consumerId } });
  const plan = await tx.plan.findUnique({ where: { id: planId }, include: { group: true } });
  if (!consumer || !plan) return unmatched;

  const linked = await tx.subscription.findUnique({ where: { stripeSubscriptionId } });
  if (linked) return { outcome: 'unchanged', subscriptionId: linked.id, changed: false };
  const live = await tx.subscription.findFirst({
    where: { consumerId, status: { not: 'canceled' } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  if (live?.stripeEventAt && at < live.stripeEventAt) {
    // A newer event already set plan and status; the ids are still linked so usage can be pushed.
    if (live.stripeSubscriptionId === null) {
      await tx.subscription.update({
        where: { id: live.id },
        data: { stripeSubscriptionId, stripeCustomerId: stripeCustomerId ?? live.stripeCustomerId },
      });
    }
    return { outcome: 'stale', subscriptionId: live.id, changed: false };
  }
  const version = planVersion ?? plan.version;
  const links = { stripeSubscriptionId, stripeCustomerId: stripeCustomerId ?? null, stripeEventAt: at };
  let subscriptionId: string;
  if (live && live.planId === planId) {
    await tx.subscription.update({
      where: { id: live.id },
      data: {
        ...links,
        planVersion: version,
        status: 'active',
        pastDueSince: null,
        downgradedFromPlanId: null,
      },
    });
    subscriptionId = live.id;
  } else {
    if (live) {
      await tx.subscription.update({
        where: { id: live.id },
        data: {
          status: 'canceled',
          canceledAt: at,
          downgradedFromPlanId: null,
          pendingPlanId: null,
          pendingPlanVersion: null,
          pendingEffectiveAt: null,
        },
      });
    }
    subscriptionId = prefixedId('sub');
    await tx.subscription.create({
      data: {
        id: subscriptionId,
        consumerId,
        planId,
        planVersion: version,
        status: 'active',
        periodAnchor: at,
        ...links,
      },
    });
  }
  await tx.consumer.update({
    where: { id: consumerId },
    data: {
      ...(stripeCustomerId ? { stripeCustomerId } : {}),
      ...(plan.group ? { groupId: plan.group.id } : {}),
    },
  });
  await appendAudit(tx, stripeActor, {
    action: `subscription.stripe.${event.type}`,
    entityType: 'subscription',
    entityId: subscriptionId,
    before: live ? { planId: live.planId, planVersion: live.planVersion, status: live.status } : null,
    after: { planId, planVersion: version, status: 'active', stripeSubscriptionId, stripeEventId: event.id },
  });
  return { outcome: 'applied', subscriptionId, changed: true };
}

/** The change an event makes to a subscription, or null when it is already in that state. */
function changeFor(type: string, subscription: Subscription, at: Date): SubscriptionChange | null {
  if (subscription.status === 'canceled') return null;
  switch (type) {
    case 'invoice.payment_failed':
      // A suspended or trialing subscription keeps its status; only a paying one falls past due.
      if (subscription.status !== 'active' && subscription.status !== 'past_due') return null;
      if (subscription.status === 'past_due' && subscription.pastDueSince) return null;
      return { status: 'past_due', pastDueSince: subscription.pastDueSince ?? at };
    case 'invoice.paid':
      if (subscription.status !== 'past_due' && !subscription.pastDueSince) return null;
      return {
        status: subscription.status === 'past_due' ? 'active' : subscription.status,
        pastDueSince: null,
      };
    case 'customer.subscription.deleted':
      return { status: 'canceled', canceledAt: at, pastDueSince: null };
    default:
      return null;
  }
}

/**
 * Applies a verified Stripe event exactly once. The event id is inserted first, in the same
 * transaction as its effect: a redelivery (or a concurrent one, which waits on the key) finds it
 * recorded and changes nothing. An event older than the last one applied to the subscription is
 * recorded as `stale`, so late deliveries never overwrite newer state.
 */
export async function processStripeEvent(
  prisma: PrismaClient,
  event: StripeWebhookEvent,
  now = new Date(),
): Promise<StripeWebhookResult> {
  const created = new Date(event.created * 1000);
  return prisma.$transaction(async (tx) => {
    const inserted = await tx.stripeEvent.createMany({
      data: [{ id: event.id, type: event.type, created, receivedAt: now }],
      skipDuplicates: true,
    });
    if (inserted.count === 0) return { received: true, duplicate: true, changed: false };

    let outcome: StripeEventOutcome = 'ignored';
    let subscriptionId: string | null = null;
    let changed = false;
    if (event.type === 'checkout.session.completed') {
      ({ outcome, subscriptionId, changed } = await applyCheckoutCompleted(tx, event, created));
    } else if (handledTypes.has(event.type)) {
      const subscription = await findSubscription(tx, stripeReferencesOf(event));
      if (!subscription) {
        outcome = 'unmatched';
      } else {
        subscriptionId = subscription.id;
        if (subscription.stripeEventAt && created < subscription.stripeEventAt) {
          outcome = 'stale';
        } else {
          const updated =
            event.type === 'customer.subscription.updated'
              ? await subscriptionUpdatedChange(tx, event.data.object, subscription, created)
              : { change: changeFor(event.type, subscription, created) };
          const change = updated.change;
          await tx.subscription.update({
            where: { id: subscription.id },
            data: { ...change, stripeEventAt: created },
          });
          if (updated.planId !== undefined && updated.planId !== subscription.planId) {
            const group = await tx.consumerGroup.findUnique({ where: { planId: updated.planId } });
            await tx.consumer.update({
              where: { id: subscription.consumerId },
              data: { groupId: group?.id ?? null },
            });
          }
          outcome = change ? 'applied' : 'unchanged';
          changed = change !== null;
          if (change) {
            await appendAudit(tx, stripeActor, {
              action: `subscription.stripe.${event.type}`,
              entityType: 'subscription',
              entityId: subscription.id,
              before: {
                status: subscription.status,
                pastDueSince: subscription.pastDueSince,
                planId: subscription.planId,
                planVersion: subscription.planVersion,
              },
              after: {
                ...change,
                ...(updated.planId ? { planId: updated.planId } : {}),
                stripeEventId: event.id,
              },
            });
          }
        }
      }
    }
    await tx.stripeEvent.update({
      where: { id: event.id },
      data: { processedAt: now, outcome, subscriptionId },
    });
    return { received: true, duplicate: false, outcome, changed };
  });
}

/** Stripe ids to link; an absent field is left as is, null unlinks. */
export interface StripeLink {
  stripeCustomerId?: string | null;
  stripeSubscriptionId?: string | null;
}

export interface StripeLinkView {
  consumerId: string;
  stripeCustomerId: string | null;
  subscriptionId: string | null;
  stripeSubscriptionId: string | null;
  status: string | null;
  pastDueSince: string | null;
}

/**
 * Links a consumer and its live subscription to their Stripe customer and subscription, so that
 * webhooks find them. An absent field is left as is; null unlinks.
 */
export async function linkConsumerToStripe(
  prisma: PrismaClient,
  consumerId: string,
  link: StripeLink,
  actor: Actor,
): Promise<StripeLinkView> {
  try {
    return await prisma.$transaction(async (tx) => {
      const consumer = await tx.consumer.findUnique({ where: { id: consumerId } });
      if (!consumer) throw new NotFoundError('Consumer', consumerId);
      const live = await tx.subscription.findFirst({
        where: { consumerId, status: { not: 'canceled' } },
        orderBy: { createdAt: 'desc' },
      });
      if (!live && link.stripeSubscriptionId) {
        throw new ValidationError([
          { field: 'stripeSubscriptionId', message: 'the consumer has no live subscription to link' },
        ]);
      }
      const customer =
        link.stripeCustomerId === undefined
          ? consumer
          : await tx.consumer.update({
              where: { id: consumerId },
              data: { stripeCustomerId: link.stripeCustomerId },
            });
      const subscription = live
        ? await tx.subscription.update({
            where: { id: live.id },
            data: {
              ...(link.stripeCustomerId === undefined ? {} : { stripeCustomerId: link.stripeCustomerId }),
              ...(link.stripeSubscriptionId === undefined
                ? {}
                : { stripeSubscriptionId: link.stripeSubscriptionId }),
            },
          })
        : null;
      const view: StripeLinkView = {
        consumerId,
        stripeCustomerId: customer.stripeCustomerId,
        subscriptionId: subscription?.id ?? null,
        stripeSubscriptionId: subscription?.stripeSubscriptionId ?? null,
        status: subscription?.status ?? null,
        pastDueSince: subscription?.pastDueSince?.toISOString() ?? null,
      };
      await appendAudit(tx, actor, {
        action: 'consumer.stripe_link',
        entityType: 'consumer',
        entityId: consumerId,
        before: {
          stripeCustomerId: consumer.stripeCustomerId,
          stripeSubscriptionId: live?.stripeSubscriptionId ?? null,
        },
        after: { stripeCustomerId: view.stripeCustomerId, stripeSubscriptionId: view.stripeSubscriptionId },
      });
      return view;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new ConflictError('That Stripe customer or subscription is already linked to another consumer');
    }
    throw error;
  }
}
