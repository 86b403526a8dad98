import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { meteringConfigSchema } from '@tollgate/config';
import { createEventLog } from '@tollgate/event-log';
import { MeteringProcessor } from '@tollgate/metering-pipeline';
import { runApp, startNestOpsApp } from '@tollgate/observability';

/**
 * Metering (distributed mode): the access-log and ingest topics → ClickHouse usage_events, exactly
 * once. Scale out by starting more instances with the same METERING_GROUP_ID: Kafka spreads the
 * partitions over them.
 */
runApp('metering', meteringConfigSchema, async ({ config, logger, registry }) => {
  const store = await createAnalyticsStoreFromConfig(config, logger);
  await migrateAnalytics(store, { logger });
  const eventLog = createEventLog(config, logger, {
    kafkaConsumer: {
      sessionTimeout: config.METERING_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.max(500, Math.floor(config.METERING_SESSION_TIMEOUT_MS / 10)),
      // Large fetches: a partition's insert is filled from as few fetches as possible.
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
    },
  });
  await eventLog.ensureTopic(config.ACCESS_LOG_TOPIC, config.ACCESS_LOG_PARTITIONS);
  await eventLog.ensureTopic(config.INGEST_TOPIC, config.ACCESS_LOG_PARTITIONS);
  const processor = new MeteringProcessor({
    store,
    consumer: await eventLog.consumer(config.METERING_GROUP_ID),
    topic: config.ACCESS_LOG_TOPIC,
    ingestTopic: config.INGEST_TOPIC,
    maxBatchRows: config.METERING_BATCH_ROWS,
    flushIntervalMs: config.METERING_FLUSH_MS,
    lateEventGraceMs: config.LATE_EVENT_GRACE_MS,
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
  logger.info(
    { opsPort: ops.port, topics: [config.ACCESS_LOG_TOPIC, config.INGEST_TOPIC] },
    'metering is consuming',
  );
  return [() => processor.stop(), () => ops.close(), () => eventLog.close(), () => store.close()];
});
