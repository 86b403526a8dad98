import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessLogEvent } from '@tollgate/access-log';
import { createLogger } from '@tollgate/observability';
import { type EventLogProducer, type OutgoingMessage } from '@tollgate/ports';
import { Registry } from 'prom-client';
import { createAccessLogEmitter } from './access-log-emitter';
import { AccessLogSpool } from './access-log-spool';
import { RecordingEventLogProducer } from './testing';

const logger = createLogger({ app: 'access-log-emitter-spec', level: 'silent' });

function event(index: number): AccessLogEvent {
  return {
    id: `0190a000-0000-7000-8000-${String(index).padStart(12, '0')}`,
    ts: 1_700_000_000_000 + index,
    consumerId: `cons_${index % 2}`,
    planId: 'plan_a',
    apiId: 'api_a',
    endpoint: 'GET *',
    method: 'GET',
    status: 200,
    requestBytes: 0,
    responseBytes: 10,
    latencyMs: 1,
    upstreamLatencyMs: 1,
    cached: false,
    counted: true,
    usage: {},
  };
}

describe('AccessLogEmitter', () => {
  it('batches events that arrive within the linger time, keyed by consumer', async () => {
    const producer = new RecordingEventLogProducer();
    const emitter = createAccessLogEmitter({ producer, topic: 't1', logger, lingerMs: 20 });
    emitter.emit(event(1));
    emitter.emit(event(2));
    emitter.emit(event(3));
    expect(emitter.pending).toBe(3);
    await producer.waitForMessages('t1', 3); // sent by the linger timer, without a flush
    await emitter.flush();
    expect(producer.sends).toHaveLength(1);
    expect(producer.messages('t1').map((message) => message.key)).toEqual(['cons_1', 'cons_0', 'cons_1']);
    expect(producer.events('t1')).toEqual([event(1), event(2), event(3)]);
    expect(emitter.sent).toBe(3);
    expect(emitter.pending).toBe(0);
  });

  it('splits the buffer into batches of at most maxBatch, in order', async () => {
    const producer = new RecordingEventLogProducer();
    const emitter = createAccessLogEmitter({ producer, topic: 't2', logger, maxBatch: 2, lingerMs: 1000 });
    for (let index = 0; index < 5; index += 1) emitter.emit(event(index));
    await emitter.flush();
    expect(producer.sends.map((send) => send.messages.length)).toEqual([2, 2, 1]);
    expect(producer.events('t2').map((sent) => sent.ts)).toEqual(
      [0, 1, 2, 3, 4].map((index) => event(index).ts),
    );
  });

  it('keeps the events of failed sends and retries them in order', async () => {
    const producer = new RecordingEventLogProducer();
    const emitter = createAccessLogEmitter({ producer, topic: 't3', logger, retryBaseMs: 5 });
    producer.failNext(2);
    emitter.emit(event(1));
    emitter.emit(event(2));
    await emitter.flush();
    emitter.emit(event(3));
    await emitter.close();
    expect(emitter.failedAttempts).toBe(2);
    expect(emitter.sent).toBe(3);
    expect(producer.events('t3').map((sent) => sent.id)).toEqual([event(1).id, event(2).id, event(3).id]); // The retried events may already be in the log: they say so, for metering to look them up.
    expect(producer.messages('t3').map((message) => message.headers?.['tollgate-resend'] ?? null)).toEqual([
      '1',
      '1',
      null,
    ]);
  });

  it('resolves flush at once when nothing is pending', async () => {
    const producer = new RecordingEventLogProducer();
    const emitter = createAccessLogEmitter({ producer, topic: 't4', logger });
    await emitter.flush();
    expect(producer.sends).toHaveLength(0);
  });
});

/** A producer that rejects while `down`, and can hold sends until released (a slow broker). */
class FlakyProducer implements EventLogProducer {
  down = false;
  hold: Promise<void> | null = null;
  readonly delivered: AccessLogEvent[] = [];
  attempts = 0;

  async send(_topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.attempts += 1;
    if (this.hold !== null) await this.hold;
    if (this.down) throw new Error('broker unreachable (test double)');
    for (const message of messages) this.delivered.push(JSON.parse(message.value) as AccessLogEvent);
  }

