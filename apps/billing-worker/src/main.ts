import { createAnalyticsStoreFromConfig } from '@tollgate/analytics';
import { billingSettings, createBillingRuntime } from '@tollgate/billing-worker';
import { billingWorkerConfigSchema } from '@tollgate/config';
import { createConfigBus } from '@tollgate/config-bus';
import { createCounters } from '@tollgate/counters';
import { createEventLog } from '@tollgate/event-log';
import { createJobs, instrumentJobs, type JobsBoard, mountJobsBoard } from '@tollgate/jobs';
import { createMailer } from '@tollgate/mail';
import { type ReadinessCheck, runApp, startNestOpsApp } from '@tollgate/observability';
import {
  createUsageReconciliation,
  scheduleUsageReconciliation,
  usageReconciliationJob,
} from '@tollgate/plans-data';
import { SnapshotCache } from '@tollgate/plans-http';
import { createRelationalStore } from '@tollgate/relational';

/**
 * Billing worker (distributed mode): the job runner for Stripe sync, usage push, usage alerts,
 * consumer webhooks, dunning and usage reconciliation, with the jobs board for operators.
 */
runApp('billing-worker', billingWorkerConfigSchema, async ({ config, logger, registry }) => {
  const jobs = instrumentJobs(createJobs(config, logger), registry);
  const mailer = createMailer(config, logger);
  const checks: ReadinessCheck[] = [
    { name: 'jobs', check: () => jobs.ping() },
    { name: 'mail', check: () => mailer.ping() },
  ];
  const closing: Array<() => Promise<void>> = [];
  const jobNames: string[] = [];
  let startBilling: (() => Promise<void>) | undefined;
  let stopBilling: (() => Promise<void>) | undefined;

  // Billing and reconciliation read the shared database and a ClickHouse server; without them
  // (embedded mode) the platform process runs this work itself.
  if (config.DATABASE_URL && config.CLICKHOUSE_URL && config.REDIS_URL) {
    const relational = await createRelationalStore({
      databaseUrl: config.DATABASE_URL,
      dataDirectory: config.TOLLGATE_DATA_DIR,
      logger,
    });
    const analytics = await createAnalyticsStoreFromConfig(config, logger);
    const counters = createCounters({
      REDIS_URL: config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    });
    const eventLog = createEventLog(config, logger);
    // A downgrade or suspension is announced like any control-plane change: gateways pull the new snapshot.
    const configBus = createConfigBus(
      { REDIS_URL: config.REDIS_URL, REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX },
      logger,
    );
    const snapshots = new SnapshotCache(relational.prisma, { bus: configBus, logger });
    closing.push(
      () => eventLog.close(),
      () => configBus.close(),
      () => analytics.close(),
      () => relational.close(),
      () => counters.close(),
    );
    checks.push(
      { name: 'database', check: () => relational.ping() },
      { name: 'clickhouse', check: () => analytics.ping() },
      { name: 'counters', check: () => counters.ping() },
      { name: 'event-log', check: () => eventLog.ping() },
    );
    const reconciliation = createUsageReconciliation({
      prisma: relational.prisma,
      store: analytics,
      counters,
      logger,
      registry,
      settleMs: config.RECONCILIATION_SETTLE_MS,
    });
    await scheduleUsageReconciliation(jobs, reconciliation, config.RECONCILIATION_INTERVAL_MS);
    const billing = await createBillingRuntime({
      prisma: relational.prisma,
      analytics,
      jobs,
      mailer,
      eventLog,
      quotaEventsTopic: config.QUOTA_EVENTS_TOPIC,
      logger,
      registry,
      publicUrl: config.PUBLIC_URL ?? 'http://127.0.0.1:3000',
      ...billingSettings(config),
      onSubscriptionsChanged: async () => {
        await snapshots.refresh();
      },
    });
    jobNames.push(usageReconciliationJob, ...billing.jobNames);
    startBilling = () => billing.start();
    stopBilling = () => billing.stop();
  } else {
    logger.info(
      'billing and usage reconciliation not scheduled here: they need DATABASE_URL, CLICKHOUSE_URL and REDIS_URL',
    );
  }

  await jobs.start();
  await startBilling?.();
  let board: JobsBoard | undefined;
  const ops = await startNestOpsApp({
    host: config.HOST,
    port: config.OPS_PORT,
    registry,
    checks,
    configure: async (app) => {
      if (!config.JOBS_BOARD_TOKEN || !config.REDIS_URL || jobNames.length === 0) return;
      board = await mountJobsBoard(app.getHttpAdapter().getInstance(), {
        redisUrl: config.REDIS_URL,
        prefix: config.JOBS_QUEUE_PREFIX,
        names: jobNames,
        token: config.JOBS_BOARD_TOKEN,
      });
    },
  });
  logger.info({ opsPort: ops.port, jobsBoard: board?.basePath ?? null }, 'billing worker is running');
  // Quota events stop first (they send mail and queue jobs), then the jobs drain, then the rest.
  return [
    async () => stopBilling?.(),
    () => jobs.close(),
    () => ops.close(),
    async () => board?.close(),
    () => mailer.close(),
    ...closing,
  ];
});
