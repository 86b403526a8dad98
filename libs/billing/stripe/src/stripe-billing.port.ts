/** What Tollgate asks of its billing provider; Stripe is the one implementation. */

export interface ProductInput {
  planId: string;
  /** Plan version: a new version gets a new idempotency key, the product itself is per plan. */
  version: number;
  name: string;
  description?: string;
}

/** New content of a product created by `ensureProduct` (e.g. the plan was renamed). */
export interface ProductUpdateInput {
  name: string;
  /** Null removes the description. */
  description: string | null;
  /**
   * Names this change, e.g. a fingerprint of the new content and of the recorded state it
   * replaces: a retried update replays Stripe's first answer, another change is sent anew.
   */
  revision: string;
}

export interface MeterInput {
  /** Tollgate meter id. */
  meterId: string;
  displayName: string;
  /** The event name usage is reported under; unique among active Stripe meters. */
  eventName: string;
  aggregation: 'sum' | 'count' | 'last';
}

export interface PriceTierInput {
  upTo: number | 'inf';
  /** Minor units as a decimal string, e.g. `'0.25'` (a quarter of a cent). */
  unitAmountMinor?: string;
  flatAmountMinor?: string;
}

export interface PriceInput {
  /** Tollgate price component id, e.g. `prc_…` or `<planId>:base`. */
  priceId: string;
  planId: string;
  version: number;
  /** Stripe product id from `ensureProduct`. */
  productId: string;
  currency: string;
  interval: 'month' | 'year';
  /** Minor units as a decimal string; omit for tiered prices. */
  unitAmountMinor?: string;
  tiers?: PriceTierInput[];
  tiersMode?: 'graduated' | 'volume';
  /** Stripe meter id: makes the price metered. */
  meterId?: string;
  /** Package pricing: the metered quantity divided by `divideBy` and rounded before pricing. */
  transformQuantity?: { divideBy: number; round: 'up' | 'down' };
}

export interface CustomerInput {
  consumerId: string;
  email?: string;
  name?: string;
}

export interface SubscriptionInput {
  subscriptionId: string;
  customerId: string;
  /** Stripe price ids. */
  priceIds: string[];
}

export interface UsageReport {
  eventName: string;
  customerId: string;
  /** Integer or decimal string. */
  value: number | string;
  /** Deterministic: (subscription, meter, window, cumulative total) — see DESIGN.md. */
  identifier: string;
  timestamp: Date;
}

export type UsageReportOutcome = 'reported' | 'already_reported';

export interface CheckoutSessionInput {
  /** Tollgate id the session is for (e.g. the pending subscription): keys the request. */
  referenceId: string;
  priceIds: string[];
  successUrl: string;
  cancelUrl: string;
  customerId?: string;
  customerEmail?: string;
  /** Stripe's `client_reference_id`; `referenceId` when absent. */
  clientReferenceId?: string;
  /** Set on the session and on the subscription it creates (`subscription_data[metadata]`). */
  metadata?: Record<string, string>;
}

export interface PortalSessionInput {
  customerId: string;
  returnUrl: string;
}

export interface StripeRef {
  id: string;
}

export type BillingInvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

/** One invoice of a customer, as the developer portal lists it. */
export interface BillingInvoice {
  id: string;
  /** Assigned when the invoice is finalized; null for a draft. */
  number: string | null;
  status: BillingInvoiceStatus;
  /** Lower-case ISO 4217 code, as Stripe writes it. */
  currency: string;
  /** Integer minor units. */
  amountDueMinor: number;
  /** Integer minor units. */
  amountPaidMinor: number;
  periodStart: Date;
  periodEnd: Date;
  createdAt: Date;
  /** The provider's hosted invoice page; null until the invoice is finalized. */
  hostedInvoiceUrl: string | null;
  /** The invoice as a PDF; null until the invoice is finalized. */
  invoicePdfUrl: string | null;
}

export interface SessionRef {
  id: string;
  url: string;
}

export interface BillingProvider {
  ensureProduct(plan: ProductInput): Promise<StripeRef>;
  /** Updates the name and description of a product (by its Stripe id). */
  updateProduct(productId: string, update: ProductUpdateInput): Promise<StripeRef>;
  ensureMeter(meter: MeterInput): Promise<StripeRef>;
  ensurePrice(price: PriceInput): Promise<StripeRef>;
  ensureCustomer(consumer: CustomerInput): Promise<StripeRef>;
  createSubscription(subscription: SubscriptionInput): Promise<StripeRef>;
  reportUsage(report: UsageReport): Promise<UsageReportOutcome>;
  /** Reports in order with bounded concurrency; the first failure rejects after in-flight reports settle. */
  reportUsageBatch(reports: UsageReport[]): Promise<UsageReportOutcome[]>;
  createCheckoutSession(session: CheckoutSessionInput): Promise<SessionRef>;
  createPortalSession(session: PortalSessionInput): Promise<SessionRef>;
  /** The customer's most recent invoices, newest first; `limit` from 1 to 100. */
  listInvoices(customerId: string, limit: number): Promise<BillingInvoice[]>;
}
