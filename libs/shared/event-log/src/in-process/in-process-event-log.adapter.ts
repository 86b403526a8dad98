import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ConsumeOptions,
  type EventLog,
  type EventLogConsumer,
  type EventLogProducer,
  type LogRecord,
  type OutgoingMessage,
} from '@tollgate/ports';
import { type Logger, pino } from 'pino';
import { partitionForKey } from '../key.partitioner';
import { subscribedTopics } from '../subscribed-topics';
import { Wakeup } from '../wakeup';
import { GroupOffsetsStore, syncDirectory } from './group-offsets.store';
import { type AppendInput, PartitionLog } from './partition.log';
import { type StoredRecord } from './segment.format';

export interface InProcessEventLogOptions {
  /** Where topics and committed offsets live; created if missing. */
  directory: string;
  /** fsync appends and offset commits before resolving. Default true; one fsync per partition per write. */
  fsync?: boolean;
  logger?: Logger;
  /** Records per eachBatch call when ConsumeOptions.maxBatchRecords is not given. */
  defaultMaxBatchRecords?: number;
  /** Back-off after a failing handler doubles from 100 ms up to this. Default 2000 ms. */
  maxRetryBackoffMs?: number;
}

interface TopicMetadata {
  topic: string;
  partitions: number;
}

/** Kafka's rule for topic names; it also keeps them safe as directory names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const MAX_PARTITIONS = 1024;
const FIRST_RETRY_BACKOFF_MS = 100;

/** Directories opened by a live log in this process; two logs on one directory would corrupt it. */
const openDirectories = new Set<string>();

/**
 * Embedded event log with Kafka's semantics through the EventLog port, persisted under `directory`.
 *
 * Limits: one process per directory (nothing coordinates two processes); within the process, one
 * consumer per group and topic is active and gets every partition, a second one of the same group
 * waits until the first stops; no retention or compaction, the log only grows.
 */
export function createInProcessEventLog(options: InProcessEventLogOptions): EventLog {
  return new InProcessEventLog(options);
}

class TopicLog {
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly partitions: PartitionLog[],
  ) {}

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notifyAppend(): void {
    for (const listener of this.listeners) listener();
  }
}

class InProcessEventLog implements EventLog {
  private readonly directory: string;
  private readonly fsync: boolean;
  private readonly openTopics = new Map<string, TopicLog>();
  /** Per-topic chain of load/create operations, so a topic's files are opened by one PartitionLog each. */
  private readonly topicOperations = new Map<string, Promise<unknown>>();
  private readonly groups = new Map<string, Promise<GroupOffsetsStore>>();
  /** Consumers of each group and topic in join order; a consumer first for all its topics is active. */
  private readonly members = new Map<string, InProcessConsumer[]>();
  private readonly consumers = new Set<InProcessConsumer>();
  private readonly producers = new Set<InProcessProducer>();
  private ready: Promise<void> | null = null;
  private closed = false;

  constructor(readonly options: InProcessEventLogOptions) {
    this.directory = resolve(options.directory);
    this.fsync = options.fsync ?? true;
    this.logger = options.logger ?? pino({ level: 'warn' });
    if (openDirectories.has(this.directory)) {
      throw new Error(`an in-process event log is already open on ${this.directory}`);
    }
    openDirectories.add(this.directory);
  }

