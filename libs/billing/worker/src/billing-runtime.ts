import { createStripeBilling, type StripeBillingLogger } from '@tollgate/billing-stripe';
import { type billingArea, type stripeArea } from '@tollgate/config';
import { type z } from 'zod';
import { UsageQueries } from '@tollgate/metering-pipeline';
import { ConsumerWebhooks, defineWebhookDeliveryJob, webhookDeliveryJobName } from '@tollgate/plans-data';
import { type AnalyticsStore, type EventLog, type Jobs, type Mailer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import { alertRecheckJobName, defineAlertJobs, dunningJobName } from './alerts/alert-jobs';
import { Alerts } from './alerts/alerts';
import { startQuotaEventConsumer } from './alerts/quota-event-consumer';
import { type BillingWorkerLogger } from './billing-worker-logger';
import { Dunning } from './dunning/dunning';
import { defineStripeJobs, stripeSyncJobName, usagePushJobName } from './stripe-sync/stripe-jobs';
import { StripeSync } from './stripe-sync/stripe-sync';
import { UsagePush } from './usage-push/usage-push';
import { type Registry } from 'prom-client';

export interface BillingRuntimeOptions {
  prisma: PrismaClient;
  analytics: AnalyticsStore;
  /** Jobs not started yet: the billing jobs are defined on them. */
  jobs: Jobs;
  mailer: Mailer;
  /** Where the gateways publish their quota events. */
  eventLog: EventLog;
  quotaEventsTopic: string;
  /** Consumer group of the quota events (default `tollgate-billing-alerts`). */
  quotaEventsGroupId?: string;
  /** The app's pino logger. */
  logger: BillingWorkerLogger & StripeBillingLogger;
  /** Where the billing metrics are registered (the app's /metrics). */
  registry?: Registry;
  /** Base URL of the portal, for links in mails. */
  publicUrl: string;
  /** Absent: nothing is sent to Stripe; estimates, alerts and mail work the same. */
  stripe?: { secretKey: string; apiBase?: string };
  intervals: { syncMs: number; pushMs: number; recheckMs: number; dunningMs: number };
  webhook: { timeoutMs: number; attempts: number; allowPrivateNetworks?: boolean };
  /** Announces a changed snapshot to the gateways (downgrade, suspension, recovery). */
  onSubscriptionsChanged: () => Promise<void>;
}

/** The billing variables of an app's configuration (STRIPE_*, BILLING_*, ALERT_*, DUNNING_*, WEBHOOK_*). */
export type BillingConfig = z.output<typeof billingArea> &
  Pick<z.output<typeof stripeArea>, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE'>;

/** The runtime's Stripe, schedule and webhook settings from an app's configuration. */
export function billingSettings(
  config: BillingConfig,
): Pick<BillingRuntimeOptions, 'stripe' | 'intervals' | 'webhook'> {
  return {
    stripe: config.STRIPE_SECRET_KEY
      ? { secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE }
      : undefined,
    intervals: {
      syncMs: config.BILLING_SYNC_INTERVAL_MS,
      pushMs: config.BILLING_PUSH_INTERVAL_MS,
      recheckMs: config.ALERT_RECHECK_INTERVAL_MS,
      dunningMs: config.DUNNING_INTERVAL_MS,
    },
    webhook: {
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      attempts: config.WEBHOOK_ATTEMPTS,
      allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    },
  };
}

export interface BillingRuntime {
  /** Every job name the billing work defines, for dead-letter views and the jobs board. */
  jobNames: string[];
  webhooks: ConsumerWebhooks;
  /** Checkout and Customer Portal links; absent without Stripe. */
  stripeSync?: StripeSync;
  /** Starts reading quota events; call once the jobs have started. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Checkout Session and Customer Portal links for the portal (the plans app), backed by Stripe. */
export function createStripeBillingLinks(options: {
  prisma: PrismaClient;
  secretKey: string;
  apiBase?: string;
  logger: BillingWorkerLogger & StripeBillingLogger;
}): StripeSync {
  const provider = createStripeBilling({
    secretKey: options.secretKey,
    apiBase: options.apiBase,
    logger: options.logger,
  });
  return new StripeSync({ prisma: options.prisma, provider, logger: options.logger });
}

/**
 * The billing worker's work on one set of ports: Stripe sync and usage push (with Stripe), usage
 * alerts from the gateways' quota events and a scheduled recheck, consumer webhooks and dunning.
 * Embedded mode and the distributed billing worker both run it; only the adapters differ.
 */
export async function createBillingRuntime(options: BillingRuntimeOptions): Promise<BillingRuntime> {
  const { prisma, jobs, mailer, logger, publicUrl } = options;
  const usage = new UsageQueries(options.analytics);
  const webhooks = new ConsumerWebhooks({
    prisma,
    jobs,
    logger,
    timeoutMs: options.webhook.timeoutMs,
    attempts: options.webhook.attempts,
    allowPrivateNetworks: options.webhook.allowPrivateNetworks,
  });
  defineWebhookDeliveryJob(jobs, webhooks);

  const alerts = new Alerts({ prisma, mailer, webhooks, usage, logger, publicUrl });
  const dunning = new Dunning({
    prisma,
    mailer,
    webhooks,
    logger,
    publicUrl,
    onSubscriptionsChanged: options.onSubscriptionsChanged,
  });
  await defineAlertJobs(
    jobs,
    { alerts, dunning },
    { recheckIntervalMs: options.intervals.recheckMs, dunningIntervalMs: options.intervals.dunningMs },
  );
  const jobNames = [webhookDeliveryJobName, alertRecheckJobName, dunningJobName];

  let stripeSync: StripeSync | undefined;
  if (options.stripe) {
    const provider = createStripeBilling({
      secretKey: options.stripe.secretKey,
      apiBase: options.stripe.apiBase,
      logger,
    });
    stripeSync = new StripeSync({ prisma, provider, logger });
    const push = new UsagePush({ prisma, usage, provider, logger, registry: options.registry });
    await defineStripeJobs(
      jobs,
      { sync: stripeSync, push },
      { syncIntervalMs: options.intervals.syncMs, pushIntervalMs: options.intervals.pushMs },
    );
    jobNames.push(stripeSyncJobName, usagePushJobName);
  } else {
    logger.info({}, 'STRIPE_SECRET_KEY is not set: nothing is sent to Stripe');
  }

  let stopQuotaEvents: (() => Promise<void>) | undefined;
  return {
    jobNames,
    webhooks,
    stripeSync,
    start: async () => {
      stopQuotaEvents = await startQuotaEventConsumer({
        eventLog: options.eventLog,
        topic: options.quotaEventsTopic,
        groupId: options.quotaEventsGroupId ?? 'tollgate-billing-alerts',
        alerts,
        logger,
        partitions: 1,
      });
    },
    stop: async () => {
      await stopQuotaEvents?.();
    },
  };
}
