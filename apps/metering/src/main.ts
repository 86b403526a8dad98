import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { loadConfigOrExit, meteringConfigSchema, secretVariables } from '@tollgate/config';
import { createEventLog } from '@tollgate/event-log';
import { MeteringProcessor } from '@tollgate/metering-pipeline';
import { createLogger, createMetricsRegistry, onShutdown, startNestOpsApp } from '@tollgate/observability';

/** Metering (distributed mode): the access-log topic → ClickHouse usage_events, exactly once. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('metering', meteringConfigSchema);
  const logger = createLogger({
    app: 'metering',
    level: config.LOG_LEVEL,
    redact: secretVariables(meteringConfigSchema),
  });
  const registry = createMetricsRegistry('metering');

  const store = await createAnalyticsStoreFromConfig(config, logger);
  await migrateAnalytics(store);
  const eventLog = await createEventLog(config, logger);
  await eventLog.ensureTopic(config.ACCESS_LOG_TOPIC, config.ACCESS_LOG_PARTITIONS);
  const processor = new MeteringProcessor({
    store,
    consumer: await eventLog.consumer(config.METERING_GROUP_ID),
    topic: config.ACCESS_LOG_TOPIC,
    maxBatchRows: config.METERING_BATCH_ROWS,
    logger,
    registry,
  });
  await processor.start();
  const ops = await startNestOpsApp({
    host: config.HOST,
    port: config.OPS_PORT,
    registry,
    checks: [
      { name: 'clickhouse', check: () => store.ping() },
      { name: 'event-log', check: () => eventLog.ping() },
    ],
  });
  logger.info({ opsPort: ops.port, topic: config.ACCESS_LOG_TOPIC }, 'metering is consuming');

  onShutdown(logger, [
    () => processor.stop(),
    () => ops.close(),
    () => eventLog.close(),
    () => store.close(),
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `metering failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
