import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger } from '@tollgate/observability';
import Stripe from 'stripe';
import { idempotencyKeys, priceLookupKeyFor, productIdFor } from './idempotency-keys';
import {
  type BillingInvoice,
  type BillingInvoiceStatus,
  type BillingProvider,
  type CheckoutSessionInput,
  type CustomerInput,
  type MeterInput,
  type PortalSessionInput,
  type PriceInput,
  type ProductInput,
  type ProductUpdateInput,
  type SessionRef,
  type StripeRef,
  type SubscriptionInput,
  type UsageReport,
  type UsageReportOutcome,
} from './stripe-billing.port';
import { isRetryable, isStripeError, toDomainError } from './stripe-error.mapper';

/** The part of the app's pino logger the adapter uses. */
export type StripeBillingLogger = Pick<Logger, 'info' | 'warn'>;

export interface StripeRetryOptions {
  /** Attempts in total, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface StripeBillingOptions {
  secretKey: string;
  /** e.g. `http://127.0.0.1:12111` (from `STRIPE_API_BASE`); the SDK's default host when absent. */
  apiBase?: string;
  logger: StripeBillingLogger;
  retry?: Partial<StripeRetryOptions>;
  /** Meter events sent at once by `reportUsageBatch`. */
  usageConcurrency?: number;
  timeoutMs?: number;
}

const defaultRetry: StripeRetryOptions = { attempts: 5, initialDelayMs: 250, maxDelayMs: 8_000 };

export function stripeClientConfig(apiBase: string | undefined, timeoutMs: number): Stripe.StripeConfig {
  // Retries are ours (see withRetry): the SDK does not retry 429s unless Stripe asks it to.
  const config: Stripe.StripeConfig = { maxNetworkRetries: 0, timeout: timeoutMs, telemetry: false };
  if (apiBase === undefined) return config;
  const url = new URL(apiBase);
  const protocol = url.protocol.replace(':', '');
  if (protocol !== 'http' && protocol !== 'https')
    throw new Error(`STRIPE_API_BASE must be an http(s) URL: ${apiBase}`);
  return {
    ...config,
    host: url.hostname,
    port: url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port),
    protocol,
  };
}

/** Stripe's `unit_amount` when the amount is whole, `unit_amount_decimal` otherwise. */
function amountParams(minor: string, field: 'unit_amount' | 'flat_amount'): Record<string, unknown> {
  if (/^\d+$/.test(minor)) return { [field]: Number(minor) };
  return { [`${field}_decimal`]: Stripe.Decimal.from(minor) };
}

const invoiceStatuses: readonly string[] = ['draft', 'open', 'paid', 'uncollectible', 'void'];

/** Stripe's invoice as the port describes it; a missing or unknown status reads as draft (not yet owed). */
export function toBillingInvoice(invoice: Stripe.Invoice): BillingInvoice {
  const status = (
    invoice.status !== null && invoiceStatuses.includes(invoice.status) ? invoice.status : 'draft'
  ) as BillingInvoiceStatus;
  return {
    id: invoice.id,
    number: invoice.number,
    status,
    currency: invoice.currency,
    amountDueMinor: invoice.amount_due,
    amountPaidMinor: invoice.amount_paid,
    periodStart: new Date(invoice.period_start * 1000),
    periodEnd: new Date(invoice.period_end * 1000),
    createdAt: new Date(invoice.created * 1000),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdfUrl: invoice.invoice_pdf ?? null,
  };
}

function hasParam(error: unknown, param: string): boolean {
  return isStripeError(error) && error.param === param;
}

