import {
  type CommitMode,
  type ConsumeOptions,
  type EventLog,
  type EventLogConsumer,
  type EventLogProducer,
  type LogRecord,
  type OutgoingMessage,
  type TopicPartitions,
} from '@tollgate/ports';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  type KafkaMessage,
  Partitioners,
  PartitionAssigners,
  type Producer,
  logLevel,
} from 'kafkajs';
import { type Logger, pino } from 'pino';
import { subscribedTopics } from '../subscribed-topics';
import { Wakeup } from '../wakeup';
import { kafkaLogLevelFor, pinoLogCreator } from './kafkajs-pino.logger';
import { subscribedRoundRobinAssigner } from './subscribed-round-robin.assigner';

export interface KafkaConsumerTuning {
  /** Default 30 000 ms (kafkajs); the broker's group.min.session.timeout.ms is usually 6 000. */
  sessionTimeout?: number;
  /** Default 3 000 ms. */
  heartbeatInterval?: number;
  /** Default 60 000 ms. */
  rebalanceTimeout?: number;
  /** Longest a fetch waits for data; stop() can wait this long too. Default 1 000 ms. */
  maxWaitTimeInMs?: number;
  /** Most bytes one fetch returns per partition. Default 1 MiB (kafkajs). */
  maxBytesPerPartition?: number;
  /** Most bytes one fetch returns in all. Default 10 MiB (kafkajs). */
  maxBytes?: number;
}

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  consumer?: KafkaConsumerTuning;
  /** Records per eachBatch call when ConsumeOptions.maxBatchRecords is not given. */
  defaultMaxBatchRecords?: number;
  /** Back-off after a failing handler doubles from 100 ms up to this. Default 2000 ms. */
  maxRetryBackoffMs?: number;
  /** TCP connect timeout. Default 3000 ms. */
  connectionTimeout?: number;
  /** ping() rejects after this long. Default 2000 ms (the readiness checks allow 2 s). */
  pingTimeoutMs?: number;
}

const FIRST_RETRY_BACKOFF_MS = 100;

/**
 * Kafka through kafkajs: an idempotent producer with acks=all, consumer groups that commit after
 * each handled batch, and the startPositions hook for consumers that keep offsets with their data.
 */
export function createKafkaEventLog(options: KafkaEventLogOptions): EventLog {
  return new KafkaEventLog(options);
}

class KafkaEventLog implements EventLog {
  private readonly kafka: Kafka;
  private readonly pingKafka: Kafka;
  private readonly logger: Logger;
  private admin: Promise<Admin> | null = null;
  private pingAdmin: Admin | null = null;
  private readonly producers = new Set<KafkaLogProducer>();
  private readonly consumers = new Set<KafkaLogConsumer>();
  private closed = false;

