import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnalyticsStore } from '@tollgate/analytics';
import { uuidv7 } from '@tollgate/ids';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { type AppProcess, eventually, freePort, startApp } from './support/app-process';
import { seededRandom } from './support/seeded-random';
import { kafkaBrokers } from './support/services';

jest.setTimeout(240_000);

const ACCESS_EVENTS = 100_000;
const INGEST_EVENTS = 2_000;
const CONSUMERS = 50;
const KILLS = 6;
const PARTITIONS = 6;

/**
 * Exactly-once under crashes: the real metering app (its own process, Kafka → chDB) is SIGKILLed at
 * random moments while it consumes and restarted each time, while events keep arriving. Afterwards
 * chDB is opened on its data directory (one process per directory, so only once the app is gone)
 * and every event must be there once: count = distinct ids = produced, per consumer as the ledger
 * says, and each partition's offsets without a gap. Set METERING_CRASH_SEED to replay a run.
 */
describe('metering under SIGKILL (Kafka, chDB)', () => {
  const suffix = randomBytes(4).toString('hex');
  const topic = `tollgate.access-log.crash-${suffix}`;
  const ingestTopic = `tollgate.ingest.crash-${suffix}`;
  const group = `tollgate-metering-crash-${suffix}`;
  const seed = Number(process.env['METERING_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const random = seededRandom(seed);
  const kafka = new Kafka({
    brokers: kafkaBrokers.split(','),
    clientId: `crash-${suffix}`,
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin;
  let producer: Producer;
  let dataDirectory: string;
  const processes: AppProcess[] = [];

  beforeAll(async () => {
    process.stdout.write(`metering crash test: seed ${seed} (METERING_CRASH_SEED=${seed} replays it)\n`);
    dataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-metering-crash-'));
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: PARTITIONS },
        { topic: ingestTopic, numPartitions: PARTITIONS },
      ],
      waitForLeaders: true,
    });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(processes.map((app) => app.stop('SIGKILL')));
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic, ingestTopic] }).catch(() => undefined);
    await admin?.disconnect();
    if (dataDirectory) await rm(dataDirectory, { recursive: true, force: true });
  });

  it('stores every event exactly once although the app is killed while it consumes', async () => {
    const ledger = new Map<string, number>();
    const ingestLedger = new Map<string, number>();
    const event = (index: number, consumerId: string, source?: string) =>
      JSON.stringify({
        id: uuidv7(),
        ts: Date.now(),
        consumerId,
        planId: 'plan_crash',
        apiId: 'api_crash',
        endpoint: 'GET /v1/things/:id',
        method: 'GET',
        status: 200,
        requestBytes: 100 + (index % 50),
        responseBytes: 1000 + (index % 500),
        latencyMs: 2.5,
        upstreamLatencyMs: 2,
        cached: false,
        counted: true,
        usage: index % 4 === 0 ? { sms: 1 } : {},
        ...(source ? { source } : {}),
      });

    // A third of the events are there before the first start, the rest arrive during the crashes.
    const produce = async (from: number, to: number): Promise<void> => {
      const messages = [];
      for (let index = from; index < to; index += 1) {
        const consumerId = `cons_${index % CONSUMERS}`;
        ledger.set(consumerId, (ledger.get(consumerId) ?? 0) + 1);
        messages.push({ key: consumerId, value: event(index, consumerId) });
      }
      await producer.send({ topic, acks: -1, messages });
    };
    const produceIngest = async (from: number, to: number): Promise<void> => {
      const messages = [];
      for (let index = from; index < to; index += 1) {
        const consumerId = `cons_${index % CONSUMERS}`;
        const source = index % 2 === 0 ? 'crm-import' : undefined;
        const key = `${consumerId}|${source ?? 'ingest'}`;
        ingestLedger.set(key, (ingestLedger.get(key) ?? 0) + 1);
        messages.push({ key: consumerId, value: event(index, consumerId, source) });
      }
      await producer.send({ topic: ingestTopic, acks: -1, messages });
    };
    // A third of the events are there before the first start, most of the rest arrive at a steady
    // pace while the app is killed and restarted, and the last ones only once the last instance runs.
    const upfront = Math.floor(ACCESS_EVENTS / 3);
    const final = 5000;
    for (let from = 0; from < upfront; from += 5000) await produce(from, Math.min(upfront, from + 5000));
    let lastStarted = false;
    const background = (async () => {
      const perChunk = 1000;
      const chunks = Math.ceil((ACCESS_EVENTS - final - upfront) / perChunk);
      const ingestPerChunk = Math.ceil(INGEST_EVENTS / chunks);
      for (let chunk = 0; chunk < chunks; chunk += 1) {
        const from = upfront + chunk * perChunk;
        await produce(from, Math.min(ACCESS_EVENTS - final, from + perChunk));
        const ingestFrom = chunk * ingestPerChunk;
        if (ingestFrom < INGEST_EVENTS) {
          await produceIngest(ingestFrom, Math.min(INGEST_EVENTS, ingestFrom + ingestPerChunk));
        }
        // Paced over about 40 s, unless the last instance already runs.
        if (!lastStarted) await new Promise((resolve) => setTimeout(resolve, 600));
      }
    })();

    const opsPort = await freePort();
    const start = (): AppProcess => {
      const app = startApp('apps/metering/src/main.ts', {
        KAFKA_BROKERS: kafkaBrokers,
        ACCESS_LOG_TOPIC: topic,
        INGEST_TOPIC: ingestTopic,
        ACCESS_LOG_PARTITIONS: String(PARTITIONS),
        METERING_GROUP_ID: group,
        // The broker's minimum: a killed instance holds its partitions this long.
        METERING_SESSION_TIMEOUT_MS: '6000',
        METERING_BATCH_ROWS: '5000',
        METERING_FLUSH_MS: '500',
        TOLLGATE_DATA_DIR: dataDirectory,
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'info',
      });
      processes.push(app);
      return app;
    };
    const insertedBy = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      const line = text
        .split('\n')
        .find((candidate) => candidate.startsWith('tollgate_metering_rows_inserted_total'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };

    const insertedBeforeKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      const app = start();
      await app.waitForOutput(/metering: partitions assigned/, 120_000);
      // Two kills in three land mid-consumption: after the process's first insert, at a random
      // moment within the next second. The others land at a random moment after the assignment,
      // which may be before any insert.
      let delay: number;
      if (kill % 3 !== 2) {
        const assignedAt = Date.now();
        await eventually(
          () => insertedBy().catch(() => 0),
          (rows) => rows > 0,
          15_000,
          `kill ${kill + 1}: a first insert`,
        ).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 1000)));
        delay = Date.now() - assignedAt;
      } else {
        delay = 500 + Math.floor(random() * 3500);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      const inserted = await insertedBy().catch(() => -1);
      app.child.kill('SIGKILL');
      await app.exited;
      insertedBeforeKill.push(inserted);
      process.stdout.write(
        `metering crash test: kill ${kill + 1} ${delay} ms after assignment; that process had inserted ${inserted} rows\n`,
      );
    }

    const last = start();
    // "consuming" is logged once its metrics endpoint listens.
    await last.waitForOutput(/metering is consuming/, 120_000);
    lastStarted = true;
    await background;
    await produce(ACCESS_EVENTS - final, ACCESS_EVENTS);
    // Done when the group's committed offsets (written after each insert) reach the end of every partition.
    const ends = new Map<string, string>();
    for (const name of [topic, ingestTopic]) {
      for (const { partition, high } of await admin.fetchTopicOffsets(name))
        ends.set(`${name}/${partition}`, high);
    }
    await eventually(
      async () => {
        const committed = await admin.fetchOffsets({ groupId: group, topics: [topic, ingestTopic] });
        return committed.flatMap(({ topic: name, partitions }) =>
          partitions.filter(({ partition, offset }) => offset !== ends.get(`${name}/${partition}`)),
        );
      },
      (behind) => behind.length === 0,
      120_000,
      'metering committed every partition to its end',
    );
    const insertedByLast = await insertedBy();
    expect(await last.stop('SIGTERM')).toBe(0);

    // The kills landed while the app consumed: killed processes had inserted rows.
    expect(insertedBeforeKill.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
    expect(insertedByLast).toBeGreaterThanOrEqual(final);

    const store = await createAnalyticsStore({ dataDirectory, database: 'tollgate' });
    try {
      const [access] = await store.query<{ rows: string; ids: string }>(
        'SELECT count() AS rows, uniqExact(id) AS ids FROM usage_events WHERE log_topic = {topic:String}',
        { topic },
      );
      expect(access).toEqual({ rows: String(ACCESS_EVENTS), ids: String(ACCESS_EVENTS) });
      const perConsumer = await store.query<{ consumer_id: string; rows: string }>(
        'SELECT consumer_id, count() AS rows FROM usage_events WHERE log_topic = {topic:String} GROUP BY consumer_id',
        { topic },
      );
      expect(new Map(perConsumer.map((row) => [row.consumer_id, Number(row.rows)]))).toEqual(ledger);
      // Offsets 0..n-1 of every partition, each once: nothing skipped, nothing twice.
      const partitions = await store.query<{
        log_partition: number;
        rows: string;
        distinct_offsets: string;
        next: string;
      }>(
        'SELECT log_partition, count() AS rows, uniqExact(log_offset) AS distinct_offsets, toString(max(log_offset) + 1) AS next ' +
          'FROM usage_events WHERE log_topic = {topic:String} GROUP BY log_partition ORDER BY log_partition',
        { topic },
      );
      for (const partition of partitions) {
        expect([partition.rows, partition.distinct_offsets]).toEqual([partition.next, partition.next]);
        expect(partition.next).toBe(ends.get(`${topic}/${partition.log_partition}`));
      }

      const [ingest] = await store.query<{ rows: string; ids: string }>(
        'SELECT count() AS rows, uniqExact(id) AS ids FROM usage_events WHERE log_topic = {topic:String}',
        { topic: ingestTopic },
      );
      expect(ingest).toEqual({ rows: String(INGEST_EVENTS), ids: String(INGEST_EVENTS) });
      const perSource = await store.query<{ key: string; rows: string }>(
        "SELECT concat(consumer_id, '|', source) AS key, count() AS rows FROM usage_events " +
          'WHERE log_topic = {topic:String} GROUP BY key',
        { topic: ingestTopic },
      );
      expect(new Map(perSource.map((row) => [row.key, Number(row.rows)]))).toEqual(ingestLedger);

      // The rollups the usage API reads hold every stored row exactly once too, crashes included
      // (a view that had not run before a kill is filled by the re-sent last insert).
      for (const table of ['usage_requests_minute', 'usage_requests_hour', 'usage_requests_day']) {
        const [rolled] = await store.query<{ requests: string }>(
          `SELECT toString(sum(requests)) AS requests FROM ${table}`,
        );
        expect({ table, requests: Number(rolled.requests) }).toEqual({
          table,
          requests: ACCESS_EVENTS + INGEST_EVENTS,
        });
      }
    } finally {
      await store.close();
    }
  });
});