export function createStripeBilling(options: StripeBillingOptions): BillingProvider {
  const stripe = new Stripe(
    options.secretKey,
    stripeClientConfig(options.apiBase, options.timeoutMs ?? 20_000),
  );
  const retry: StripeRetryOptions = { ...defaultRetry, ...options.retry };
  const concurrency = Math.max(1, options.usageConcurrency ?? 8);
  const { logger } = options;

  /** Runs one Stripe call, retrying rate limits and Stripe-side failures with exponential backoff and jitter. */
  async function withRetry<T>(operation: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (!isRetryable(error) || attempt >= retry.attempts) throw error;
        const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        logger.warn(
          { operation, attempt, delayMs, error: error instanceof Error ? error.message : String(error) },
          'Stripe call failed; retrying',
        );
        await sleep(delayMs);
      }
    }
  }

  /** `withRetry`, with Stripe errors translated to Tollgate's. */
  async function run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(operation, call);
    } catch (error) {
      throw toDomainError(error, operation);
    }
  }

  async function reportUsage(report: UsageReport): Promise<UsageReportOutcome> {
    const params: Stripe.Billing.MeterEventCreateParams = {
      event_name: report.eventName,
      identifier: report.identifier,
      timestamp: Math.floor(report.timestamp.getTime() / 1000),
      payload: { stripe_customer_id: report.customerId, value: String(report.value) },
    };
    try {
      await withRetry('meter event', () =>
        stripe.billing.meterEvents.create(params, {
          idempotencyKey: idempotencyKeys.meterEvent(report.identifier),
        }),
      );
      return 'reported';
    } catch (error) {
      // Stripe refuses an identifier it has seen in the last 24 h: that usage is already recorded.
      const duplicate =
        hasParam(error, 'identifier') || (isStripeError(error) && error.type === 'StripeIdempotencyError');
      if (duplicate) {
        logger.info({ identifier: report.identifier }, 'Stripe already has this meter event');
        return 'already_reported';
      }
      throw toDomainError(error, 'meter event');
    }
  }

  return {
    async ensureProduct(plan: ProductInput): Promise<StripeRef> {
      const id = productIdFor(plan.planId);
      try {
        const product = await withRetry('product create', () =>
          stripe.products.create(
            {
              id,
              name: plan.name,
              ...(plan.description ? { description: plan.description } : {}),
              metadata: { tollgate_plan_id: plan.planId, tollgate_plan_version: String(plan.version) },
            },
            { idempotencyKey: idempotencyKeys.product(plan.planId, plan.version) },
          ),
        );
        return { id: product.id };
      } catch (error) {
        // Created by an earlier sync whose idempotency key Stripe has since forgotten.
        if (!hasParam(error, 'id')) throw toDomainError(error, 'product create');
        const product = await run('product retrieve', () => stripe.products.retrieve(id));
        return { id: product.id };
      }
    },

    async updateProduct(productId: string, update: ProductUpdateInput): Promise<StripeRef> {
      const product = await run('product update', () =>
        stripe.products.update(
          productId,
          // An empty description is how Stripe removes one.
          { name: update.name, description: update.description ?? '' },
          { idempotencyKey: idempotencyKeys.productUpdate(productId, update.revision) },
        ),
      );
      return { id: product.id };
    },

    async ensureMeter(meter: MeterInput): Promise<StripeRef> {
      const existing = await run('meter list', () =>
        stripe.billing.meters.list({ status: 'active', limit: 100 }),
      );
      const found = existing.data.find((candidate) => candidate.event_name === meter.eventName);
      if (found) return { id: found.id };
      const created = await run('meter create', () =>
        stripe.billing.meters.create(
          {
            display_name: meter.displayName,
            event_name: meter.eventName,
            default_aggregation: { formula: meter.aggregation },
            customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
            value_settings: { event_payload_key: 'value' },
          },
          { idempotencyKey: idempotencyKeys.meter(meter.meterId) },
        ),
      );
      return { id: created.id };
    },

    async ensurePrice(price: PriceInput): Promise<StripeRef> {
      const lookupKey = priceLookupKeyFor(price.priceId, price.version);
      const existing = await run('price list', () =>
        stripe.prices.list({ lookup_keys: [lookupKey], limit: 1 }),
      );
      const found = existing.data[0];
      if (found) return { id: found.id };
      const tiered = price.tiers !== undefined;
      const params = {
        currency: price.currency.toLowerCase(),
        product: price.productId,
        lookup_key: lookupKey,
        metadata: { tollgate_price_id: price.priceId, tollgate_plan_id: price.planId },
        recurring: {
          interval: price.interval,
          ...(price.meterId === undefined ? {} : { usage_type: 'metered' as const, meter: price.meterId }),
        },
        ...(price.transformQuantity === undefined
          ? {}
          : {
              transform_quantity: {
                divide_by: price.transformQuantity.divideBy,
                round: price.transformQuantity.round,
              },
            }),
        ...(tiered
          ? {
              billing_scheme: 'tiered' as const,
              tiers_mode: price.tiersMode,
              tiers: (price.tiers ?? []).map((tier) => ({
                up_to: tier.upTo,
                ...(tier.unitAmountMinor === undefined
                  ? {}
                  : amountParams(tier.unitAmountMinor, 'unit_amount')),
                ...(tier.flatAmountMinor === undefined
                  ? {}
                  : amountParams(tier.flatAmountMinor, 'flat_amount')),
              })),
            }
          : price.unitAmountMinor === undefined
            ? {}
            : amountParams(price.unitAmountMinor, 'unit_amount')),
      } as Stripe.PriceCreateParams;
      const created = await run('price create', () =>
        stripe.prices.create(params, { idempotencyKey: idempotencyKeys.price(price.priceId, price.version) }),
      );
      return { id: created.id };
    },

    async ensureCustomer(consumer: CustomerInput): Promise<StripeRef> {
      const customer = await run('customer create', () =>
        stripe.customers.create(
          {
            ...(consumer.email ? { email: consumer.email } : {}),
            ...(consumer.name ? { name: consumer.name } : {}),
            metadata: { tollgate_consumer_id: consumer.consumerId },
          },
          { idempotencyKey: idempotencyKeys.customer(consumer.consumerId) },
        ),
      );
      return { id: customer.id };
    },

    async createSubscription(subscription: SubscriptionInput): Promise<StripeRef> {
      const created = await run('subscription create', () =>
        stripe.subscriptions.create(
          {
            customer: subscription.customerId,
            items: subscription.priceIds.map((price) => ({ price })),
            metadata: { tollgate_subscription_id: subscription.subscriptionId },
          },
          { idempotencyKey: idempotencyKeys.subscription(subscription.subscriptionId) },
        ),
      );
      return { id: created.id };
    },

    reportUsage,

    async reportUsageBatch(reports: UsageReport[]): Promise<UsageReportOutcome[]> {
      const outcomes: UsageReportOutcome[] = new Array<UsageReportOutcome>(reports.length);
      let next = 0;
      let failure: { error: unknown } | undefined;
      const worker = async (): Promise<void> => {
        while (failure === undefined && next < reports.length) {
          const index = next;
          next += 1;
          try {
            outcomes[index] = await reportUsage(reports[index] as UsageReport);
          } catch (error) {
            failure ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, reports.length) }, worker));
      if (failure !== undefined) throw failure.error;
      return outcomes;
    },

    async createCheckoutSession(session: CheckoutSessionInput): Promise<SessionRef> {
      const created = await run('checkout session create', () =>
        stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            line_items: session.priceIds.map((price) => ({ price })),
            success_url: session.successUrl,
            cancel_url: session.cancelUrl,
            client_reference_id: session.clientReferenceId ?? session.referenceId,
            ...(session.metadata
              ? { metadata: session.metadata, subscription_data: { metadata: session.metadata } }
              : {}),
            ...(session.customerId ? { customer: session.customerId } : {}),
            ...(session.customerEmail && !session.customerId
              ? { customer_email: session.customerEmail }
              : {}),
          },
          { idempotencyKey: idempotencyKeys.checkout(session.referenceId) },
        ),
      );
      if (!created.url) throw new Error(`Stripe checkout session ${created.id} has no URL`);
      return { id: created.id, url: created.url };
    },

    async createPortalSession(session: PortalSessionInput): Promise<SessionRef> {
      // Portal sessions are short-lived and harmless to repeat: the SDK's own key covers retries.
      const created = await run('portal session create', () =>
        stripe.billingPortal.sessions.create({ customer: session.customerId, return_url: session.returnUrl }),
      );
      return { id: created.id, url: created.url };
    },

    async listInvoices(customerId: string, limit: number): Promise<BillingInvoice[]> {
      const page = await run('invoice list', () => stripe.invoices.list({ customer: customerId, limit }));
      return page.data.map(toBillingInvoice);
    },
  };
}
