// The billing worker's jobs: Stripe sync, usage push, alerts, consumer webhooks and dunning.
