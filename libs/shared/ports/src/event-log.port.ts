/** Event log port: Kafka in production, an in-process log with the same semantics when embedded. */

export interface OutgoingMessage {
  /** Partitioning key: messages with the same key keep their order (we key by consumerId). */
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface LogRecord {
  topic: string;
  partition: number;
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** Append time, epoch ms. */
  timestamp: number;
}

export interface RecordBatch {
  topic: string;
  partition: number;
  /** In offset order; never empty. */
  records: LogRecord[];
}

/**
 * Where to start reading each assigned partition: the next offset to read, as a decimal string.
 * Partitions absent from the map start from the group's committed offset (or the earliest).
 * This is how a consumer that stores offsets with its data resumes exactly after a crash.
 */
export type StartPositions = (topic: string, partitions: number[]) => Promise<Map<number, string>>;

export interface ConsumeOptions {
  topic: string;
  /**
   * Handles one batch of one partition. When it resolves, the adapter commits the offset after
   * the batch's last record. When it throws, nothing is committed and the batch is redelivered.
   */
  eachBatch: (batch: RecordBatch) => Promise<void>;
  startPositions?: StartPositions;
  /** Upper bound of records handed to one eachBatch call. */
  maxBatchRecords?: number;
}

export interface EventLogProducer {
  /** Resolves once every message is durably appended (Kafka: acks=all, idempotent producer). */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface EventLogConsumer {
  /** Joins the group and starts delivering; resolves once the consumer is running. */
  run(options: ConsumeOptions): Promise<void>;
  /** Back-pressure: stop fetching these partitions until resumed. */
  pause(topic: string, partitions: number[]): void;
  resume(topic: string, partitions: number[]): void;
  /** Stops fetching, waits for the batch in flight, leaves the group. */
  stop(): Promise<void>;
}

export interface EventLog {
  /** Creates the topic with this many partitions if it does not exist yet. */
  ensureTopic(topic: string, partitions: number): Promise<void>;
  producer(): Promise<EventLogProducer>;
  consumer(groupId: string): Promise<EventLogConsumer>;
  /** Throws when the log is unreachable (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
