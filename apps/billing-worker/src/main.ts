import { billingWorkerConfigSchema } from '@tollgate/config';
import { createJobs } from '@tollgate/jobs';
import { createMailer } from '@tollgate/mail';
import { runApp, startNestOpsApp } from '@tollgate/observability';

/**
 * Billing worker (distributed mode): hosts the job runner that Stripe sync, usage push, alerts and
 * dunning run on. This foundation wires its dependencies, health and metrics; the billing jobs are
 * registered on the same runner as they are built.
 */
runApp('billing-worker', billingWorkerConfigSchema, async ({ config, logger, registry }) => {
  const jobs = createJobs(config, logger);
  const mailer = createMailer(config, logger);
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
  return [() => jobs.close(), () => ops.close(), () => mailer.close()];
});
