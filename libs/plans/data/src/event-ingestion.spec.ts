import { createMemoryCounters } from '@tollgate/counters';
import { DomainError, ValidationError } from '@tollgate/errors';
import { ingestDedupKey, ingestRecordId } from '@tollgate/metering-domain';
import { createLogger } from '@tollgate/observability';
import { type Counters, type EventLogProducer, type OutgoingMessage } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import { EventIngestion, type IngestOutcome, type IngestRequest } from './event-ingestion';

const now = Date.parse('2026-11-28T10:00:00.000Z');
const day = 86_400_000;

interface StoredConsumer {
  id: string;
  externalId: string | null;
  status: 'active' | 'suspended';
  subscriptions: Array<{
    planId: string;
    status: string;
    pendingPlanId: string | null;
    pendingEffectiveAt: Date | null;
  }>;
}

const subscribed = (planId: string) => [
  { planId, status: 'active', pendingPlanId: null, pendingEffectiveAt: null },
];

const consumers: StoredConsumer[] = [
  { id: 'cons_a', externalId: 'auth0|a', status: 'active', subscriptions: subscribed('plan_a') },
  { id: 'cons_off', externalId: null, status: 'suspended', subscriptions: subscribed('plan_a') },
  { id: 'cons_none', externalId: null, status: 'active', subscriptions: [] },
  {
    id: 'cons_moved',
    externalId: null,
    status: 'active',
    subscriptions: [
      {
        planId: 'plan_old',
        status: 'active',
        pendingPlanId: 'plan_new',
        pendingEffectiveAt: new Date(now - 1),
      },
    ],
  },
];

/** The one Prisma call the use case makes: consumers by id or externalId, with the live subscription. */
const prisma = {
  consumer: {
    findMany: async (query: {
      where: { OR: [{ id: { in: string[] } }, { externalId: { in: string[] } }] };
    }) => {
      const [{ id }, { externalId }] = query.where.OR;
      return consumers.filter(
        (consumer) =>
          id.in.includes(consumer.id) ||
          (consumer.externalId !== null && externalId.in.includes(consumer.externalId)),
      );
    },
  },
} as unknown as PrismaClient;

class RecordingProducer implements EventLogProducer {
  readonly sent: OutgoingMessage[] = [];
  failing = false;

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    expect(topic).toBe('tollgate.ingest.v1');
    if (this.failing) throw new Error('broker unreachable');
    this.sent.push(...messages);
  }

  async close(): Promise<void> {}
}

const event = (overrides: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: '/billing/sms',
  type: 'sms.sent',
  subject: 'cons_a',
  time: '2026-11-28T09:00:00Z',
  data: { usage: { parts: 2 } },
  ...overrides,
});

const batch = (...events: unknown[]): IngestRequest => ({ kind: 'batch', events });
const single = (value: unknown): IngestRequest => ({ kind: 'single', event: value });

