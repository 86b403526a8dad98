import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConsumeOptions,
  type EventLog,
  type EventLogConsumer,
  type LogRecord,
  type OutgoingMessage,
  type RecordBatch,
} from '@tollgate/ports';
import { pino } from 'pino';
import { createInProcessEventLog } from './in-process/in-process-event-log.adapter';
import { createKafkaEventLog } from './kafka/kafka-event-log.adapter';
import { partitionForKey } from './key.partitioner';

/** Storage for one test: every open() is a new EventLog (a new process) over the same data. */
interface EventLogFixture {
  open(): EventLog;
  /** An adapter whose storage cannot be reached. */
  unreachable(): EventLog;
  dispose(): Promise<void>;
}

interface EventLogHarness {
  /** Fails (never skips) when the backing service is missing. */
  checkAvailable(): Promise<void>;
  fixture(): Promise<EventLogFixture>;
}

// The contract project's testTimeout in jest.config.cjs does not reach the tests (Jest applies the
// global one), and Kafka group joins on a busy machine can pass the 5 s default.
jest.setTimeout(30_000);

const kafkaBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
// For adapters that are expected to fail: their connection errors are not news.
const silentLogger = pino({ level: 'silent' });
// Tests provoke handler failures on purpose (logged at WARN); errors are still worth seeing.
const testLogger = pino({ level: 'error' });

const inProcessHarness: EventLogHarness = {
  checkAvailable: async () => undefined,
  fixture: async () => {
    const directory = await fs.mkdtemp(join(tmpdir(), 'tollgate-event-log-'));
    await fs.writeFile(join(directory, 'blocked'), '');
    return {
      open: () => createInProcessEventLog({ directory, maxRetryBackoffMs: 200, logger: testLogger }),
      // A regular file where a parent directory should be: nothing can be created under it.
      unreachable: () => createInProcessEventLog({ directory: join(directory, 'blocked', 'event-log') }),
      dispose: () => fs.rm(directory, { recursive: true, force: true }),
    };
  },
};

