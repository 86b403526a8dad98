import { type BillingInvoice, type BillingProvider } from '@tollgate/billing-stripe';
import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
import { subscriptionPlanDefinition } from '@tollgate/plans-data';
import { httpUrlSchema, planDefinition, type PlanDefinition } from '@tollgate/plans-domain';
import { type Plan, type PrismaClient } from '@tollgate/relational';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import {
  fingerprintOf,
  isPaidDefinition,
  stripeObjectKinds,
  type StripePlanLayout,
  stripePlanLayout,
} from './stripe-plan-mapping';

export interface StripeSyncOptions {
  prisma: PrismaClient;
  provider: BillingProvider;
  logger: BillingWorkerLogger;
}

/**
 * Stripe objects created (or found again) by one sync, products updated included; what was
 * already recorded unchanged is not counted.
 */
export interface StripeSyncSummary {
  products: number;
  meters: number;
  prices: number;
  customers: number;
  subscriptions: number;
}

/** What `syncAll` did: the objects sent, and the plans, consumers and subscriptions that failed. */
export interface StripeSyncAllSummary extends StripeSyncSummary {
  failed: number;
}

export interface CheckoutRequest {
  consumerId: string;
  planId: string;
  successUrl: string;
  cancelUrl: string;
}

export interface CustomerPortalRequest {
  consumerId: string;
  returnUrl: string;
}

export interface InvoicesRequest {
  consumerId: string;
  /** 1 to 100. */
  limit: number;
}

type StripeObjectKind = (typeof stripeObjectKinds)[keyof typeof stripeObjectKinds];

const emptySummary = (): StripeSyncSummary => ({
  products: 0,
  meters: 0,
  prices: 0,
  customers: 0,
  subscriptions: 0,
});

function add(total: StripeSyncSummary, part: StripeSyncSummary): StripeSyncSummary {
  return {
    products: total.products + part.products,
    meters: total.meters + part.meters,
    prices: total.prices + part.prices,
    customers: total.customers + part.customers,
    subscriptions: total.subscriptions + part.subscriptions,
  };
}

function checkUrl(value: string, field: string): void {
  if (!httpUrlSchema.safeParse(value).success) {
    throw new ValidationError([{ field, message: 'Must be an http or https URL' }]);
  }
}

/**
 * Keeps Stripe in step with Tollgate: plans → Products and Prices (metered prices backed by one
 * Billing Meter per billable metric), consumers with a paid subscription → Customers,
 * subscriptions on paid plans → Subscriptions. Every object is recorded in `stripe_objects` with a
 * fingerprint of what was sent: an unchanged object is not sent again, and a price is never
 * changed in place (a changed plan version gets new prices).
 */
export class StripeSync {
  private readonly prisma: PrismaClient;
  private readonly provider: BillingProvider;
  private readonly logger: BillingWorkerLogger;

  constructor(options: StripeSyncOptions) {
    this.prisma = options.prisma;
    this.provider = options.provider;
    this.logger = options.logger;
  }

