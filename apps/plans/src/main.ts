import { resolve } from 'node:path';
import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { loadConfigOrExit, plansConfigSchema, secretVariables } from '@tollgate/config';
import { createEchoUpstream } from '@tollgate/echo-upstream';
import { UsageQueries } from '@tollgate/metering-pipeline';
import { createLogger, createMetricsRegistry, onShutdown } from '@tollgate/observability';
import { AdminTokens, bootstrapDemo } from '@tollgate/plans-data';
import { createPlansHttpApp, SnapshotCache } from '@tollgate/plans-http';
import { createRelationalStoreFromConfig } from '@tollgate/relational';

/** The control plane (distributed mode): admin API, usage API, gateway snapshots. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('plans', plansConfigSchema);
  const logger = createLogger({
    app: 'plans',
    level: config.LOG_LEVEL,
    redact: secretVariables(plansConfigSchema),
  });
  const registry = createMetricsRegistry('plans');
  const dataDirectory = resolve(config.TOLLGATE_DATA_DIR);

  const relational = await createRelationalStoreFromConfig(config, logger);
  const analytics = await createAnalyticsStoreFromConfig(config, logger);
  await migrateAnalytics(analytics);
  const echo = config.SEED_DEMO
    ? await createEchoUpstream({ host: config.HOST, port: config.DEMO_ECHO_PORT })
    : undefined;

  const apiUrl = `http://${config.HOST}:${config.PORT}`;
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

  const snapshots = new SnapshotCache(relational.prisma);
  const app = await createPlansHttpApp(
    {
      prisma: relational.prisma,
      usage: new UsageQueries(analytics),
      adminTokens: new AdminTokens(relational.prisma, config.ADMIN_TOKEN),
      snapshots,
      registry,
      gatewayToken: config.GATEWAY_TOKEN,
      readiness: [
        { name: 'postgres', check: () => relational.ping() },
        { name: 'clickhouse', check: () => analytics.ping() },
      ],
    },
    { logger },
  );
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ url: apiUrl }, 'plans is listening');

  onShutdown(logger, [
    () => app.close(),
    async () => echo?.close(),
    () => analytics.close(),
    () => relational.close(),
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `plans failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