const kafkaHarness: EventLogHarness = {
  checkAvailable: async () => {
    const log = createKafkaEventLog({
      brokers: kafkaBrokers,
      clientId: 'tollgate-contract-check',
      logger: silentLogger,
    });
    try {
      await log.ping();
    } catch (error) {
      throw new Error(
        `Kafka is not reachable at ${kafkaBrokers.join(',')} (${(error as Error).message}). ` +
          'Start it with `npm run services:up` or point KAFKA_BROKERS at a broker.',
      );
    } finally {
      await log.close();
    }
  },
  fixture: async () => ({
    open: () =>
      createKafkaEventLog({
        brokers: kafkaBrokers,
        clientId: `tollgate-contract-${randomUUID().slice(0, 8)}`,
        // Small group timeouts so joins and hand-overs take well under a second (broker minimum 6 s).
        consumer: {
          sessionTimeout: 6000,
          heartbeatInterval: 500,
          rebalanceTimeout: 3000,
          maxWaitTimeInMs: 200,
        },
        maxRetryBackoffMs: 200,
        logger: testLogger,
      }),
    unreachable: () =>
      createKafkaEventLog({
        brokers: ['127.0.0.1:1'],
        clientId: 'tollgate-contract-unreachable',
        pingTimeoutMs: 3000,
        logger: silentLogger,
      }),
    dispose: async () => undefined,
  }),
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Keys that land on each partition, so a test can aim at a partition. */
function keysByPartition(partitions: number, perPartition: number): string[][] {
  const keys: string[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; keys.some((list) => list.length < perPartition); i += 1) {
    const key = `cons_${i}`;
    const list = keys[partitionForKey(key, partitions)];
    if (list.length < perPartition) list.push(key);
  }
  return keys;
}

/** Records what a consumer receives. */
class Collector {
  readonly batches: RecordBatch[] = [];

  get records(): LogRecord[] {
    return this.batches.flatMap((batch) => batch.records);
  }

  handler = async (batch: RecordBatch): Promise<void> => {
    this.batches.push(batch);
  };

  of(partition: number): LogRecord[] {
    return this.records.filter((record) => record.partition === partition);
  }
}

function describeEventLogContract(name: string, harness: EventLogHarness): void {
  describe(`EventLog contract (${name})`, () => {
    let fixture: EventLogFixture;
    let topic: string;
    let group: string;
    const openLogs: EventLog[] = [];
    const consumers: EventLogConsumer[] = [];

    const open = (): EventLog => {
      const log = fixture.open();
      openLogs.push(log);
      return log;
    };
    const consume = async (
      log: EventLog,
      groupId: string,
      options: Partial<ConsumeOptions> & Pick<ConsumeOptions, 'eachBatch'>,
    ): Promise<EventLogConsumer> => {
      const consumer = await log.consumer(groupId);
      consumers.push(consumer);
      await consumer.run({ topic, ...options });
      return consumer;
    };
    const produce = async (log: EventLog, messages: OutgoingMessage[]): Promise<void> => {
      const producer = await log.producer();
      try {
        await producer.send(topic, messages);
      } finally {
        await producer.close();
      }
    };

    beforeAll(async () => {
      await harness.checkAvailable();
    });

    beforeEach(async () => {
      fixture = await harness.fixture();
      const suffix = randomUUID().slice(0, 8);
      topic = `contract.${name}.${suffix}`;
      group = `contract-${suffix}`;
    });

    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
      await Promise.all(openLogs.splice(0).map((log) => log.close()));
      await fixture.dispose();
    });

    it('ensureTopic is idempotent and keeps what the topic holds', async () => {
      const log = open();
      await log.ensureTopic(topic, 3);
      await produce(log, [{ key: 'a', value: 'first' }]);
      await Promise.all([log.ensureTopic(topic, 3), log.ensureTopic(topic, 3)]);
      await produce(log, [{ key: 'a', value: 'second' }]);

      const collector = new Collector();
      await consume(log, group, { eachBatch: collector.handler });
      await eventually(() => collector.records.length === 2, 'both records');
      expect(collector.records.map((record) => record.value)).toEqual(['first', 'second']);
      expect(collector.records.map((record) => record.offset)).toEqual(['0', '1']);
    });

    it('delivers every record once, in order per key, with partition, offset, key, value and headers', async () => {
      const log = open();
      const partitions = 3;
      await log.ensureTopic(topic, partitions);
      const keys = ['cons_a', 'cons_b', 'cons_c', 'cons_d', 'cons_e', 'cons_f', 'cons_g'];
      const messages: OutgoingMessage[] = Array.from({ length: 210 }, (_, i) => ({
        key: keys[i % keys.length],
        value: JSON.stringify({ key: keys[i % keys.length], seq: i }),
        headers: { 'content-type': 'application/json', seq: String(i) },
      }));
      const before = Date.now();
      const producer = await log.producer();
      // Several sends of different sizes, some concurrent: per-key order must still hold.
      await producer.send(topic, messages.slice(0, 1));
      await producer.send(topic, messages.slice(1, 70));
      await producer.send(topic, messages.slice(70, 140));
      await producer.send(topic, messages.slice(140));
      await producer.close();
      const after = Date.now();

      const collector = new Collector();
      await consume(log, group, { eachBatch: collector.handler, maxBatchRecords: 25 });
      await eventually(() => collector.records.length >= messages.length, 'all records');
      await sleep(300);

      const records = collector.records;
      expect(records).toHaveLength(messages.length);
      expect(new Set(records.map((record) => JSON.parse(record.value).seq)).size).toBe(messages.length);
      for (const batch of collector.batches) {
        expect(batch.topic).toBe(topic);
        expect(batch.records.length).toBeGreaterThan(0);
        expect(batch.records.length).toBeLessThanOrEqual(25);
        for (const record of batch.records) expect(record.partition).toBe(batch.partition);
      }
      for (const record of records) {
        const { key, seq } = JSON.parse(record.value) as { key: string; seq: number };
        expect(record.topic).toBe(topic);
        expect(record.key).toBe(key);
        expect(record.partition).toBe(partitionForKey(key, partitions));
        expect(record.headers).toEqual({ 'content-type': 'application/json', seq: String(seq) });
        expect(record.timestamp).toBeGreaterThanOrEqual(before - 1000);
        expect(record.timestamp).toBeLessThanOrEqual(after + 1000);
      }
      for (let partition = 0; partition < partitions; partition += 1) {
        const offsets = collector.of(partition).map((record) => Number(record.offset));
        expect(offsets).toEqual(offsets.map((_, index) => index));
      }
      for (const key of keys) {
        const sequence = records
          .filter((record) => record.key === key)
          .map((record) => JSON.parse(record.value).seq);
        expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
        expect(sequence).toHaveLength(messages.length / keys.length);
      }
    });

    it('resumes after the last committed batch when a new consumer of the group starts after a restart', async () => {
      const first = open();
      await first.ensureTopic(topic, 2);
      const messages = Array.from({ length: 120 }, (_, i) => ({ key: `k${i % 5}`, value: String(i) }));
      await produce(first, messages);

      const before = new Collector();
      const consumer = await consume(first, group, {
        maxBatchRecords: 5,
        eachBatch: async (batch) => {
          await before.handler(batch);
          await sleep(5);
        },
      });
      await eventually(() => before.records.length >= 30, 'the first 30 records');
      await consumer.stop();
      await first.close();

      const second = open();
      await produce(second, [{ key: 'k0', value: 'after-restart' }]);
      const after = new Collector();
      await consume(second, group, { eachBatch: after.handler, maxBatchRecords: 5 });
      await eventually(() => before.records.length + after.records.length >= messages.length + 1, 'the rest');
      await sleep(300);

      const seen = [...before.records, ...after.records].map(
        (record) => `${record.partition}:${record.offset}`,
      );
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toHaveLength(messages.length + 1);
      expect(after.records.map((record) => record.value)).toContain('after-restart');
      for (const partition of [0, 1]) {
        const lastBefore = before.of(partition).at(-1);
        const firstAfter = after.of(partition)[0];
        if (firstAfter)
          expect(Number(firstAfter.offset)).toBe(lastBefore ? Number(lastBefore.offset) + 1 : 0);
      }
    });

    it('redelivers the very batch whose handler threw, and skips nothing', async () => {
      const log = open();
      await log.ensureTopic(topic, 2);
      const messages = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 4}`, value: String(i) }));
      await produce(log, messages);
      const producer = await log.producer();

      const attempts: RecordBatch[] = [];
      const handled = new Collector();
      let failed = false;
      await consume(log, group, {
        // Larger than a partition's share, so the failed batch is all there was when it was fetched.
        maxBatchRecords: 100,
        eachBatch: async (batch) => {
          attempts.push(batch);
          if (!failed) {
            failed = true;
            // Records that arrive before the retry must not change the retried batch.
            const key = batch.records[0].key ?? '';
            await producer.send(
              topic,
              Array.from({ length: 5 }, (_, i) => ({ key, value: `late-${i}` })),
            );
            throw new Error('handler failure (expected by the test)');
          }
          await handled.handler(batch);
        },
      });
      await eventually(() => handled.records.length >= messages.length + 5, 'all records handled');
      await sleep(300);
      await producer.close();

      const failedBatch = attempts[0];
      const retried = attempts
        .slice(1)
        .find(
          (batch) =>
            batch.partition === failedBatch.partition &&
            batch.records[0].offset === failedBatch.records[0].offset,
        );
      const offsetsOf = (batch: RecordBatch | undefined): string[] | undefined =>
        batch?.records.map((record) => record.offset);
      expect(offsetsOf(retried)).toEqual(offsetsOf(failedBatch));
      expect(retried?.records.map((record) => record.value)).toEqual(
        failedBatch.records.map((record) => record.value),
      );
      expect(handled.records).toHaveLength(messages.length + 5);
      for (const partition of [0, 1]) {
        const offsets = handled.of(partition).map((record) => Number(record.offset));
        expect(offsets).toEqual(offsets.map((_, index) => index));
      }
    });

    it('starts a new group at the offsets given by startPositions, before delivering anything', async () => {
      const log = open();
      await log.ensureTopic(topic, 2);
      const [keys0, keys1] = keysByPartition(2, 1);
      await produce(log, [
        ...Array.from({ length: 10 }, (_, i) => ({ key: keys0[0], value: `p0-${i}` })),
        ...Array.from({ length: 4 }, (_, i) => ({ key: keys1[0], value: `p1-${i}` })),
      ]);

      const asked: Array<[string, number[]]> = [];
      const collector = new Collector();
      await consume(log, group, {
        eachBatch: collector.handler,
        // Slow on purpose: anything fetched meanwhile must be discarded, not delivered.
        startPositions: async (topicName, partitions) => {
          asked.push([topicName, [...partitions].sort((a, b) => a - b)]);
          await sleep(500);
          return new Map([[0, '6']]);
        },
      });
      await eventually(() => collector.records.length >= 8, 'records from the start positions');
      await sleep(300);

      expect(asked).toEqual([[topic, [0, 1]]]);
      expect(collector.of(0).map((record) => record.value)).toEqual(['p0-6', 'p0-7', 'p0-8', 'p0-9']);
      expect(collector.of(1).map((record) => record.value)).toEqual(['p1-0', 'p1-1', 'p1-2', 'p1-3']);
    });

    it('gives each of two groups every record', async () => {
      const log = open();
      await log.ensureTopic(topic, 3);
      const messages = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 6}`, value: String(i) }));
      await produce(log, messages);

      const one = new Collector();
      const two = new Collector();
      await consume(log, `${group}-one`, { eachBatch: one.handler });
      await consume(log, `${group}-two`, { eachBatch: two.handler });
      await eventually(() => one.records.length >= 60 && two.records.length >= 60, 'both groups');
      await sleep(300);

      const values = (collector: Collector): string[] =>
        collector.records.map((record) => record.value).sort((a, b) => Number(a) - Number(b));
      expect(values(one)).toEqual(messages.map((message) => message.value));
      expect(values(two)).toEqual(messages.map((message) => message.value));
    });

    it('stops delivering a paused partition and restarts on resume', async () => {
      const log = open();
      await log.ensureTopic(topic, 2);
      const [keys0, keys1] = keysByPartition(2, 1);
      const producer = await log.producer();
      await producer.send(topic, [
        { key: keys0[0], value: 'p0-a' },
        { key: keys1[0], value: 'p1-a' },
      ]);
      const collector = new Collector();
      const consumer = await consume(log, group, { eachBatch: collector.handler });
      await eventually(() => collector.records.length >= 2, 'the first record of each partition');

      consumer.pause(topic, [0]);
      await producer.send(topic, [
        { key: keys0[0], value: 'p0-b' },
        { key: keys1[0], value: 'p1-b' },
      ]);
      await eventually(() => collector.of(1).length >= 2, 'the unpaused partition');
      await sleep(700);
      expect(collector.of(0).map((record) => record.value)).toEqual(['p0-a']);

      consumer.resume(topic, [0]);
      await eventually(() => collector.of(0).length >= 2, 'the resumed partition');
      await producer.close();
      expect(collector.of(0).map((record) => record.value)).toEqual(['p0-a', 'p0-b']);
      expect(collector.of(1).map((record) => record.value)).toEqual(['p1-a', 'p1-b']);
    });

    it('reads several topics with one consumer and reports the assignment first', async () => {
      const log = open();
      const second = `${topic}.second`;
      await log.ensureTopic(topic, 2);
      await log.ensureTopic(second, 1);
      const producer = await log.producer();
      await producer.send(topic, [
        { key: 'a', value: 'first-a' },
        { key: 'b', value: 'first-b' },
      ]);
      await producer.send(second, [{ key: 'a', value: 'second-a' }]);
      await producer.close();

      const events: string[] = [];
      const collector = new Collector();
      const consumer = await log.consumer(group);
      consumers.push(consumer);
      await consumer.run({
        topics: [topic, second],
        onAssignment: (assignment) => {
          events.push(JSON.stringify([...assignment].sort((x, y) => x.topic.localeCompare(y.topic))));
        },
        eachBatch: async (batch) => {
          events.push(`batch ${batch.topic}`);
          await collector.handler(batch);
        },
      });
      await eventually(() => collector.records.length >= 3, 'the records of both topics');
      await sleep(300);

      expect(JSON.parse(events[0])).toEqual([
        { topic, partitions: [0, 1] },
        { topic: second, partitions: [0] },
      ]);
      expect(collector.records.map((record) => `${record.topic}|${record.value}`).sort()).toEqual(
        [`${second}|second-a`, `${topic}|first-a`, `${topic}|first-b`].sort(),
      );
    });

    it('gives two consumers of one group that read different topics every record of their own topic', async () => {
      const log = open();
      const other = `${topic}.other`;
      await log.ensureTopic(topic, 3);
      await log.ensureTopic(other, 3);
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 6}`, value: String(i) }));
      const producer = await log.producer();
      await producer.send(topic, messages);
      await producer.send(other, messages);
      await producer.close();

      const mine = new Collector();
      const theirs = new Collector();
      await consume(log, group, { eachBatch: mine.handler });
      const otherConsumer = await log.consumer(group);
      consumers.push(otherConsumer);
      await otherConsumer.run({ topic: other, eachBatch: theirs.handler });
      await eventually(
        () => mine.records.length >= 30 && theirs.records.length >= 30,
        'each consumer reading its own topic',
      );
      await sleep(300);
      const values = (collector: Collector, name: string): string[] =>
        collector.records
          .filter((record) => record.topic === name)
          .map((record) => record.value)
          .sort((a, b) => Number(a) - Number(b));
      expect(values(mine, topic)).toEqual(messages.map((message) => message.value));
      expect(values(theirs, other)).toEqual(messages.map((message) => message.value));
      expect(mine.records.every((record) => record.topic === topic)).toBe(true);
      expect(theirs.records.every((record) => record.topic === other)).toBe(true);
    });

    it('tells a batch how many records of its partition were already waiting after it', async () => {
      const log = open();
      await log.ensureTopic(topic, 1);
      await produce(
        log,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      const collector = new Collector();
      await consume(log, group, { eachBatch: collector.handler, maxBatchRecords: 4 });
      await eventually(() => collector.records.length >= 10, 'all records');
      const lastOffsets = collector.batches.map((batch) => Number(batch.records.at(-1)?.offset));
      const remaining = collector.batches.map((batch) => batch.remaining);
      expect(remaining).toEqual(lastOffsets.map((last) => 10 - (last + 1)));
      expect(remaining.at(-1)).toBe(0);
    });

    it('in manual mode commits only what commit() is given, and a restart resumes there', async () => {
      const first = open();
      await first.ensureTopic(topic, 1);
      await produce(
        first,
        Array.from({ length: 12 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      const seen = new Collector();
      const consumer = await first.consumer(group);
      consumers.push(consumer);
      await consumer.run({
        topic,
        commit: 'manual',
        maxBatchRecords: 3,
        eachBatch: async (batch) => {
          await seen.handler(batch);
          // Only the first two batches are "done".
          const last = Number(batch.records.at(-1)?.offset);
          if (last < 6) await consumer.commit(batch.topic, batch.partition, String(last + 1));
        },
      });
      await eventually(() => seen.records.length >= 12, 'every record handed over once');
      await sleep(300);
      expect(seen.records).toHaveLength(12);
      await consumer.stop();
      await first.close();

      const second = open();
      const after = new Collector();
      await consume(second, group, { eachBatch: after.handler });
      await eventually(() => after.records.length >= 6, 'the records after the last commit');
      await sleep(300);
      expect(after.records.map((record) => record.value)).toEqual(['6', '7', '8', '9', '10', '11']);
    });

    it('in manual mode restarts a failed partition from its last commit', async () => {
      const log = open();
      await log.ensureTopic(topic, 1);
      await produce(
        log,
        Array.from({ length: 9 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      const attempts: string[][] = [];
      let failed = false;
      const consumer = await log.consumer(group);
      consumers.push(consumer);
      await consumer.run({
        topic,
        commit: 'manual',
        maxBatchRecords: 3,
        eachBatch: async (batch) => {
          const values = batch.records.map((record) => record.value);
          attempts.push(values);
          const last = Number(batch.records.at(-1)?.offset);
          if (last === 2) await consumer.commit(batch.topic, batch.partition, '3');
          if (last === 8 && !failed) {
            failed = true;
            throw new Error('handler failure (expected by the test)');
          }
        },
      });
      await eventually(
        () => failed && attempts.flat().filter((value) => value === '8').length >= 2,
        'the retry',
      );
      await sleep(300);
      // Records 3..5 were handed over but not committed: they come again after the failure.
      const afterFailure = attempts.slice(attempts.findIndex((values) => values.includes('8')) + 1).flat();
      expect(afterFailure).toEqual(['3', '4', '5', '6', '7', '8']);
    });

    it('runs handlers of different partitions at once up to the concurrency, and aborts their signal on stop', async () => {
      const log = open();
      await log.ensureTopic(topic, 2);
      const [keys0, keys1] = keysByPartition(2, 1);
      await produce(log, [
        { key: keys0[0], value: 'p0' },
        { key: keys1[0], value: 'p1' },
      ]);
      let running = 0;
      let mostAtOnce = 0;
      const signals: AbortSignal[] = [];
      const consumer = await log.consumer(group);
      consumers.push(consumer);
      await consumer.run({
        topic,
        concurrency: 2,
        commit: 'manual',
        eachBatch: async (batch) => {
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          signals.push(batch.signal);
          // Holds the batch until the consumer stops.
          await new Promise<void>((resolve) => {
            if (batch.signal.aborted) resolve();
            batch.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          running -= 1;
        },
      });
      await eventually(() => signals.length >= 2, 'both partitions in a handler');
      expect(mostAtOnce).toBe(2);
      expect(signals.every((signal) => !signal.aborted)).toBe(true);
      await consumer.stop();
      expect(signals.every((signal) => signal.aborted)).toBe(true);
      expect(running).toBe(0);
    });

    it('ping resolves while open and rejects once closed', async () => {
      const log = open();
      await expect(log.ping()).resolves.toBeUndefined();
      await log.close();
      await expect(log.ping()).rejects.toThrow();
    });

    it('ping rejects within a few seconds when the log cannot be reached', async () => {
      const log = fixture.unreachable();
      openLogs.push(log);
      const started = Date.now();
      await expect(log.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('fails producer and consumer creation, rather than hanging, when the log cannot be reached', async () => {
      const log = fixture.unreachable();
      openLogs.push(log);
      const started = Date.now();
      const [producer, consumer] = await Promise.allSettled([log.producer(), log.consumer(group)]);
      expect(producer.status).toBe('rejected');
      expect(consumer.status).toBe('rejected');
      // Bounded retries (about 5 s for Kafka), not kafkajs's default of about a minute.
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  });
}

describeEventLogContract('in-process', inProcessHarness);
describeEventLogContract('kafka', kafkaHarness);
