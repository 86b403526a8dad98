import { resolve } from 'node:path';
import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { createStripeBillingLinks } from '@tollgate/billing-worker';
import { plansConfigSchema } from '@tollgate/config';
import { createConfigBus } from '@tollgate/config-bus';
import { createCounters } from '@tollgate/counters';
import { createEchoUpstream } from '@tollgate/echo-upstream';
import { createEventLog } from '@tollgate/event-log';
import { createMailer, outboxDirectory } from '@tollgate/mail';
import { AnalyticsQueries, UsageQueries } from '@tollgate/metering-pipeline';
import { runApp } from '@tollgate/observability';
import {
  AdminTokens,
  bootstrapDemo,
  ConsumerWebhooks,
  createUsageReconciliation,
  ensureSigningSecret,
  EventIngestion,
} from '@tollgate/plans-data';
import { createPlansHttpApp, SnapshotCache, startScheduledSubscriptionChanges } from '@tollgate/plans-http';
import { createRelationalStoreFromConfig } from '@tollgate/relational';

/** The control plane (distributed mode): admin API, usage API, gateway snapshots. */
runApp('plans', plansConfigSchema, async ({ config, logger, registry }) => {
  const dataDirectory = resolve(config.TOLLGATE_DATA_DIR);
  const relational = await createRelationalStoreFromConfig(config, logger);
  const analytics = await createAnalyticsStoreFromConfig(config, logger);
  await migrateAnalytics(analytics, { logger });

  const counters = createCounters(config);
  // The ingest API produces business events for metering.
  const eventLog = createEventLog(config, logger);
  await eventLog.ensureTopic(config.INGEST_TOPIC, config.ACCESS_LOG_PARTITIONS);
  const producer = await eventLog.producer();
  const configBus = createConfigBus(config, logger);
  const mailer = createMailer(config, logger);
  const apiUrl = `http://${config.HOST}:${config.PORT}`;
  const echo = config.SEED_DEMO
    ? await createEchoUpstream({ host: config.HOST, port: config.DEMO_ECHO_PORT })
    : undefined;
  if (echo) {
    const demo = await bootstrapDemo({
      prisma: relational.prisma,
      dataDirectory,
      echoUpstreamUrl: echo.url,
      gatewayUrl: `http://${config.HOST}:${config.GATEWAY_PORT}`,
      apiUrl,
      adminToken: config.ADMIN_TOKEN,
      logger,
    });
    logger.info(
      { demoConsumerId: demo.demoConsumerId, file: resolve(dataDirectory, 'demo.json') },
      'demo data ready',
    );
  }

  const snapshots = new SnapshotCache(relational.prisma, { bus: configBus, logger });
  const stopScheduledChanges = startScheduledSubscriptionChanges(relational.prisma, snapshots, logger);
  const app = await createPlansHttpApp(
    {
      prisma: relational.prisma,
      usage: new UsageQueries(analytics),
      analytics: new AnalyticsQueries(analytics),
      // Serves the reconciliation endpoints; the billing worker runs it on schedule.
      reconciliation: createUsageReconciliation({
        prisma: relational.prisma,
        store: analytics,
        counters,
        logger,
        registry,
        settleMs: config.RECONCILIATION_SETTLE_MS,
      }),
      adminTokens: new AdminTokens(relational.prisma, config.ADMIN_TOKEN),
      snapshots,
      registry,
      gatewayToken: config.GATEWAY_TOKEN,
      mailer,
      outboxDirectory: config.SMTP_URL ? undefined : outboxDirectory(config),
      counters,
      publicUrl: config.PUBLIC_URL ?? apiUrl,
      signingSecret: await ensureSigningSecret(relational.prisma),
      stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
      // The portal's test delivery: one try, answered at once (alerts are the billing worker's).
      // Checkout and Customer Portal links for the portal, with Stripe.
      billingLinks: config.STRIPE_SECRET_KEY
        ? createStripeBillingLinks({
            prisma: relational.prisma,
            secretKey: config.STRIPE_SECRET_KEY,
            apiBase: config.STRIPE_API_BASE,
            logger,
          })
        : undefined,
      webhooks: new ConsumerWebhooks({
        prisma: relational.prisma,
        logger,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        attempts: 1,
        allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      }),
      ingest: new EventIngestion({
        prisma: relational.prisma,
        counters,
        producer,
        topic: config.INGEST_TOPIC,
        dedupRetentionMs: config.INGEST_DEDUP_RETENTION_MS,
        maxAgeMs: config.INGEST_MAX_AGE_MS,
        logger,
      }),
      readiness: [
        { name: 'postgres', check: () => relational.ping() },
        { name: 'clickhouse', check: () => analytics.ping() },
        { name: 'counters', check: () => counters.ping() },
        { name: 'event-log', check: () => eventLog.ping() },
        { name: 'mail', check: () => mailer.ping() },
      ],
    },
    { logger },
  );
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ url: apiUrl }, 'plans is listening');

  return [
    async () => stopScheduledChanges(),
    () => app.close(),
    () => producer.close(),
    () => eventLog.close(),
    () => configBus.close(),
    async () => echo?.close(),
    () => analytics.close(),
    () => relational.close(),
    () => counters.close(),
    () => mailer.close(),
  ];
});
