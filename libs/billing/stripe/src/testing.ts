/**
 * Test helpers of `@tollgate/billing-stripe`, a separate entry so production code never loads
 * the in-memory Stripe server.
 */
export * from './stripe-test-server';
export * from './stripe-form.parser';
