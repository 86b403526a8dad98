/** One invoice of the developer, as the billing provider issued it. */
export interface InvoiceSummary {
  id: string;
  /** Null until the invoice is finalized. */
  number: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  currency: string;
  /** Integer minor units of `currency`. */
  amountDueMinor: number;
  amountPaidMinor: number;
  periodStart: Date;
  periodEnd: Date;
  createdAt: Date;
  hostedInvoiceUrl: string | null;
  invoicePdfUrl: string | null;
}

/**
 * The billing provider's hosted pages: Checkout for a developer choosing a paid plan, and the
 * Customer Portal for payment methods and invoices; and the developer's invoices. Implemented by
 * the Stripe adapter; absent when no billing provider is configured (the portal endpoints then
 * answer 404).
 */
export interface BillingLinks {
  checkout(input: {
    consumerId: string;
    planId: string;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ url: string }>;
  customerPortal(input: { consumerId: string; returnUrl: string }): Promise<{ url: string }>;
  /** The consumer's most recent invoices, newest first; none before it has a billing account. */
  invoices(input: { consumerId: string; limit: number }): Promise<InvoiceSummary[]>;
}

/** What the portal's webhook test needs of the consumer webhooks (ConsumerWebhooks of plans-data). */
export interface WebhookTestSender {
  /** Sends one signed `webhook.test` delivery now and returns the recorded delivery. */
  sendTest(consumerId: string): Promise<object>;
}
