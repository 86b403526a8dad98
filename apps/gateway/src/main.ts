import { join, resolve } from 'node:path';
import { gatewayConfigSchema } from '@tollgate/config';
import { createConfigBus } from '@tollgate/config-bus';
import { hostname } from 'node:os';
import { createCounters, createFailoverCounters } from '@tollgate/counters';
import { createEventLog } from '@tollgate/event-log';
import {
  AccessLogSpool,
  createAccessLogEmitter,
  createGatewayServer,
  HttpSnapshotSource,
  QuotaEventPublisher,
  SnapshotStore,
} from '@tollgate/gateway-data-plane';
import { runApp, startNestOpsApp } from '@tollgate/observability';

/** Gateway (distributed mode): the data plane on GATEWAY_PORT, health and metrics on GATEWAY_OPS_PORT. */
runApp('gateway', gatewayConfigSchema, async ({ config, logger, registry }) => {
  // Plans that fail open decide locally while Redis is down; the node count comes from a heartbeat.
  const counters = createFailoverCounters({
    primary: createCounters(config),
    nodeId: `${hostname()}:${config.GATEWAY_PORT}:${process.pid}`,
    minimumNodes: config.GATEWAY_MIN_NODES,
    onModeChange: (local, error) => {
      if (local)
        logger.warn({ err: error }, 'quota counters unreachable: plans that fail open are limited locally');
      else logger.info('quota counters reachable again: local decisions are carried over');
    },
    onSyncError: (error) =>
      logger.warn({ err: error }, 'carrying local quota decisions over to Redis failed'),
  });
  await counters.start();
  const eventLog = createEventLog(config, logger);
  await eventLog.ensureTopic(config.ACCESS_LOG_TOPIC, config.ACCESS_LOG_PARTITIONS);
  await eventLog.ensureTopic(config.QUOTA_EVENTS_TOPIC, config.ACCESS_LOG_PARTITIONS);
  const producer = await eventLog.producer();
  const quotaEvents = new QuotaEventPublisher({ producer, topic: config.QUOTA_EVENTS_TOPIC, logger });
  // One spool per port: gateways sharing a data directory on one host never share a spool, and a
  // gateway restarted on its port replays what the previous run left.
  const spool = await AccessLogSpool.open({
    directory: join(resolve(config.TOLLGATE_DATA_DIR), 'spool', `gateway-${config.GATEWAY_PORT}`),
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

  const snapshots = new SnapshotStore();
  const configBus = createConfigBus(config, logger);
  const source = new HttpSnapshotSource({
    plansUrl: config.PLANS_URL,
    token: config.GATEWAY_TOKEN,
    pollMs: config.SNAPSHOT_POLL_MS,
    store: snapshots,
    logger,
    bus: configBus,
  });
  source.start();

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
  const ops = await startNestOpsApp({
    host: config.HOST,
    port: config.GATEWAY_OPS_PORT,
    registry,
    checks: [
      {
        name: 'snapshot',
        check: async () => {
          if (!snapshots.current) throw new Error('no snapshot loaded from the plans service yet');
        },
      },
      { name: 'counters', check: () => counters.ping() },
      { name: 'event-log', check: () => eventLog.ping() },
    ],
  });
  logger.info({ url: gateway.url, opsPort: ops.port }, 'gateway is listening');

  return [
    () => gateway.close(), // drains requests in flight and flushes their events
    async () => source.stop(),
    () => configBus.close(),
    () => accessLog.close(), // sent, or in the spool when the broker is unreachable
    () => quotaEvents.flush(),
    () => spool.close(),
    () => producer.close(),
    () => ops.close(),
    () => eventLog.close(),
    () => counters.close(),
  ];
});
