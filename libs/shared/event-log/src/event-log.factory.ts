import { join } from 'node:path';
import { type EventLog } from '@tollgate/ports';
import { type Logger } from 'pino';
import { createInProcessEventLog } from './in-process/in-process-event-log.adapter';
import { createKafkaEventLog, type KafkaConsumerTuning } from './kafka/kafka-event-log.adapter';

export interface EventLogConfig {
  KAFKA_BROKERS?: string[];
  KAFKA_CLIENT_ID: string;
  TOLLGATE_DATA_DIR: string;
}

export interface EventLogTuning {
  /** Kafka consumer group and fetch settings (ignored by the in-process log). */
  kafkaConsumer?: KafkaConsumerTuning;
}

/** Kafka when KAFKA_BROKERS is set (distributed), otherwise the in-process log under the data directory. */
export function createEventLog(
  config: EventLogConfig,
  logger?: Logger,
  tuning: EventLogTuning = {},
): EventLog {
  const eventLogLogger = logger?.child({ component: 'event-log' });
  if (config.KAFKA_BROKERS && config.KAFKA_BROKERS.length > 0) {
    return createKafkaEventLog({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID,
      ...(eventLogLogger ? { logger: eventLogLogger } : {}),
      ...(tuning.kafkaConsumer ? { consumer: tuning.kafkaConsumer } : {}),
    });
  }
  return createInProcessEventLog({
    directory: join(config.TOLLGATE_DATA_DIR, 'event-log'),
    ...(eventLogLogger ? { logger: eventLogLogger } : {}),
  });
}
