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
  /**
   * Records of the partition that were already in the log after this batch when it was fetched
   * (Kafka: high watermark minus the offset after the batch). 0: the batch reached the end of the
   * partition, so more records may take a while. Undefined when the adapter cannot tell.
   */
  remaining?: number;
  /**
   * Aborted when the partition is about to leave this consumer (a rebalance, `stop()`): start no
   * new side effect for it and return. The partition is not handed over while the call is pending.
   */
  signal: AbortSignal;
}

/** Partitions per topic that a consumer owns after an assignment. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/**
 * Where to start reading each assigned partition: the next offset to read, as a decimal string.
 * Partitions absent from the map start from the group's committed offset (or the earliest).
 * This is how a consumer that stores offsets with its data resumes exactly after a crash.
 */
export type StartPositions = (topic: string, partitions: number[]) => Promise<Map<number, string>>;

/**
 * - `after-batch`: when `eachBatch` resolves, the adapter commits the offset after the batch; when it
 *   throws, nothing is committed and the very same batch (same first and last offset) comes again.
 * - `manual`: a resolved `eachBatch` only means "handed over": the adapter delivers the following
 *   records but commits only what the application passes to `commit()`. When `eachBatch` throws,
 *   the partition restarts from its last `commit()` in this assignment (else from where the
 *   assignment started), and the application must forget what it kept of the partition since.
 */
export type CommitMode = 'after-batch' | 'manual';

export interface ConsumeOptions {
  /** The topic to read; or `topics` for several. */
  topic?: string;
  topics?: string[];
  /**
   * Handles one batch of one partition. What happens when it resolves or throws depends on
   * `commit` (default `after-batch`).
   */
  eachBatch: (batch: RecordBatch) => Promise<void>;
  commit?: CommitMode;
  /**
   * Called on every assignment (first join, each rebalance), before any record of it is delivered,
   * with what this consumer now owns. Every owned partition restarts from its start position, so
   * a `manual` application drops here whatever it kept and did not commit.
   */
  onAssignment?: (assignment: TopicPartitions[]) => void;
  startPositions?: StartPositions;
  /** Upper bound of records handed to one eachBatch call. */
  maxBatchRecords?: number;
  /** How many partitions may be in `eachBatch` at the same time. Default 1. */
  concurrency?: number;
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
  /**
   * Records that everything before `nextOffset` of the partition is done: commits it to the group
   * and makes it the restart point after a failed `manual` batch. Ignored for a partition this
   * consumer does not own. Rejects when the commit does not reach the log (Kafka: a rebalance).
   */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
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