  constructor(readonly options: KafkaEventLogOptions) {
    if (options.brokers.length === 0) throw new Error('createKafkaEventLog needs at least one broker');
    // Without a logger of the application's, logs still go out as JSON lines, at WARN and above.
    const logger = (this.logger = options.logger ?? pino({ level: 'warn' }));
    const common: KafkaConfig = {
      brokers: options.brokers,
      clientId: options.clientId,
      connectionTimeout: options.connectionTimeout ?? 3000,
      logLevel: kafkaLogLevelFor(logger),
      logCreator: pinoLogCreator(logger),
    };
    // At most 5 retries, 0.2 s to 2 s apart: an unreachable broker fails a call in about 5 s instead
    // of about a minute. Explicit, because kafkajs's defaults change under NODE_ENV=test (15 retries).
    this.kafka = new Kafka({ ...common, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 } });
    // Readiness probes must answer quickly and should not log a connection error on every probe.
    this.pingKafka = new Kafka({
      ...common,
      clientId: `${options.clientId}-ping`,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    });
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    this.assertOpen();
    const admin = await this.connectedAdmin();
    // Looked up first because kafkajs logs TOPIC_ALREADY_EXISTS as an error. An existing topic keeps
    // its partition count; createTopics resolves false when another client created it meanwhile.
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  }

  async producer(): Promise<EventLogProducer> {
    this.assertOpen();
    const producer = this.kafka.producer({
      idempotent: true,
      // The most kafkajs allows with idempotence while keeping per-partition order.
      maxInFlightRequests: 5,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    const wrapped = new KafkaLogProducer(producer, () => this.producers.delete(wrapped));
    this.producers.add(wrapped);
    return wrapped;
  }

  async consumer(groupId: string): Promise<EventLogConsumer> {
    this.assertOpen();
    const tuning = this.options.consumer ?? {};
    const consumer = this.kafka.consumer({
      groupId,
      // Preferred; kafkajs's round-robin stays listed so a group with older members still forms.
      partitionAssigners: [subscribedRoundRobinAssigner, PartitionAssigners.roundRobin],
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs ?? 1000,
      ...(tuning.sessionTimeout !== undefined ? { sessionTimeout: tuning.sessionTimeout } : {}),
      ...(tuning.heartbeatInterval !== undefined ? { heartbeatInterval: tuning.heartbeatInterval } : {}),
      ...(tuning.rebalanceTimeout !== undefined ? { rebalanceTimeout: tuning.rebalanceTimeout } : {}),
      ...(tuning.maxBytesPerPartition !== undefined
        ? { maxBytesPerPartition: tuning.maxBytesPerPartition }
        : {}),
      ...(tuning.maxBytes !== undefined ? { maxBytes: tuning.maxBytes } : {}),
    });
    await consumer.connect();
    const wrapped = new KafkaLogConsumer(consumer, groupId, this.options, this.logger, () =>
      this.consumers.delete(wrapped),
    );
    this.consumers.add(wrapped);
    return wrapped;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    const admin = (this.pingAdmin ??= this.pingKafka.admin());
    const timeoutMs = this.options.pingTimeoutMs ?? 2000;
    try {
      await withTimeout(
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
        timeoutMs,
        `Kafka at ${this.options.brokers.join(',')} did not answer within ${timeoutMs} ms`,
      );
    } catch (error) {
      // Start from a fresh connection next time rather than a half-open one.
      this.pingAdmin = null;
      admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const admin = this.admin;
    this.admin = null;
    await Promise.allSettled([
      ...[...this.consumers].map((consumer) => consumer.stop()),
      ...[...this.producers].map((producer) => producer.close()),
      admin?.then((connected) => connected.disconnect()),
      this.pingAdmin?.disconnect(),
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event log is closed');
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = null;
      });
      this.admin = connecting;
    }
    return this.admin;
  }
}

class KafkaLogProducer implements EventLogProducer {
  private closed = false;

  constructor(
    private readonly producer: Producer,
    private readonly onClose: () => void,
  ) {}

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('the producer is closed');
    if (messages.length === 0) return;
    await this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.key,
        value: message.value,
        headers: message.headers,
      })),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    await this.producer.disconnect();
  }
}

type PartitionKey = string;

const partitionKey = (topic: string, partition: number): PartitionKey => `${topic}\u0000${partition}`;

/** kafkajs error types after which the member must rejoin: its partitions are about to move. */
const REJOIN_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

class KafkaLogConsumer implements EventLogConsumer {
  private topics: string[] = [];
  private options: ConsumeOptions | null = null;
  private maxBatchRecords = 500;
  private commitMode: CommitMode = 'after-batch';
  private state: 'created' | 'running' | 'stopped' = 'created';
  private readonly wakeup = new Wakeup();
  /** Partitions the application paused, by topic; re-applied after every (re)assignment. */
  private readonly userPaused = new Map<string, Set<number>>();
  /** Assigned partitions whose start position is still being resolved: nothing of them is handled. */
  private readonly pending = new Set<PartitionKey>();
  private assigned: TopicPartitions[] = [];
  private assignedKeys = new Set<PartitionKey>();
  /** Bumped on every assignment, so a slow resolver of an older assignment is ignored. */
  private generation = 0;
  /** Aborted when this assignment ends: a rebalance was announced, or stop(). */
  private assignment = new AbortController();
  private readonly failures = new Map<PartitionKey, number>();
  /** First and last offset of the chunk whose handler failed last, per partition. */
  private readonly failedChunks = new Map<PartitionKey, { first: string; last: string }>();
  /** `manual` mode: where a partition restarts after a failed handler (last commit, else assignment start). */
  private readonly restartAt = new Map<PartitionKey, string>();
  /** The kafkajs batch payload of each partition whose handler is running (commits go through it). */
  private readonly inHandler = new Map<PartitionKey, EachBatchPayload>();

