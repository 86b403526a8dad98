import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { meteringConfigSchema } from '@tollgate/config';
import { createEventLog } from '@tollgate/event-log';
import { MeteringProcessor } from '@tollgate/metering-pipeline';
import { runApp, startNestOpsApp } from '@tollgate/observability';

/** Metering (distributed mode): the access-log topic → ClickHouse usage_events, exactly once. */
runApp('metering', meteringConfigSchema, async ({ config, logger, registry }) => {
  const store = await createAnalyticsStoreFromConfig(config, logger);
  await migrateAnalytics(store, { logger });
  const eventLog = createEventLog(config, logger);
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
  return [() => processor.stop(), () => ops.close(), () => eventLog.close(), () => store.close()];
});
