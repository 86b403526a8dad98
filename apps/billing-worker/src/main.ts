import { createAnalyticsStoreFromConfig } from '@tollgate/analytics';
import { billingWorkerConfigSchema } from '@tollgate/config';
import { createCounters } from '@tollgate/counters';
import { createJobs } from '@tollgate/jobs';
import { createMailer } from '@tollgate/mail';
import { type ReadinessCheck, runApp, startNestOpsApp } from '@tollgate/observability';
import { createUsageReconciliation, scheduleUsageReconciliation } from '@tollgate/plans-data';
import { createRelationalStore } from '@tollgate/relational';

/**
 * Billing worker (distributed mode): hosts the job runner that Stripe sync, usage push, alerts and
 * dunning run on. This foundation wires its dependencies, health and metrics; the billing jobs are
 * registered on the same runner as they are built.
 */
runApp('billing-worker', billingWorkerConfigSchema, async ({ config, logger, registry }) => {
  const jobs = createJobs(config, logger);
  const mailer = createMailer(config, logger);
  const checks: ReadinessCheck[] = [
    { name: 'jobs', check: () => jobs.ping() },
    { name: 'mail', check: () => mailer.ping() },
  ];
  const closing: Array<() => Promise<void>> = [];

  // Usage reconciliation: needs the shared database, ClickHouse server and Redis (the gateway's
  // counters). Without them (embedded mode) the platform runs it instead.
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
    closing.push(
      () => analytics.close(),
      () => relational.close(),
      () => counters.close(),
    );
    checks.push(
      { name: 'database', check: () => relational.ping() },
      { name: 'clickhouse', check: () => analytics.ping() },
      { name: 'counters', check: () => counters.ping() },
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
  } else {
    logger.info(
      'usage reconciliation not scheduled here: it needs DATABASE_URL, CLICKHOUSE_URL and REDIS_URL',
    );
  }

  await jobs.start();
  const ops = await startNestOpsApp({ host: config.HOST, port: config.OPS_PORT, registry, checks });
  logger.info({ opsPort: ops.port }, 'billing worker is running');
  return [() => jobs.close(), () => ops.close(), () => mailer.close(), ...closing];
});