  constructor(
    private readonly consumer: Consumer,
    private readonly groupId: string,
    private readonly logOptions: KafkaEventLogOptions,
    private readonly logger: Logger,
    private readonly onStop: () => void,
  ) {}

  async run(options: ConsumeOptions): Promise<void> {
    if (this.state !== 'created') throw new Error(`the consumer of group ${this.groupId} was already run`);
    const maxBatchRecords = options.maxBatchRecords ?? this.logOptions.defaultMaxBatchRecords ?? 500;
    if (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) {
      throw new Error(`maxBatchRecords must be a positive integer, got ${maxBatchRecords}`);
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const topics = subscribedTopics(options);
    this.state = 'running';
    this.topics = topics;
    this.options = options;
    this.maxBatchRecords = maxBatchRecords;
    this.commitMode = options.commit ?? 'after-batch';
    // Partitions absent from the start positions begin at the earliest offset when never committed.
    await this.consumer.subscribe({ topics, fromBeginning: true });
    // GROUP_JOIN is emitted synchronously after each join + sync and before the first fetch of the
    // new assignment, so pending partitions are marked (and paused) before any of their batches.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.onAssignment(event.payload.memberAssignment);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error(
        { err: event.payload.error, group: this.groupId, restart: event.payload.restart },
        'Kafka consumer crashed',
      );
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  pause(topic: string, partitions: number[]): void {
    let paused = this.userPaused.get(topic);
    if (!paused) this.userPaused.set(topic, (paused = new Set()));
    for (const partition of partitions) paused.add(partition);
    if (this.state === 'running' && this.topics.includes(topic)) this.kafkaPause(topic, partitions);
  }

  resume(topic: string, partitions: number[]): void {
    const paused = this.userPaused.get(topic);
    for (const partition of partitions) paused?.delete(partition);
    if (this.state !== 'running' || !this.topics.includes(topic)) return;
    // A partition still waiting for its start position stays paused.
    const resumable = partitions.filter((partition) => !this.pending.has(partitionKey(topic, partition)));
    if (resumable.length > 0) this.kafkaResume(topic, resumable);
  }

  async commit(topic: string, partition: number, nextOffset: string): Promise<void> {
    const key = partitionKey(topic, partition);
    if (this.state !== 'running' || !this.assignedKeys.has(key)) return;
    if (!/^\d+$/.test(nextOffset)) throw new Error(`commit offset "${nextOffset}" is not an offset`);
    this.restartAt.set(key, nextOffset);
    const offsets = [{ topic, partition, offset: nextOffset }];
    const payload = this.inHandler.get(key);
    // Inside a handler, through its payload: one attempt, no retry loop holding the handler.
    if (payload) await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: offsets }] });
    else await this.consumer.commitOffsets(offsets);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.assignment.abort();
    this.onStop();
    this.wakeup.wake();
    // Stops fetching, waits for the batch in flight, leaves the group and closes the connections.
    await this.consumer.disconnect();
  }

  private onAssignment(memberAssignment: Record<string, number[]>): void {
    this.generation += 1;
    this.assignment.abort();
    this.assignment = new AbortController();
    this.assigned = this.topics.map((topic) => ({
      topic,
      partitions: [...(memberAssignment[topic] ?? [])].sort((a, b) => a - b),
    }));
    this.assignedKeys = new Set(
      this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))),
    );
    this.pending.clear();
    this.failures.clear();
    this.failedChunks.clear();
    this.restartAt.clear();
    const resolver = this.options?.startPositions;
    if (resolver) for (const key of this.assignedKeys) this.pending.add(key);
    try {
      this.options?.onAssignment?.(
        this.assigned.map((entry) => ({ ...entry, partitions: [...entry.partitions] })),
      );
    } catch (error) {
      this.logger.error({ err: error, group: this.groupId }, 'event log: the onAssignment callback failed');
    }
    this.applyPauses();
    if (!resolver) return;
    for (const { topic, partitions } of this.assigned) {
      if (partitions.length > 0) void this.resolveStartPositions(this.generation, topic, partitions);
    }
  }

  /** kafkajs forgets pauses when it rebuilds its group state after a crash, so they are re-applied. */
  private applyPauses(): void {
    if (this.state !== 'running') return;
    for (const { topic, partitions } of this.assigned) {
      const userPaused = this.userPaused.get(topic) ?? new Set<number>();
      const paused = partitions.filter(
        (partition) => this.pending.has(partitionKey(topic, partition)) || userPaused.has(partition),
      );
      const active = partitions.filter((partition) => !paused.includes(partition));
      if (paused.length > 0) this.kafkaPause(topic, paused);
      if (active.length > 0) this.kafkaResume(topic, active);
    }
  }

  // kafkajs throws while it restarts after a crash (no group state); the pause set is re-applied at
  // the next GROUP_JOIN, so there is nothing to do then.
  private kafkaPause(topic: string, partitions: number[]): void {
    try {
      this.consumer.pause([{ topic, partitions }]);
    } catch (error) {
      this.logger.debug(
        { err: error, topic, partitions },
        'event log: pause deferred to the next assignment',
      );
    }
  }

  private kafkaResume(topic: string, partitions: number[]): void {
    try {
      this.consumer.resume([{ topic, partitions }]);
    } catch (error) {
      this.logger.debug(
        { err: error, topic, partitions },
        'event log: resume deferred to the next assignment',
      );
    }
  }

  private async resolveStartPositions(
    generation: number,
    topic: string,
    partitions: number[],
  ): Promise<void> {
    const resolver = this.options?.startPositions;
    if (!resolver) return;
    for (let attempt = 1; this.state === 'running' && generation === this.generation; attempt += 1) {
      try {
        const positions = await resolver(topic, partitions);
        if (this.state !== 'running' || generation !== this.generation) return;
        for (const [partition, offset] of positions) {
          if (!partitions.includes(partition)) continue;
          this.consumer.seek({ topic, partition, offset });
          this.restartAt.set(partitionKey(topic, partition), offset);
        }
        for (const partition of partitions) this.pending.delete(partitionKey(topic, partition));
        this.applyPauses();
        return;
      } catch (error) {
        const backoff = this.backoff(attempt);
        this.logger.warn(
          { err: error, group: this.groupId, topic, backoff },
          'event log: resolving start positions failed; retrying',
        );
        await this.wakeup.sleep(backoff);
      }
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    const handler = this.options?.eachBatch;
    if (!handler) return;
    const signal = this.assignment.signal;
    const discard = (): boolean =>
      !isRunning() ||
      this.state !== 'running' ||
      signal.aborted ||
      // Fetched before a seek (start position or retry) took effect: stale, fetched again.
      isStale() ||
      this.pending.has(key) ||
      (this.userPaused.get(topic)?.has(partition) ?? false);
    const messages = batch.messages;
    if (messages.length === 0 || discard()) return;
    // Without a start position, the first record fetched in this assignment is where it started.
    if (!this.restartAt.has(key)) this.restartAt.set(key, messages[0].offset);
    const highWatermark = BigInt(batch.highWatermark);
    let start = 0;
    while (start < messages.length) {
      // Returning without resolving leaves kafkajs's position at the first unhandled record.
      if (discard()) return;
      const end = this.chunkEnd(key, messages, start);
      const chunk = messages.slice(start, end);
      const records = chunk.map((message) => toLogRecord(topic, partition, message));
      const lastMessageOffset = chunk[chunk.length - 1].offset;
      const remaining = highWatermark - (BigInt(lastMessageOffset) + 1n);
      this.inHandler.set(key, payload);
      try {
        await this.keepingSessionAlive(
          handler({ topic, partition, records, remaining: remaining > 0n ? Number(remaining) : 0, signal }),
          heartbeat,
        );
      } catch (error) {
        this.inHandler.delete(key);
        if (signal.aborted) {
          // The partition is leaving this consumer; its next owner (maybe this one) starts it afresh.
          this.logger.debug(
            { err: error, group: this.groupId, topic, partition },
            'event log: handler ended by a rebalance or stop',
          );
          return;
        }
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        const backoff = this.backoff(failures);
        // Nothing committed; the next fetch of this partition starts again at the restart point.
        const from =
          this.commitMode === 'manual' ? (this.restartAt.get(key) ?? chunk[0].offset) : chunk[0].offset;
        if (this.commitMode === 'after-batch')
          this.failedChunks.set(key, { first: chunk[0].offset, last: lastMessageOffset });
        this.logger.warn(
          { err: error, group: this.groupId, topic, partition, offset: from, backoff },
          'event log handler failed; the batch will be redelivered',
        );
        this.consumer.seek({ topic, partition, offset: from });
        await this.wakeup.sleep(backoff);
        return;
      }
      this.inHandler.delete(key);
      this.failures.delete(key);
      this.failedChunks.delete(key);
      if (this.commitMode === 'after-batch') {
        // After the batch's last message, commit past trailing control records (transaction markers) too.
        const lastOffset = end >= messages.length ? batch.lastOffset() : lastMessageOffset;
        await commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
        });
      }
      resolveOffset(lastMessageOffset);
      await heartbeat();
      start = end;
    }
  }

  /**
   * Waits for a handler while keeping the group session alive: a handler may hold its batch for a
   * while (metering waits to fill an insert). A heartbeat that reports a rebalance aborts the
   * assignment's signal, so the handler lets go and the consumer can rejoin in time.
   */
  private async keepingSessionAlive(handling: Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
    const interval = Math.min(this.logOptions.consumer?.heartbeatInterval ?? 3000, 1000);
    let settled = false;
    const done = handling.finally(() => {
      settled = true;
    });
    done.catch(() => undefined);
    while (!settled) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done.catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, interval);
        }),
      ]);
      clearTimeout(timer);
      if (settled) break;
      try {
        await heartbeat();
      } catch (error) {
        if (REJOIN_ERRORS.has((error as { type?: string }).type ?? '')) this.assignment.abort();
        this.logger.debug(
          { err: error, group: this.groupId },
          'event log: heartbeat during a long handler failed',
        );
      }
    }
    await done;
  }

  /**
   * Where the chunk starting at `start` ends: `maxBatchRecords` later, except that the retry of a
   * failed chunk ends where that chunk ended, so a handler sees the very same batch again (handlers
   * that make a retry idempotent with a token derived from the batch's offsets rely on it).
   */
  private chunkEnd(key: PartitionKey, messages: KafkaMessage[], start: number): number {
    let end = Math.min(start + this.maxBatchRecords, messages.length);
    const failed = this.failedChunks.get(key);
    if (failed && messages[start].offset === failed.first) {
      const last = BigInt(failed.last);
      let index = start;
      while (index < end && BigInt(messages[index].offset) <= last) index += 1;
      end = index;
    }
    return end;
  }

  private backoff(attempt: number): number {
    return Math.min(FIRST_RETRY_BACKOFF_MS * 2 ** (attempt - 1), this.logOptions.maxRetryBackoffMs ?? 2000);
  }
}

function toLogRecord(topic: string, partition: number, message: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value ? message.value.toString('utf8') : '',
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

/** Kafka allows a header key more than once; the port has one value per key, so the last one wins. */
function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  if (!headers) return decoded;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) decoded[name] = value.toString();
  }
  return decoded;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // The loser of the race may still settle; its rejection is expected and must not go unhandled.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
