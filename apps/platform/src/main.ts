import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { billingSettings, createBillingRuntime } from '@tollgate/billing-worker';
import { platformConfigSchema } from '@tollgate/config';
import { createConfigBus } from '@tollgate/config-bus';
import { createCounters } from '@tollgate/counters';
import { createEchoUpstream } from '@tollgate/echo-upstream';
import { createEventLog } from '@tollgate/event-log';
import {
  AccessLogSpool,
  createAccessLogEmitter,
  createGatewayServer,
  QuotaEventPublisher,
  SnapshotStore,
} from '@tollgate/gateway-data-plane';
import { createJobs, instrumentJobs } from '@tollgate/jobs';
import { createMailer, outboxDirectory } from '@tollgate/mail';
import { AnalyticsQueries, MeteringProcessor, UsageQueries } from '@tollgate/metering-pipeline';
import { runApp } from '@tollgate/observability';
import {
  AdminTokens,
  bootstrapDemo,
  createUsageReconciliation,
  ensureSigningSecret,
  EventIngestion,
  scheduleUsageReconciliation,
  usageReconciliationJob,
  writeDemoFile,
} from '@tollgate/plans-data';
import { createPlansHttpApp, SnapshotCache, startScheduledSubscriptionChanges } from '@tollgate/plans-http';
import { createRelationalStoreFromConfig } from '@tollgate/relational';

/**
 * Embedded mode (`npm start`): every app in one process. With no infrastructure URLs set it runs
 * on PGlite, chDB, the in-process event log, in-memory counters and jobs, and the mail outbox,
 * all under TOLLGATE_DATA_DIR; any URL that is set selects the production adapter instead.
 */
const startedAt = Date.now();

