import { type AccessLogEvent } from '@tollgate/access-log';
import { createLogger } from '@tollgate/observability';
import { createAccessLogEmitter } from './access-log-emitter';
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
    expect(producer.events('t3').map((sent) => sent.id)).toEqual([event(1).id, event(2).id, event(3).id]);
  });

  it('resolves flush at once when nothing is pending', async () => {
    const producer = new RecordingEventLogProducer();
    const emitter = createAccessLogEmitter({ producer, topic: 't4', logger });
    await emitter.flush();
    expect(producer.sends).toHaveLength(0);
  });
});
