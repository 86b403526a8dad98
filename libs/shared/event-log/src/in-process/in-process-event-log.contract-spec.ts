import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventLog, type EventLogConsumer, type LogRecord } from '@tollgate/ports';
import { pino } from 'pino';
import { createInProcessEventLog } from './in-process-event-log.adapter';
import { encodeRecord } from './segment.format';

// What the shared contract cannot see: the files themselves, crash recovery and the
// one-active-consumer-per-group rule of the in-process log.

jest.setTimeout(30_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

describe('InProcessEventLog files and limits', () => {
  let directory: string;
  const logs: EventLog[] = [];
  const consumers: EventLogConsumer[] = [];

  let logLines: string[];
  const open = (options: { fsync?: boolean } = {}): EventLog => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) });
    const log = createInProcessEventLog({ directory, logger, ...options });
    logs.push(log);
    return log;
  };
  const collect = async (
    log: EventLog,
    group: string,
    topic: string,
    into: LogRecord[],
  ): Promise<EventLogConsumer> => {
    const consumer = await log.consumer(group);
    consumers.push(consumer);
    await consumer.run({ topic, eachBatch: async (batch) => void into.push(...batch.records) });
    return consumer;
  };

  beforeEach(async () => {
    directory = await fs.mkdtemp(join(tmpdir(), 'tollgate-event-log-files-'));
    logLines = [];
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await Promise.all(logs.splice(0).map((log) => log.close()));
    await fs.rm(directory, { recursive: true, force: true });
  });

  it('lays out a metadata file, one segment per partition and one offsets file per group', async () => {
    const log = open();
    await log.ensureTopic('orders', 2);
    const producer = await log.producer();
    await producer.send('orders', [{ key: 'a', value: 'one', headers: { h: 'v' } }]);
    const seen: LogRecord[] = [];
    await collect(log, 'group/with:odd chars', 'orders', seen);
    await eventually(() => seen.length === 1, 'the record');
    await log.close();

    const topicDirectory = join(directory, 'topics', 'orders');
    expect((await fs.readdir(topicDirectory)).sort()).toEqual(['0.log', '1.log', 'meta.json']);
    expect(JSON.parse(await fs.readFile(join(topicDirectory, 'meta.json'), 'utf8'))).toEqual({
      topic: 'orders',
      partitions: 2,
    });
    const segment = await fs.readFile(join(topicDirectory, `${seen[0].partition}.log`), 'utf8');
    expect(segment).toBe(
      encodeRecord({ offset: 0, timestamp: seen[0].timestamp, key: 'a', value: 'one', headers: { h: 'v' } }),
    );
    // Atomic replacement leaves no temporary files behind.
    expect(await fs.readdir(join(directory, 'groups'))).toEqual([
      `${encodeURIComponent('group/with:odd chars')}.json`,
    ]);
    const offsets = JSON.parse(
      await fs.readFile(
        join(directory, 'groups', `${encodeURIComponent('group/with:odd chars')}.json`),
        'utf8',
      ),
    );
    expect(offsets).toEqual({
      group: 'group/with:odd chars',
      offsets: { orders: { [seen[0].partition]: 1 } },
    });
  });

  it('keeps records and committed offsets across a restart and continues the offsets', async () => {
    const first = open();
    await first.ensureTopic('events', 1);
    const producer = await first.producer();
    await producer.send('events', [
      { key: 'k', value: 'a' },
      { key: 'k', value: 'b' },
    ]);
    const seenBefore: LogRecord[] = [];
    await collect(first, 'metering', 'events', seenBefore);
    await eventually(() => seenBefore.length === 2, 'the first two records');
    await first.close();

    const second = open();
    const producerAfter = await second.producer();
    await producerAfter.send('events', [{ key: 'k', value: 'c' }]);
    const seenAfter: LogRecord[] = [];
    await collect(second, 'metering', 'events', seenAfter);
    await eventually(() => seenAfter.length === 1, 'the record sent after the restart');
    await sleep(100);
    expect(seenAfter.map((record) => [record.offset, record.value])).toEqual([['2', 'c']]);

    const replay: LogRecord[] = [];
    await collect(second, 'another-group', 'events', replay);
    await eventually(() => replay.length === 3, 'the whole log for a new group');
    expect(replay.map((record) => record.value)).toEqual(['a', 'b', 'c']);
  });

  it('cuts a torn last record on open and appends after the last whole one', async () => {
    const first = open();
    await first.ensureTopic('torn', 1);
    const producer = await first.producer();
    await producer.send('torn', [
      { key: 'k', value: 'kept-0' },
      { key: 'k', value: 'kept-1' },
    ]);
    await first.close();

    // A crash in the middle of the next write: part of a line, no newline.
    const segmentPath = join(directory, 'topics', 'torn', '0.log');
    const intact = await fs.readFile(segmentPath, 'utf8');
    const partial = encodeRecord({ offset: 2, timestamp: 1, key: 'k', value: 'lost', headers: {} }).slice(
      0,
      25,
    );
    await fs.appendFile(segmentPath, partial);

    const second = open();
    const producerAfter = await second.producer();
    await producerAfter.send('torn', [{ key: 'k', value: 'new-2' }]);
    const seen: LogRecord[] = [];
    await collect(second, 'reader', 'torn', seen);
    await eventually(() => seen.length === 3, 'all whole records');
    expect(seen.map((record) => [record.offset, record.value])).toEqual([
      ['0', 'kept-0'],
      ['1', 'kept-1'],
      ['2', 'new-2'],
    ]);
    const content = await fs.readFile(segmentPath, 'utf8');
    expect(content.startsWith(intact)).toBe(true);
    expect(content).not.toContain('lost');
    expect(logLines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ topic: 'torn', partition: 0, discardedBytes: partial.length }),
    ]);
    expect(content.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('hands the partitions of a group to the next consumer only when the active one stops', async () => {
    const log = open();
    await log.ensureTopic('shared', 2);
    const producer = await log.producer();
    await producer.send('shared', [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    const first: LogRecord[] = [];
    const second: LogRecord[] = [];
    const active = await collect(log, 'workers', 'shared', first);
    await collect(log, 'workers', 'shared', second);
    await eventually(() => first.length === 2, 'the active consumer');

    await producer.send('shared', [{ key: 'a', value: '3' }]);
    await eventually(() => first.length === 3, 'the active consumer again');
    await sleep(100);
    expect(second).toEqual([]);

    await active.stop();
    await producer.send('shared', [{ key: 'b', value: '4' }]);
    await eventually(() => second.length === 1, 'the stand-by consumer');
    expect(second.map((record) => record.value)).toEqual(['4']);
  });

  it('refuses a second log on the same directory in this process, and bad names', async () => {
    const log = open();
    expect(() => createInProcessEventLog({ directory })).toThrow(/already open/);
    await expect(log.ensureTopic('../escape', 1)).rejects.toThrow(/invalid topic name/);
    await expect(log.ensureTopic('fine', 0)).rejects.toThrow(/invalid partition count/);
    const producer = await log.producer();
    await expect(producer.send('missing', [{ key: 'k', value: 'v' }])).rejects.toThrow(/does not exist/);
    await log.close();
    // Once closed, the directory can be opened again.
    open();
  });

  it('gives dense offsets to 5 000 records sent concurrently one by one', async () => {
    const log = open();
    await log.ensureTopic('burst', 3);
    const producer = await log.producer();
    const keys = ['a', 'b', 'c', 'd', 'e'];
    await Promise.all(
      Array.from({ length: 5000 }, (_, i) =>
        producer.send('burst', [{ key: keys[i % 5], value: String(i) }]),
      ),
    );
    const seen: LogRecord[] = [];
    await collect(log, 'reader', 'burst', seen);
    await eventually(() => seen.length === 5000, 'every record');
    for (let partition = 0; partition < 3; partition += 1) {
      const offsets = seen
        .filter((record) => record.partition === partition)
        .map((record) => Number(record.offset));
      expect(offsets).toEqual(offsets.map((_, index) => index));
    }
    for (const key of keys) {
      const values = seen.filter((record) => record.key === key).map((record) => Number(record.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });
});