  /**
   * Syncs every plan, every consumer with a paid subscription and every unlinked paid subscription.
   * Each is synced on its own: a failure is logged with its ids and counted in `failed`, and the
   * sync goes on with the next one.
   */
  async syncAll(): Promise<StripeSyncAllSummary> {
    let summary = emptySummary();
    let failed = 0;
    const attempt = async (ids: Record<string, string>, step: () => Promise<StripeSyncSummary>) => {
      try {
        summary = add(summary, await step());
      } catch (error) {
        failed += 1;
        this.logger.error({ err: error, ...ids }, 'Stripe sync failed; going on with the rest');
      }
    };
    const plans = await this.prisma.plan.findMany({
      where: { archivedAt: null },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
    for (const plan of plans) await attempt({ planId: plan.id }, () => this.syncPlan(plan.id));
    const subscriptions = await this.prisma.subscription.findMany({
      where: { status: { not: 'canceled' } },
      include: { plan: true },
      orderBy: { createdAt: 'asc' },
    });
    const consumers = new Set<string>();
    for (const subscription of subscriptions) {
      const ids = { subscriptionId: subscription.id, consumerId: subscription.consumerId };
      let paid = false;
      await attempt(ids, async () => {
        const definition = await subscriptionPlanDefinition(this.prisma, subscription, subscription.plan);
        paid = isPaidDefinition(definition, subscription.plan.tier);
        return emptySummary();
      });
      if (!paid) continue;
      if (!consumers.has(subscription.consumerId)) {
        consumers.add(subscription.consumerId);
        await attempt(ids, () => this.syncConsumer(subscription.consumerId));
      }
      if (subscription.stripeSubscriptionId === null) {
        await attempt(ids, () => this.syncSubscription(subscription.id));
      }
    }
    const result = { ...summary, failed };
    if (failed > 0) this.logger.warn(result, 'Stripe sync done, with failures');
    else this.logger.info(result, 'Stripe sync done');
    return result;
  }

  /** The plan's Product, the Meters of its metered prices and the Prices of its latest version. */
  async syncPlan(planId: string): Promise<StripeSyncSummary> {
    const plan = await this.prisma.plan.findUnique({ where: { id: planId } });
    if (!plan) throw new NotFoundError('Plan', planId);
    const summary = emptySummary();
    await this.ensurePlanVersion(plan, plan.version, planDefinition(plan), summary);
    return summary;
  }

  /** The consumer's Customer (created once; the id is stored on the consumer). */
  async syncConsumer(consumerId: string): Promise<StripeSyncSummary> {
    const summary = emptySummary();
    await this.ensureCustomer(consumerId, summary);
    return summary;
  }

  /** A Stripe Subscription for a subscription on a paid plan that has none yet. */
  async syncSubscription(subscriptionId: string): Promise<StripeSyncSummary> {
    const summary = emptySummary();
    const subscription = await this.prisma.subscription.findUnique({
      where: { id: subscriptionId },
      include: { plan: true },
    });
    if (!subscription) throw new NotFoundError('Subscription', subscriptionId);
    if (subscription.stripeSubscriptionId !== null || subscription.status === 'canceled') return summary;
    const definition = await subscriptionPlanDefinition(this.prisma, subscription, subscription.plan);
    if (!isPaidDefinition(definition, subscription.plan.tier)) return summary;
    const priceIds = await this.ensurePlanVersion(
      subscription.plan,
      subscription.planVersion,
      definition,
      summary,
    );
    const customerId = await this.ensureCustomer(subscription.consumerId, summary);
    const created = await this.provider.createSubscription({ subscriptionId, customerId, priceIds });
    await this.prisma.$transaction(async (tx) => {
      await tx.subscription.update({
        where: { id: subscriptionId },
        data: { stripeSubscriptionId: created.id, stripeCustomerId: customerId },
      });
      await tx.stripeObject.upsert({
        where: { kind_localId: { kind: stripeObjectKinds.subscription, localId: subscriptionId } },
        create: {
          kind: stripeObjectKinds.subscription,
          localId: subscriptionId,
          stripeId: created.id,
          fingerprint: fingerprintOf(priceIds),
        },
        update: { stripeId: created.id, fingerprint: fingerprintOf(priceIds), syncedAt: new Date() },
      });
    });
    summary.subscriptions += 1;
    this.logger.info(
      { subscriptionId, stripeSubscriptionId: created.id },
      'Stripe subscription created for a subscription',
    );
    return summary;
  }

  /**
   * A Checkout Session for the plan's latest prices. The session names the consumer
   * (`client_reference_id`) and carries `tollgate_consumer_id`, `tollgate_plan_id` and
   * `tollgate_plan_version` in its metadata and its subscription's: `checkout.session.completed`
   * moves the consumer to that plan. A consumer whose live subscription is already linked to a Stripe
   * subscription is refused (409): a second one would bill twice.
   */
  async checkout(request: CheckoutRequest): Promise<{ url: string }> {
    checkUrl(request.successUrl, 'successUrl');
    checkUrl(request.cancelUrl, 'cancelUrl');
    const plan = await this.prisma.plan.findUnique({ where: { id: request.planId } });
    if (!plan) throw new NotFoundError('Plan', request.planId);
    if (plan.archivedAt !== null) {
      throw new ValidationError([{ field: 'planId', message: 'The plan is archived' }]);
    }
    const definition = planDefinition(plan);
    if (!isPaidDefinition(definition, plan.tier)) {
      throw new ValidationError([{ field: 'planId', message: 'The plan has nothing to pay for' }]);
    }
    const consumer = await this.prisma.consumer.findUnique({ where: { id: request.consumerId } });
    if (!consumer) throw new NotFoundError('Consumer', request.consumerId);
    const linked = await this.prisma.subscription.findFirst({
      where: { consumerId: consumer.id, status: { not: 'canceled' }, stripeSubscriptionId: { not: null } },
    });
    if (linked) {
      // A second Stripe subscription would bill twice: paid plans change in the customer portal.
      throw new ConflictError(
        'The consumer already pays through a Stripe subscription; change plans in the customer portal',
        { field: 'planId' },
      );
    }
    const summary = emptySummary();
    const priceIds = await this.ensurePlanVersion(plan, plan.version, definition, summary);
    const customerId = await this.ensureCustomer(consumer.id, summary);
    // Repeated clicks within the hour get the same session back; other URLs get their own.
    const hour = Math.floor(Date.now() / 3_600_000);
    const urls = fingerprintOf([request.successUrl, request.cancelUrl]);
    const session = await this.provider.createCheckoutSession({
      referenceId: `${consumer.id}:${plan.id}:v${plan.version}:${urls}:${hour}`,
      clientReferenceId: consumer.id,
      metadata: {
        tollgate_consumer_id: consumer.id,
        tollgate_plan_id: plan.id,
        tollgate_plan_version: String(plan.version),
      },
      priceIds,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl,
      customerId,
    });
    return { url: session.url };
  }

  /** A Stripe Customer Portal link (payment methods, invoices) for the consumer. */
  async customerPortal(request: CustomerPortalRequest): Promise<{ url: string }> {
    checkUrl(request.returnUrl, 'returnUrl');
    const customerId = await this.ensureCustomer(request.consumerId, emptySummary());
    const session = await this.provider.createPortalSession({ customerId, returnUrl: request.returnUrl });
    return { url: session.url };
  }

  /**
   * The consumer's most recent invoices, newest first. A consumer without a Stripe customer has
   * none, and none is created for asking.
   */
  async invoices(request: InvoicesRequest): Promise<BillingInvoice[]> {
    if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > 100) {
      throw new ValidationError([{ field: 'limit', message: 'Must be a whole number from 1 to 100' }]);
    }
    const consumer = await this.prisma.consumer.findUnique({ where: { id: request.consumerId } });
    if (!consumer) throw new NotFoundError('Consumer', request.consumerId);
    const customerId =
      consumer.stripeCustomerId ??
      (await this.recorded(stripeObjectKinds.customer, consumer.id))?.stripeId ??
      null;
    if (customerId === null) return [];
    return this.provider.listInvoices(customerId, request.limit);
  }

  private async recorded(kind: StripeObjectKind, localId: string) {
    return this.prisma.stripeObject.findUnique({ where: { kind_localId: { kind, localId } } });
  }

  private async record(
    kind: StripeObjectKind,
    localId: string,
    stripeId: string,
    fingerprint: string,
  ): Promise<void> {
    await this.prisma.stripeObject.upsert({
      where: { kind_localId: { kind, localId } },
      create: { kind, localId, stripeId, fingerprint },
      update: { stripeId, fingerprint, syncedAt: new Date() },
    });
  }

  /** Product, meters and prices of one plan version; returns the Stripe price ids in plan order. */
  private async ensurePlanVersion(
    plan: Plan,
    version: number,
    definition: PlanDefinition,
    summary: StripeSyncSummary,
  ): Promise<string[]> {
    if (!isPaidDefinition(definition, plan.tier)) return [];
    const layout: StripePlanLayout = stripePlanLayout(plan.id, version, definition);
    for (const skipped of layout.skipped) {
      this.logger.warn({ planId: plan.id, version, ...skipped }, 'Price component not synced to Stripe');
    }

    const productId = await this.ensureProduct(plan, version, summary);

    const meterIds = new Map<string, string>();
    for (const meter of layout.meters) {
      const fingerprint = fingerprintOf({ eventName: meter.eventName, aggregation: 'sum' });
      const existing = await this.recorded(stripeObjectKinds.meter, meter.localId);
      if (existing && existing.fingerprint === fingerprint) {
        meterIds.set(meter.slug, existing.stripeId);
        continue;
      }
      const created = await this.provider.ensureMeter({
        meterId: meter.localId,
        displayName: meter.displayName,
        eventName: meter.eventName,
        aggregation: 'sum',
      });
      await this.record(stripeObjectKinds.meter, meter.localId, created.id, fingerprint);
      meterIds.set(meter.slug, created.id);
      summary.meters += 1;
    }

    const priceIds: string[] = [];
    for (const price of layout.prices) {
      const existing = await this.recorded(stripeObjectKinds.price, price.localId);
      if (existing) {
        priceIds.push(existing.stripeId);
        continue;
      }
      const created = await this.provider.ensurePrice({
        // The fingerprint keeps the lookup key apart when a version's definition is edited in place.
        priceId: `${plan.id}:${price.key}:${price.fingerprint}`,
        planId: plan.id,
        version,
        productId,
        currency: price.currency,
        interval: 'month',
        ...(price.unitAmountMinor === undefined ? {} : { unitAmountMinor: price.unitAmountMinor }),
        ...(price.tiers === undefined ? {} : { tiers: price.tiers, tiersMode: price.tiersMode }),
        ...(price.transformQuantity === undefined ? {} : { transformQuantity: price.transformQuantity }),
        ...(price.meter === undefined ? {} : { meterId: meterIds.get(price.meter) }),
      });
      await this.record(stripeObjectKinds.price, price.localId, created.id, price.fingerprint);
      priceIds.push(created.id);
      summary.prices += 1;
    }
    return priceIds;
  }

  /**
   * The plan's Stripe product id: created once, and its name and description updated when they
   * changed since the last sync. The update's idempotency key names the new content and the
   * recorded state it replaces, so a retried update is replayed and a later one is sent anew.
   */
  private async ensureProduct(plan: Plan, version: number, summary: StripeSyncSummary): Promise<string> {
    const fingerprint = fingerprintOf({ name: plan.name, description: plan.description });
    const product = await this.recorded(stripeObjectKinds.product, plan.id);
    if (product && product.fingerprint === fingerprint) return product.stripeId;
    if (product) {
      await this.provider.updateProduct(product.stripeId, {
        name: plan.name,
        description: plan.description || null,
        revision: `${fingerprint}:${product.fingerprint}:${product.syncedAt.getTime().toString(36)}`,
      });
      this.logger.info({ planId: plan.id, productId: product.stripeId }, 'Stripe product updated');
      await this.record(stripeObjectKinds.product, plan.id, product.stripeId, fingerprint);
      summary.products += 1;
      return product.stripeId;
    }
    const created = await this.provider.ensureProduct({
      planId: plan.id,
      version,
      name: plan.name,
      ...(plan.description ? { description: plan.description } : {}),
    });
    await this.record(stripeObjectKinds.product, plan.id, created.id, fingerprint);
    summary.products += 1;
    return created.id;
  }

  /** The consumer's Stripe customer id, creating the Customer once. */
  private async ensureCustomer(consumerId: string, summary: StripeSyncSummary): Promise<string> {
    const consumer = await this.prisma.consumer.findUnique({ where: { id: consumerId } });
    if (!consumer) throw new NotFoundError('Consumer', consumerId);
    const fingerprint = fingerprintOf({ email: consumer.email, name: consumer.name });
    if (consumer.stripeCustomerId !== null) {
      const existing = await this.recorded(stripeObjectKinds.customer, consumerId);
      if (!existing || existing.stripeId !== consumer.stripeCustomerId) {
        // Linked by an operator or by Checkout: record it so it is not created again.
        await this.record(stripeObjectKinds.customer, consumerId, consumer.stripeCustomerId, fingerprint);
      }
      return consumer.stripeCustomerId;
    }
    const existing = await this.recorded(stripeObjectKinds.customer, consumerId);
    const customerId =
      existing?.stripeId ??
      (
        await this.provider.ensureCustomer({
          consumerId,
          email: consumer.email,
          name: consumer.name,
        })
      ).id;
    await this.prisma.$transaction(async (tx) => {
      await tx.consumer.update({ where: { id: consumerId }, data: { stripeCustomerId: customerId } });
      await tx.subscription.updateMany({
        where: { consumerId, stripeCustomerId: null, status: { not: 'canceled' } },
        data: { stripeCustomerId: customerId },
      });
      await tx.stripeObject.upsert({
        where: { kind_localId: { kind: stripeObjectKinds.customer, localId: consumerId } },
        create: { kind: stripeObjectKinds.customer, localId: consumerId, stripeId: customerId, fingerprint },
        update: { stripeId: customerId, fingerprint, syncedAt: new Date() },
      });
    });
    if (!existing) summary.customers += 1;
    return customerId;
  }
}