  async close(): Promise<void> {}
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('AccessLogEmitter with a spool', () => {
  let directory: string;
  const spools: AccessLogSpool[] = [];
  const openSpool = async () => {
    const spool = await AccessLogSpool.open({ directory, logger });
    spools.push(spool);
    return spool;
  };
  const ids = (events: AccessLogEvent[]) => events.map((one) => one.id);
  const range = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, offset) => event(from + offset));

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tollgate-emitter-spec-'));
  });

  afterEach(async () => {
    await Promise.all(spools.splice(0).map((spool) => spool.close()));
    await rm(directory, { recursive: true, force: true });
  });

  it('spills to the spool while the broker is down, then replays in order, exactly once', async () => {
    const producer = new FlakyProducer();
    const spool = await openSpool();
    const registry = new Registry();
    const emitter = createAccessLogEmitter({
      producer,
      topic: 's1',
      logger,
      spool,
      registry,
      maxBuffered: 5,
      maxBatch: 4,
      lingerMs: 1,
      retryBaseMs: 5,
      retryMaxMs: 20,
    });
    producer.down = true;
    for (let index = 0; index < 23; index += 1) emitter.emit(event(index));
    // 0–3 flew when 4–8 overflowed: 0–18 are spooled in order, 19–22 wait in memory (below 5).
    await until(() => spool.depth === 19 && emitter.failedAttempts > 0);
    expect(emitter.sent).toBe(0);
    expect(emitter.spooled).toBe(19);
    expect(await registry.metrics()).toContain('tollgate_gateway_access_log_spool_events 19');

    producer.down = false;
    for (let index = 23; index < 30; index += 1) emitter.emit(event(index)); // waits behind the spool
    await until(() => emitter.sent === 30);
    expect(ids(producer.delivered)).toEqual(ids(range(0, 30)));
    expect(spool.depth).toBe(0);
    expect(spool.fileBytes).toBe(0);
    expect(emitter.pending).toBe(0);
    expect(emitter.spooled).toBe(0);
    expect(emitter.dropped).toBe(0);
    await emitter.close();
  });

  it('flushes to the spool when the broker fails at shutdown, and the next start replays it first', async () => {
    const producer = new FlakyProducer();
    producer.down = true;
    const emitter = createAccessLogEmitter({
      producer,
      topic: 's2',
      logger,
      spool: await openSpool(),
      retryBaseMs: 5,
      lingerMs: 1,
    });
    for (let index = 0; index < 7; index += 1) emitter.emit(event(index));
    await until(() => emitter.failedAttempts > 0);
    await emitter.close(); // the buffer goes to the spool: nothing in memory is lost
    expect(producer.delivered).toEqual([]);
    expect(emitter.spooled).toBe(7);
    // After close the spool is left for the next start; a late emit is still sent, from memory.
    producer.down = false;
    emitter.emit(event(99));
    await until(() => producer.delivered.length === 1);
    expect(ids(producer.delivered)).toEqual([event(99).id]);
    await Promise.all(spools.splice(0).map((spool) => spool.close()));

    const healthy = new FlakyProducer();
    const spool = await openSpool();
    expect(spool.depth).toBe(7);
    const next = createAccessLogEmitter({ producer: healthy, topic: 's2', logger, spool, lingerMs: 1 });
    next.emit(event(7));
    await until(() => healthy.delivered.length === 8);
    expect(ids(healthy.delivered)).toEqual(ids(range(0, 8)));
    await next.close();
    expect(spool.depth).toBe(0);
  });

  it('keeps order and sends once when the buffer overflows while a batch is in flight', async () => {
    for (const outcome of ['fails', 'succeeds'] as const) {
      const producer = new FlakyProducer();
      const spool = await openSpool();
      const emitter = createAccessLogEmitter({
        producer,
        topic: `s3-${outcome}`,
        logger,
        spool,
        maxBuffered: 4,
        maxBatch: 3,
        lingerMs: 1,
        retryBaseMs: 5,
      });
      let release: () => void = () => undefined;
      producer.hold = new Promise((resolve) => (release = resolve));
      producer.down = outcome === 'fails';
      emitter.emit(event(0));
      emitter.emit(event(1));
      await until(() => producer.attempts === 1); // events 0 and 1 are in flight, held
      for (let index = 2; index < 10; index += 1) emitter.emit(event(index)); // overflows twice
      await until(() => spool.depth === 10); // the batch in flight heads the spool
      producer.hold = null;
      producer.down = false;
      release();
      await until(() => emitter.sent === 10);
      expect(ids(producer.delivered)).toEqual(ids(range(0, 10)));
      expect(spool.depth).toBe(0);
      await emitter.close();
      await spool.close();
      spools.splice(0);
      await AccessLogSpool.destroy(directory);
    }
  });
});
