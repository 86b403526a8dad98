import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
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

const handledTypes = new Set(['invoice.payment_failed', 'invoice.paid', 'customer.subscription.deleted']);

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

const stripeActor: Actor = { type: 'system', id: 'stripe' };

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
    if (handledTypes.has(event.type)) {
      const subscription = await findSubscription(tx, stripeReferencesOf(event));
      if (!subscription) {
        outcome = 'unmatched';
      } else {
        subscriptionId = subscription.id;
        if (subscription.stripeEventAt && created < subscription.stripeEventAt) {
          outcome = 'stale';
        } else {
          const change = changeFor(event.type, subscription, created);
          await tx.subscription.update({
            where: { id: subscription.id },
            data: { ...change, stripeEventAt: created },
          });
          outcome = change ? 'applied' : 'unchanged';
          changed = change !== null;
          if (change) {
            await appendAudit(tx, stripeActor, {
              action: `subscription.stripe.${event.type}`,
              entityType: 'subscription',
              entityId: subscription.id,
              before: { status: subscription.status, pastDueSince: subscription.pastDueSince },
              after: { ...change, stripeEventId: event.id },
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
