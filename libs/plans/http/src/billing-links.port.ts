/**
 * The billing provider's hosted pages: Checkout for a developer choosing a paid plan, and the
 * Customer Portal for payment methods and invoices. Implemented by the Stripe adapter; absent when
 * no billing provider is configured (the portal endpoints then answer 404).
 */
export interface BillingLinks {
  checkout(input: {
    consumerId: string;
    planId: string;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ url: string }>;
  customerPortal(input: { consumerId: string; returnUrl: string }): Promise<{ url: string }>;
}

/** What the portal's webhook test needs of the consumer webhooks (ConsumerWebhooks of plans-data). */
export interface WebhookTestSender {
  /** Sends one signed `webhook.test` delivery now and returns the recorded delivery. */
  sendTest(consumerId: string): Promise<object>;
}