async function caught(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('EventIngestion', () => {
  let counters: Counters;
  let producer: RecordingProducer;
  let ingestion: EventIngestion;

  beforeEach(() => {
    counters = createMemoryCounters();
    producer = new RecordingProducer();
    ingestion = new EventIngestion({
      prisma,
      counters,
      producer,
      topic: 'tollgate.ingest.v1',
      dedupRetentionMs: 35 * day,
      maxAgeMs: 35 * day,
      logger: createLogger({ app: 'test', level: 'silent' }),
      now: () => now,
    });
  });

  const statuses = (outcome: IngestOutcome) => outcome.results.map((result) => result.status);

  it('produces each new event once, keyed by consumer, and answers a resend as a duplicate', async () => {
    const first = await ingestion.ingest(
      'api_1',
      batch(event(), event({ id: 'evt-2', subject: 'auth0|a' }), event(), event({ source: '/other' })),
    );
    expect(first.results).toEqual([
      { index: 0, id: 'evt-1', source: '/billing/sms', status: 'accepted' },
      { index: 1, id: 'evt-2', source: '/billing/sms', status: 'accepted' },
      { index: 2, id: 'evt-1', source: '/billing/sms', status: 'duplicate' },
      { index: 3, id: 'evt-1', source: '/other', status: 'accepted' },
    ]);
    expect(producer.sent.map((message) => message.key)).toEqual(['cons_a', 'cons_a', 'cons_a']);
    const records = producer.sent.map((message) => JSON.parse(message.value) as Record<string, unknown>);
    expect(records[0]).toMatchObject({
      id: ingestRecordId('api_1', '/billing/sms', 'evt-1'),
      ts: Date.parse('2026-11-28T09:00:00Z'),
      consumerId: 'cons_a',
      planId: 'plan_a',
      apiId: 'api_1',
      source: 'sms.sent',
      usage: { parts: 2 },
    });
    expect(records[1]).toMatchObject({ consumerId: 'cons_a' }); // resolved from the externalId

    const again = await ingestion.ingest('api_1', single(event()));
    expect(statuses(again)).toEqual(['duplicate']);
    // Another API's event with the same source and id is another event.
    expect(statuses(await ingestion.ingest('api_2', single(event())))).toEqual(['accepted']);
    expect(producer.sent).toHaveLength(4);
  });

  it('rejects invalid events of a batch one by one and ingests the others', async () => {
    const outcome = await ingestion.ingest(
      'api_1',
      batch(
        event({ time: 'soon' }),
        event({ id: 'evt-2' }),
        event({ id: 'evt-3', subject: 'cons_missing' }),
        event({ id: 'evt-4', subject: 'cons_off' }),
        event({ id: 'evt-5', subject: 'cons_none' }),
        event({ id: 'evt-6', time: new Date(now - 36 * day).toISOString() }),
        7,
      ),
    );
    expect(statuses(outcome)).toEqual([
      'rejected',
      'accepted',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(outcome.results.map((result) => result.errors?.map((error) => error.field))).toEqual([
      ['time'],
      undefined,
      ['subject'],
      ['subject'],
      ['subject'],
      ['time'],
      ['(event)'],
    ]);
    expect(outcome.results[6]).toMatchObject({ id: null, source: null });
    expect(producer.sent).toHaveLength(1);
  });

  it('answers a refused single event, or a batch with nothing valid, with a ValidationError naming the fields', async () => {
    const one = await caught(ingestion.ingest('api_1', single(event({ subject: '' }))));
    expect(one).toBeInstanceOf(ValidationError);
    expect((one as ValidationError).issues.map((issue) => issue.field)).toEqual(['subject']);

    const unknown = await caught(ingestion.ingest('api_1', single(event({ subject: 'cons_missing' }))));
    expect((unknown as ValidationError).issues).toEqual([
      { field: 'subject', message: 'No consumer has this id or externalId' },
    ]);

    const all = await caught(
      ingestion.ingest('api_1', batch(event({ time: 'soon' }), 'x', event({ type: 'A' }))),
    );
    expect((all as ValidationError).issues.map((issue) => issue.field)).toEqual([
      '[0].time',
      '[1]',
      '[2].type',
    ]);
    expect(await caught(ingestion.ingest('api_1', batch()))).toBeInstanceOf(ValidationError);
    expect(producer.sent).toHaveLength(0);
  });

  it('applies a scheduled plan change whose date has passed', async () => {
    await ingestion.ingest('api_1', single(event({ subject: 'cons_moved' })));
    expect(JSON.parse(producer.sent[0].value)).toMatchObject({
      consumerId: 'cons_moved',
      planId: 'plan_new',
    });
  });

  it('removes the marks when the event log refuses the write, so a resend is ingested', async () => {
    producer.failing = true;
    const failure = await caught(ingestion.ingest('api_1', batch(event(), event({ id: 'evt-2' }), event())));
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).code).toBe('dependency_unavailable');
    expect((failure as DomainError).details['results']).toEqual([
      { index: 0, id: 'evt-1', source: '/billing/sms', status: 'failed' },
      { index: 1, id: 'evt-2', source: '/billing/sms', status: 'failed' },
      { index: 2, id: 'evt-1', source: '/billing/sms', status: 'duplicate' },
    ]);
    expect(await counters.get(ingestDedupKey(ingestRecordId('api_1', '/billing/sms', 'evt-1')))).toBe(0);

    producer.failing = false;
    const retry = await ingestion.ingest('api_1', batch(event(), event({ id: 'evt-2' }), event()));
    expect(statuses(retry)).toEqual(['accepted', 'accepted', 'duplicate']);
    expect(producer.sent).toHaveLength(2);
  });

  it('fails with 503 and gives the marks back when the dedup store fails part-way', async () => {
    const flaky: Counters = {
      ...counters,
      incrementWithin: async (key, amount, limit, expiresAtMs) => {
        if (key === ingestDedupKey(ingestRecordId('api_1', '/billing/sms', 'evt-2'))) {
          throw new Error('redis down');
        }
        return counters.incrementWithin(key, amount, limit, expiresAtMs);
      },
    };
    const withFlaky = new EventIngestion({
      prisma,
      counters: flaky,
      producer,
      topic: 'tollgate.ingest.v1',
      dedupRetentionMs: 35 * day,
      maxAgeMs: 35 * day,
      logger: createLogger({ app: 'test', level: 'silent' }),
      now: () => now,
    });
    const failure = await caught(withFlaky.ingest('api_1', batch(event(), event({ id: 'evt-2' }))));
    expect((failure as DomainError).code).toBe('dependency_unavailable');
    expect(await counters.get(ingestDedupKey(ingestRecordId('api_1', '/billing/sms', 'evt-1')))).toBe(0);
    expect(producer.sent).toHaveLength(0);
  });
});