  /** The application's logger, or WARN-level JSON lines without one. */
  readonly logger: Logger;

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    this.assertOpen();
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
      throw new Error(`invalid topic name "${topic}": use 1–249 of [a-zA-Z0-9._-]`);
    }
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new Error(`invalid partition count ${partitions} for topic ${topic}`);
    }
    await this.serialized(topic, async () => {
      if (this.openTopics.has(topic) || (await this.loadTopic(topic))) return;
      await this.createTopic(topic, partitions);
    });
  }

  async producer(): Promise<EventLogProducer> {
    this.assertOpen();
    await this.prepare();
    const producer = new InProcessProducer(this);
    this.producers.add(producer);
    return producer;
  }

  async consumer(groupId: string): Promise<EventLogConsumer> {
    this.assertOpen();
    if (groupId.length === 0) throw new Error('a consumer group id must not be empty');
    await this.prepare();
    const consumer = new InProcessConsumer(this, groupId);
    this.consumers.add(consumer);
    return consumer;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.prepare();
    await fs.access(this.directory);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
      for (const producer of this.producers) producer.markClosed();
      await Promise.all(
        [...this.topicOperations.values()].map((operation) => operation.catch(() => undefined)),
      );
      const partitions = [...this.openTopics.values()].flatMap((topic) => topic.partitions);
      await Promise.all(partitions.map((partition) => partition.close()));
      const groups = await Promise.all([...this.groups.values()].map((group) => group.catch(() => null)));
      await Promise.all(groups.map((group) => group?.flush()));
    } finally {
      openDirectories.delete(this.directory);
    }
  }

  assertOpen(): void {
    if (this.closed) throw new Error('the event log is closed');
  }

  /** The open topic, synchronously when it is already loaded (keeps concurrent sends in call order). */
  loadedTopic(topic: string): TopicLog | undefined {
    return this.openTopics.get(topic);
  }

  async existingTopic(topic: string): Promise<TopicLog> {
    const log =
      this.openTopics.get(topic) ??
      (await this.serialized(topic, async () => this.openTopics.get(topic) ?? (await this.loadTopic(topic))));
    if (!log) throw new Error(`topic ${topic} does not exist: call ensureTopic first`);
    return log;
  }

  groupOffsets(groupId: string): Promise<GroupOffsetsStore> {
    let group = this.groups.get(groupId);
    if (!group) {
      const path = join(this.directory, 'groups', `${encodeURIComponent(groupId)}.json`);
      group = GroupOffsetsStore.open(path, groupId, { fsync: this.fsync });
      this.groups.set(groupId, group);
      group.catch(() => this.groups.delete(groupId));
    }
    return group;
  }

  /** Adds a consumer to its group for each of its topics; it is active once first for every one. */
  join(groupId: string, topics: string[], consumer: InProcessConsumer): void {
    for (const topic of topics) {
      const key = `${groupId}\u0000${topic}`;
      this.members.set(key, [...(this.members.get(key) ?? []), consumer]);
    }
    this.activateLeaders(groupId, [consumer]);
  }

  leave(groupId: string, topics: string[], consumer: InProcessConsumer): void {
    const candidates: InProcessConsumer[] = [];
    for (const topic of topics) {
      const key = `${groupId}\u0000${topic}`;
      const remaining = (this.members.get(key) ?? []).filter((member) => member !== consumer);
      if (remaining.length === 0) this.members.delete(key);
      else {
        this.members.set(key, remaining);
        candidates.push(remaining[0]);
      }
    }
    this.activateLeaders(groupId, candidates);
  }

  private activateLeaders(groupId: string, candidates: InProcessConsumer[]): void {
    for (const candidate of new Set(candidates)) {
      const leadsAll = candidate
        .subscribedTopics()
        .every((topic) => this.members.get(`${groupId}\u0000${topic}`)?.[0] === candidate);
      if (leadsAll) candidate.activate();
    }
  }

  forget(consumer: InProcessConsumer): void {
    this.consumers.delete(consumer);
  }

  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      await fs.mkdir(join(this.directory, 'topics'), { recursive: true });
      await fs.mkdir(join(this.directory, 'groups'), { recursive: true });
    })();
    return this.ready;
  }

  private topicDirectory(topic: string): string {
    return join(this.directory, 'topics', topic);
  }

  private serialized<T>(topic: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.topicOperations.get(topic) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.topicOperations.set(topic, next);
    const cleanUp = (): void => {
      if (this.topicOperations.get(topic) === next) this.topicOperations.delete(topic);
    };
    next.then(cleanUp, cleanUp);
    return next;
  }

  /** Opens a topic that exists on disk; null when it does not. Call only through serialized(). */
  private async loadTopic(topic: string): Promise<TopicLog | null> {
    await this.prepare();
    let metadata: TopicMetadata;
    try {
      metadata = JSON.parse(
        await fs.readFile(join(this.topicDirectory(topic), 'meta.json'), 'utf8'),
      ) as TopicMetadata;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return this.openPartitions(topic, metadata.partitions);
  }

  private async createTopic(topic: string, partitions: number): Promise<TopicLog> {
    const directory = this.topicDirectory(topic);
    await fs.mkdir(directory, { recursive: true });
    // The metadata file is what makes the topic exist, so it is written atomically and last.
    const metadata: TopicMetadata = { topic, partitions };
    const temporary = join(directory, `meta.json.${process.pid}.tmp`);
    await fs.writeFile(temporary, JSON.stringify(metadata));
    if (this.fsync) {
      const file = await fs.open(temporary, 'r');
      await file.sync().finally(() => file.close());
    }
    await fs.rename(temporary, join(directory, 'meta.json'));
    if (this.fsync) {
      await syncDirectory(directory);
      await syncDirectory(join(this.directory, 'topics'));
    }
    return this.openPartitions(topic, partitions);
  }

  private async openPartitions(topic: string, count: number): Promise<TopicLog> {
    const partitions: PartitionLog[] = [];
    // Filled below; published in openTopics only once every partition is open.
    const log = new TopicLog(topic, partitions);
    const notify = (): void => log.notifyAppend();
    try {
      for (let partition = 0; partition < count; partition += 1) {
        const path = join(this.topicDirectory(topic), `${partition}.log`);
        const opened = await PartitionLog.open(path, { fsync: this.fsync, onAppend: notify });
        if (opened.discardedBytes > 0) {
          this.logger.warn(
            { topic, partition, discardedBytes: opened.discardedBytes },
            'event log: cut a torn record off the end of a segment (crash during a write)',
          );
        }
        partitions.push(opened.log);
      }
      if (this.fsync) await syncDirectory(this.topicDirectory(topic));
    } catch (error) {
      await Promise.all(partitions.map((partition) => partition.close()));
      throw error;
    }
    this.openTopics.set(topic, log);
    return log;
  }
}

