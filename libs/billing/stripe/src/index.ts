export * from './idempotency-keys';
export * from './stripe-billing.adapter';
export * from './stripe-billing.port';
export * from './stripe-error.mapper';
