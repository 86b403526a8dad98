import { billingWorkerConfigSchema, loadConfigOrExit, secretVariables } from '@tollgate/config';
import { createJobs } from '@tollgate/jobs';
import { createMailer } from '@tollgate/mail';
import { createLogger, createMetricsRegistry, onShutdown, startNestOpsApp } from '@tollgate/observability';

/**
 * Billing worker (distributed mode): hosts the job runner that Stripe sync, usage push, alerts and
 * dunning run on. This foundation wires its dependencies, health and metrics; the billing jobs are
 * registered on the same runner as they are built.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit('billing-worker', billingWorkerConfigSchema);
  const logger = createLogger({
    app: 'billing-worker',
    level: config.LOG_LEVEL,
    redact: secretVariables(billingWorkerConfigSchema),
  });
  const registry = createMetricsRegistry('billing-worker');
  const jobs = await createJobs(config, logger);
  const mailer = await createMailer(config, logger);
  await jobs.start();
  const ops = await startNestOpsApp({
    host: config.HOST,
    port: config.OPS_PORT,
    registry,
    checks: [
      { name: 'jobs', check: () => jobs.ping() },
      { name: 'mail', check: () => mailer.ping() },
    ],
  });
  logger.info({ opsPort: ops.port }, 'billing worker is running');
  onShutdown(logger, [() => jobs.close(), () => ops.close(), () => mailer.close()]);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `billing-worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