runApp('platform', platformConfigSchema, async ({ config, logger, registry }) => {
  const dataDirectory = resolve(config.TOLLGATE_DATA_DIR);
  await mkdir(dataDirectory, { recursive: true });
  const settings = { ...config, TOLLGATE_DATA_DIR: dataDirectory };

  // Storage first: the control plane's database, the analytics store, the event log.
  const relational = await createRelationalStoreFromConfig(settings, logger);
  const analytics = await createAnalyticsStoreFromConfig(settings, logger);
  await migrateAnalytics(analytics, { logger });
  const eventLog = createEventLog(settings, logger);
  await eventLog.ensureTopic(config.ACCESS_LOG_TOPIC, config.ACCESS_LOG_PARTITIONS);
  await eventLog.ensureTopic(config.INGEST_TOPIC, config.ACCESS_LOG_PARTITIONS);
  const counters = createCounters(settings);
  const jobs = instrumentJobs(createJobs(settings, logger), registry);
  const mailer = createMailer(settings, logger);

  // Demo data: the echo upstream, plans, a consumer with a key, the admin token.
  const echo = config.SEED_DEMO
    ? await createEchoUpstream({ host: config.HOST, port: config.DEMO_ECHO_PORT })
    : undefined;
  const demo = echo
    ? await bootstrapDemo({
        prisma: relational.prisma,
        dataDirectory,
        echoUpstreamUrl: echo.url,
        gatewayUrl: `http://${config.HOST}:${config.GATEWAY_PORT}`,
        apiUrl: `http://${config.HOST}:${config.PORT}`,
        adminToken: config.ADMIN_TOKEN,
        logger,
      })
    : undefined;
  const adminTokens = new AdminTokens(relational.prisma, config.ADMIN_TOKEN);
  const generatedToken = demo ? undefined : await adminTokens.ensure();

  // Control plane; its snapshot is pushed to the in-process gateway on every change.
  // With REDIS_URL, new versions are also announced to standalone gateways that pull from here.
  const configBus = createConfigBus(settings, logger);
  const snapshotCache = new SnapshotCache(relational.prisma, { bus: configBus, logger });
  const stopScheduledChanges = startScheduledSubscriptionChanges(relational.prisma, snapshotCache, logger);
  const snapshots = new SnapshotStore();
  snapshotCache.subscribe((snapshot) => snapshots.replace(snapshot));
  await snapshotCache.refresh();
  const snapshotTimer = setInterval(() => {
    snapshotCache.refresh().catch((error: unknown) => logger.warn({ err: error }, 'snapshot refresh failed'));
  }, config.SNAPSHOT_POLL_MS);
  snapshotTimer.unref();

  // Billing: alerts, dunning and consumer webhooks always; Stripe sync and usage push with Stripe.
  const publicUrl = config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
  const billing = await createBillingRuntime({
    prisma: relational.prisma,
    analytics,
    jobs,
    mailer,
    eventLog,
    quotaEventsTopic: config.QUOTA_EVENTS_TOPIC,
    logger,
    registry,
    publicUrl,
    ...billingSettings(config),
    onSubscriptionsChanged: async () => {
      await snapshotCache.refresh();
    },
  });

  const readiness = [
    { name: 'database', check: () => relational.ping() },
    { name: 'clickhouse', check: () => analytics.ping() },
    { name: 'event-log', check: () => eventLog.ping() },
    { name: 'counters', check: () => counters.ping() },
    { name: 'jobs', check: () => jobs.ping() },
    { name: 'mail', check: () => mailer.ping() },
  ];
  // Usage reconciliation: the gateway's counters (the in-process ones here) against metered usage.
  const reconciliation = createUsageReconciliation({
    prisma: relational.prisma,
    store: analytics,
    counters,
    logger,
    registry,
    settleMs: config.RECONCILIATION_SETTLE_MS,
  });
  await scheduleUsageReconciliation(jobs, reconciliation, config.RECONCILIATION_INTERVAL_MS);
  // One producer for the gateway's access log, its quota events and the ingest API.
  const producer = await eventLog.producer();
  const plansApp = await createPlansHttpApp(
    {
      prisma: relational.prisma,
      usage: new UsageQueries(analytics),
      analytics: new AnalyticsQueries(analytics),
      reconciliation,
      adminTokens,
      snapshots: snapshotCache,
      registry,
      readiness,
      gatewayToken: config.GATEWAY_TOKEN,
      mailer,
      outboxDirectory: settings.SMTP_URL ? undefined : outboxDirectory(settings),
      counters,
      publicUrl,
      signingSecret: await ensureSigningSecret(relational.prisma),
      stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
      // The portal's test delivery goes through the billing runtime's webhooks (one immediate try).
      webhooks: billing.webhooks,
      jobs: { jobs, names: [usageReconciliationJob, ...billing.jobNames] },
      billingLinks: billing.stripeSync,
      ingest: new EventIngestion({
        prisma: relational.prisma,
        counters,
        producer,
        topic: config.INGEST_TOPIC,
        dedupRetentionMs: config.INGEST_DEDUP_RETENTION_MS,
        maxAgeMs: config.INGEST_MAX_AGE_MS,
        logger,
      }),
    },
    { logger },
  );
  await plansApp.listen({ port: config.PORT, host: config.HOST });
  const apiAddress = plansApp.getHttpServer().address();
  const apiUrl = `http://${config.HOST}:${typeof apiAddress === 'object' && apiAddress ? apiAddress.port : config.PORT}`;

  // Metering: the in-process log → chDB, exactly once.
  const metering = new MeteringProcessor({
    store: analytics,
    consumer: await eventLog.consumer(config.METERING_GROUP_ID),
    topic: config.ACCESS_LOG_TOPIC,
    ingestTopic: config.INGEST_TOPIC,
    maxBatchRows: config.METERING_BATCH_ROWS,
    flushIntervalMs: config.METERING_FLUSH_MS,
    lateEventGraceMs: config.LATE_EVENT_GRACE_MS,
    logger,
    registry,
  });
  await metering.start();
  await jobs.start();

  // Gateway data plane.
  await eventLog.ensureTopic(config.QUOTA_EVENTS_TOPIC, 1);
  await billing.start();
  const quotaEvents = new QuotaEventPublisher({ producer, topic: config.QUOTA_EVENTS_TOPIC, logger });
  const spool = await AccessLogSpool.open({
    directory: join(dataDirectory, 'spool'),
    maxBytes: config.ACCESS_LOG_SPOOL_MAX_BYTES,
    logger,
  });
  const accessLog = createAccessLogEmitter({
    producer,
    topic: config.ACCESS_LOG_TOPIC,
    logger,
    spool,
    maxBuffered: config.ACCESS_LOG_BUFFER_EVENTS,
    registry,
  });
  const gateway = await createGatewayServer({
    host: config.HOST,
    port: config.GATEWAY_PORT,
    snapshots,
    counters,
    accessLog,
    logger,
    registry,
    upstreamTimeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    concurrencyLeaseMs: config.GATEWAY_CONCURRENCY_LEASE_MS,
    quotaEvents,
  });

  const readyMs = Date.now() - startedAt;
  if (demo) {
    const info = { ...demo, gatewayUrl: gateway.url, apiUrl };
    await writeDemoFile(dataDirectory, info);
    printBanner([
      `Tollgate is ready (embedded mode, ${readyMs} ms, data in ${dataDirectory})`,
      `  Gateway      ${gateway.url}`,
      `  Control API  ${apiUrl}   (Swagger UI: ${apiUrl}/api/docs)`,
      `  Portal       ${apiUrl}/portal   (demo developer ${info.developerEmail ?? ''}; password in demo.json)`,
      `  Admin        ${apiUrl}/admin    (sign in with the admin token from demo.json)`,
      `  Demo call    curl -H "X-API-Key: ${info.demoKey}" ${gateway.url}${info.demoPath}`,
      `  Usage        curl -H "Authorization: Bearer ${info.adminToken}" ${apiUrl}/api/admin/consumers/${info.demoConsumerId}/usage`,
      `  Admin token, demo key and URLs are in ${resolve(dataDirectory, 'demo.json')} (mode 600).`,
    ]);
  } else {
    printBanner([
      `Tollgate is ready (embedded mode, ${readyMs} ms, data in ${dataDirectory})`,
      `  Gateway      ${gateway.url}`,
      `  Control API  ${apiUrl}`,
      ...(generatedToken ? [`  Admin token  ${generatedToken}   (shown once)`] : []),
    ]);
  }
  logger.info({ readyMs, gatewayUrl: gateway.url, apiUrl }, 'platform ready');

  return [
    async () => stopScheduledChanges(),
    () => gateway.close(), // drains requests in flight and flushes their events into the log
    () => accessLog.close(), // what could not be sent stays in the spool for the next start
    () => quotaEvents.flush(),
    () => spool.close(),
    () => producer.close(),
    async () => clearInterval(snapshotTimer),
    () => plansApp.close(),
    () => configBus.close(),
    () => metering.stop(),
    () => billing.stop(),
    () => jobs.close(),
    () => eventLog.close(),
    () => analytics.close(),
    () => relational.close(),
    () => mailer.close(),
    () => counters.close(),
    async () => echo?.close(),
  ];
});

function printBanner(lines: string[]): void {
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}