class InProcessProducer implements EventLogProducer {
  private closed = false;

  constructor(private readonly log: InProcessEventLog) {}

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('the producer is closed');
    this.log.assertOpen();
    // Grouping happens before any await when the topic is loaded, so sends keep their call order.
    const target = this.log.loadedTopic(topic) ?? (await this.log.existingTopic(topic));
    const partitionCount = target.partitions.length;
    const byPartition = new Map<number, AppendInput[]>();
    for (const message of messages) {
      const partition = partitionForKey(message.key, partitionCount);
      let records = byPartition.get(partition);
      if (!records) byPartition.set(partition, (records = []));
      // Copied: the write may happen after send() returns control to the caller.
      records.push({ key: message.key, value: message.value, headers: { ...message.headers } });
    }
    if (byPartition.size === 1) {
      const [[partition, records]] = byPartition;
      return target.partitions[partition].append(records);
    }
    await Promise.all(
      [...byPartition].map(([partition, records]) => target.partitions[partition].append(records)),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  markClosed(): void {
    this.closed = true;
  }
}

type ConsumerState = 'created' | 'running' | 'stopped';

/** One partition of a subscribed topic, with what the consume loop knows about it. */
interface PartitionCursor {
  log: TopicLog;
  topic: string;
  partition: number;
  /** Next offset to deliver. */
  position: number;
  /** `manual` mode: where the partition restarts after a failed handler. */
  restartAt: number;
  failures: number;
  retryAt: number;
  /** `after-batch` mode: length of the batch whose handler failed (the retry delivers exactly it). */
  failedLength: number;
}

class InProcessConsumer implements EventLogConsumer {
  private state: ConsumerState = 'created';
  private active = false;
  private stopping = false;
  private readonly wakeup = new Wakeup();
  private readonly paused = new Map<string, Set<number>>();
  private loop: Promise<void> | null = null;
  private topics: string[] = [];
  private stopListening: Array<() => void> = [];
  private readonly assignment = new AbortController();
  private group: GroupOffsetsStore | null = null;
  private readonly cursors = new Map<string, PartitionCursor>();

  constructor(
    private readonly log: InProcessEventLog,
    private readonly groupId: string,
  ) {}

