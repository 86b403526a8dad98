export { createEventLog, type EventLogConfig, type EventLogTuning } from './event-log.factory';
export {
  createInProcessEventLog,
  type InProcessEventLogOptions,
} from './in-process/in-process-event-log.adapter';
export {
  createKafkaEventLog,
  type KafkaConsumerTuning,
  type KafkaEventLogOptions,
} from './kafka/kafka-event-log.adapter';
export { partitionForKey } from './key.partitioner';
