// The billing worker's jobs: Stripe sync, usage push, alerts, consumer webhooks and dunning.
export * from './billing-worker-logger';
export * from './stripe-sync/stripe-plan-mapping';
export * from './stripe-sync/stripe-sync';
export * from './stripe-sync/stripe-jobs';
export * from './usage-push/usage-push';
export * from './alerts/alert-jobs';
export * from './alerts/alert-notifier';
export * from './alerts/alert-rules';
export * from './alerts/alerts';
export * from './alerts/quota-event-consumer';
export * from './dunning/dunning';
export * from './mail-templates/mail-previews';
export * from './mail-templates/mail-renderer';
export * from './mail-templates/payment-notices';
export * from './mail-templates/usage-bar';
export * from './mail-templates/usage-notices';
export * from './billing-runtime';