  async run(options: ConsumeOptions): Promise<void> {
    if (this.state !== 'created') throw new Error(`the consumer of group ${this.groupId} was already run`);
    const maxBatchRecords = options.maxBatchRecords ?? this.log.options.defaultMaxBatchRecords ?? 500;
    if (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) {
      throw new Error(`maxBatchRecords must be a positive integer, got ${maxBatchRecords}`);
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const topics = subscribedTopics(options);
    this.log.assertOpen();
    const logs: TopicLog[] = [];
    for (const topic of topics) logs.push(await this.log.existingTopic(topic));
    const group = await this.log.groupOffsets(this.groupId);
    this.state = 'running';
    this.topics = topics;
    this.group = group;
    this.stopListening = logs.map((topic) => topic.onAppend(() => this.wakeup.wake()));
    this.log.join(this.groupId, topics, this);
    const settings = { maxBatchRecords, concurrency, manual: options.commit === 'manual' };
    this.loop = this.consume(logs, group, options, settings).catch((error: unknown) => {
      this.log.logger.error({ err: error, group: this.groupId, topics }, 'event log consumer failed');
    });
  }

  pause(topic: string, partitions: number[]): void {
    let paused = this.paused.get(topic);
    if (!paused) this.paused.set(topic, (paused = new Set()));
    for (const partition of partitions) paused.add(partition);
  }

  resume(topic: string, partitions: number[]): void {
    const paused = this.paused.get(topic);
    if (!paused) return;
    for (const partition of partitions) paused.delete(partition);
    this.wakeup.wake();
  }

  async commit(topic: string, partition: number, nextOffset: string): Promise<void> {
    const cursor = this.cursors.get(`${topic}\u0000${partition}`);
    if (this.state !== 'running' || !cursor || !this.group) return;
    if (!/^\d+$/.test(nextOffset) || !Number.isSafeInteger(Number(nextOffset))) {
      throw new Error(`commit offset "${nextOffset}" is not an offset`);
    }
    cursor.restartAt = Number(nextOffset);
    await this.group.commit(topic, partition, Number(nextOffset));
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.stopping = true;
    this.assignment.abort();
    this.wakeup.wake();
    await this.loop;
    for (const stopListening of this.stopListening) stopListening();
    if (wasRunning) this.log.leave(this.groupId, this.topics, this);
    this.log.forget(this);
    const group = await this.log.groupOffsets(this.groupId).catch(() => null);
    await group?.flush();
  }

  subscribedTopics(): string[] {
    return this.topics;
  }

  /** Called by the log when this consumer becomes the group's active member for all its topics. */
  activate(): void {
    this.active = true;
    this.wakeup.wake();
  }

  private async consume(
    logs: TopicLog[],
    group: GroupOffsetsStore,
    options: ConsumeOptions,
    settings: { maxBatchRecords: number; concurrency: number; manual: boolean },
  ): Promise<void> {
    while (!this.active) {
      if (this.stopping) return;
      await this.wakeup.wait(this.wakeup.version);
    }
    // The active member owns every partition of its topics: one assignment, for as long as it runs.
    try {
      options.onAssignment?.(
        logs.map((topic) => ({ topic: topic.name, partitions: topic.partitions.map((_, index) => index) })),
      );
    } catch (error) {
      this.log.logger.error(
        { err: error, group: this.groupId },
        'event log: the onAssignment callback failed',
      );
    }
    const cursors: PartitionCursor[] = [];
    for (const topic of logs) {
      const positions = await this.startPositions(topic, group, options);
      if (!positions) return;
      positions.forEach((position, partition) => {
        const cursor: PartitionCursor = {
          log: topic,
          topic: topic.name,
          partition,
          position,
          restartAt: position,
          failures: 0,
          retryAt: 0,
          failedLength: 0,
        };
        cursors.push(cursor);
        this.cursors.set(`${topic.name}\u0000${partition}`, cursor);
      });
    }

    let first = 0;
    while (!this.stopping) {
      const version = this.wakeup.version;
      const deliveries: Array<{ cursor: PartitionCursor; stored: StoredRecord[] }> = [];
      let nextRetry = Number.POSITIVE_INFINITY;
      for (let step = 0; step < cursors.length && !this.stopping; step += 1) {
        if (deliveries.length === settings.concurrency) break;
        const cursor = cursors[(first + step) % cursors.length];
        if (this.isPaused(cursor.topic, cursor.partition)) continue;
        if (cursor.retryAt > Date.now()) {
          nextRetry = Math.min(nextRetry, cursor.retryAt);
          continue;
        }
        let stored: StoredRecord[];
        try {
          // A retry delivers exactly the records of the failed batch, even if more arrived since.
          const limit = cursor.failedLength || settings.maxBatchRecords;
          stored = await cursor.log.partitions[cursor.partition].read(cursor.position, limit);
        } catch (error) {
          cursor.retryAt = Date.now() + this.backoff((cursor.failures += 1));
          this.log.logger.error(
            { err: error, group: this.groupId, topic: cursor.topic, partition: cursor.partition },
            'event log: reading a segment failed; retrying',
          );
          continue;
        }
        if (stored.length > 0) deliveries.push({ cursor, stored });
      }
      if (this.stopping) break;
      first = (first + 1) % cursors.length;
      if (deliveries.length === 0) {
        await this.wakeup.wait(version, nextRetry - Date.now());
        continue;
      }
      await Promise.all(
        deliveries.map(({ cursor, stored }) => this.deliver(cursor, stored, group, options, settings.manual)),
      );
    }
  }

  private async deliver(
    cursor: PartitionCursor,
    stored: StoredRecord[],
    group: GroupOffsetsStore,
    options: ConsumeOptions,
    manual: boolean,
  ): Promise<void> {
    const { topic, partition } = cursor;
    const records: LogRecord[] = stored.map((record) => ({
      topic,
      partition,
      offset: String(record.offset),
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
    }));
    const next = stored[stored.length - 1].offset + 1;
    const remaining = Math.max(0, cursor.log.partitions[partition].endOffset - next);
    const signal = this.assignment.signal;
    try {
      await options.eachBatch({ topic, partition, records, remaining, signal });
    } catch (error) {
      if (signal.aborted) return;
      const backoff = this.backoff((cursor.failures += 1));
      cursor.retryAt = Date.now() + backoff;
      if (manual) {
        // The application forgot what it kept since its last commit: start again from there.
        cursor.position = cursor.restartAt;
        cursor.failedLength = 0;
      } else {
        // Nothing is committed and the position stays: the same records come again after a pause.
        cursor.failedLength = records.length;
      }
      this.log.logger.warn(
        { err: error, group: this.groupId, topic, partition, offset: String(cursor.position), backoff },
        'event log handler failed; the batch will be redelivered',
      );
      return;
    }
    cursor.failures = 0;
    cursor.failedLength = 0;
    cursor.retryAt = 0;
    cursor.position = next;
    if (manual) return;
    try {
      await group.commit(topic, partition, next);
    } catch (error) {
      // The offset stays committed in memory and goes out with the next successful write.
      this.log.logger.error(
        { err: error, group: this.groupId, topic, partition },
        'event log: could not persist committed offsets',
      );
    }
  }

  /** Next offset per partition: the resolver's answer, else the committed offset, else 0. */
  private async startPositions(
    topic: TopicLog,
    group: GroupOffsetsStore,
    options: ConsumeOptions,
  ): Promise<number[] | null> {
    const partitions = topic.partitions.map((_, partition) => partition);
    const positions = partitions.map((partition) => group.committed(topic.name, partition) ?? 0);
    if (!options.startPositions) return positions;
    for (let attempt = 1; !this.stopping; attempt += 1) {
      try {
        const resolved = await options.startPositions(topic.name, partitions);
        const started = [...positions];
        for (const [partition, offset] of resolved) {
          if (partition < 0 || partition >= partitions.length) continue;
          if (!/^\d+$/.test(offset) || !Number.isSafeInteger(Number(offset))) {
            throw new Error(`start position "${offset}" of partition ${partition} is not an offset`);
          }
          started[partition] = Number(offset);
        }
        return started;
      } catch (error) {
        const backoff = this.backoff(attempt);
        this.log.logger.warn(
          { err: error, group: this.groupId, topic: topic.name, backoff },
          'event log: resolving start positions failed; retrying',
        );
        await this.wakeup.sleep(backoff);
      }
    }
    return null;
  }

  private backoff(attempt: number): number {
    return Math.min(FIRST_RETRY_BACKOFF_MS * 2 ** (attempt - 1), this.log.options.maxRetryBackoffMs ?? 2000);
  }

  private isPaused(topic: string, partition: number): boolean {
    return this.paused.get(topic)?.has(partition) ?? false;
  }
}
