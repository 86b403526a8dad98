import { type UsageSummary } from '@tollgate/metering-domain';
import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from './support/app-process';

jest.setTimeout(300_000);

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

interface IngestOutcome {
  results: Array<{ index: number; id: string | null; source: string | null; status: string }>;
}

/**
 * The ingest API against the real embedded platform: business events posted with an API's ingest
 * token go through the ingest topic into metering, are deduplicated by (API, source, id), and show
 * in the consumer's usage through its plan's `eventType` meters.
 */
describe('ingest API (embedded platform)', () => {
  let embedded: EmbeddedPlatform;
  let token: string;
  let consumerId: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${embedded.demo.apiUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${embedded.demo.adminToken}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });

  const adminJson = async <T>(path: string, init: RequestInit = {}, status = 200): Promise<T> => {
    const response = await api(path, init);
    const body = (await response.json()) as T;
    expect({ path, status: response.status, body }).toMatchObject({ path, status });
    return body;
  };

  const post = (body: unknown, contentType = 'application/json', bearer = token) =>
    fetch(`${embedded.demo.apiUrl}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const event = (overrides: Record<string, unknown>) => ({
    specversion: '1.0',
    source: '/billing/sms',
    type: 'sms.sent',
    subject: consumerId,
    ...overrides,
  });

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('metering-ingest');
    const plan = await adminJson<{ id: string }>(
      '/api/admin/plans',
      {
        method: 'POST',
        body: JSON.stringify({
          name: 'Messaging',
          quota: { limit: 1000, period: 'month' },
          meters: [
            { slug: 'sms_sent', aggregation: 'count', eventType: 'sms.sent' },
            { slug: 'sms_parts', aggregation: 'sum', valueKey: 'parts', eventType: 'sms.sent' },
          ],
        }),
      },
      201,
    );
    const consumer = await adminJson<{ id: string }>(
      '/api/admin/consumers',
      {
        method: 'POST',
        body: JSON.stringify({
          name: 'Messaging customer',
          email: 'messaging@example.com',
          planId: plan.id,
          externalId: 'crm-42',
        }),
      },
      201,
    );
    consumerId = consumer.id;
    const [demoApi] = await adminJson<Array<{ id: string }>>('/api/admin/apis');
    const issued = await adminJson<{ token: string }>(
      `/api/admin/apis/${demoApi.id}/ingest-token`,
      { method: 'POST' },
      201,
    );
    token = issued.token;
    expect(token).toMatch(/^tgi_/);
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  it('ingests a batch once, answers repeats as duplicates, and meters each event once', async () => {
    const batch = [
      // (The consumer's billing period began when it subscribed, moments ago: no earlier time.)
      event({ id: 'evt-1', time: new Date().toISOString(), data: { usage: { parts: 2 } } }),
      event({ id: 'evt-2', subject: 'crm-42', data: { usage: { parts: 3 }, to: '+15550100' } }),
      event({ id: 'evt-1', time: new Date(Date.now() + 1000).toISOString(), data: { usage: { parts: 2 } } }),
    ];
    const response = await post(batch, 'application/cloudevents-batch+json');
    expect(response.status).toBe(202);
    expect(((await response.json()) as IngestOutcome).results).toEqual([
      { index: 0, id: 'evt-1', source: '/billing/sms', status: 'accepted' },
      { index: 1, id: 'evt-2', source: '/billing/sms', status: 'accepted' },
      { index: 2, id: 'evt-1', source: '/billing/sms', status: 'duplicate' },
    ]);

    // A resend of the whole batch, and of one event alone, ingests nothing new.
    const resend = await post(batch);
    expect(((await resend.json()) as IngestOutcome).results.map((result) => result.status)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    const alone = await post(batch[1], 'application/cloudevents+json');
    expect(alone.status).toBe(202);
    expect(((await alone.json()) as IngestOutcome).results).toEqual([
      { index: 0, id: 'evt-2', source: '/billing/sms', status: 'duplicate' },
    ]);

    // The same id from another source is another event. Same consumer, same partition: once it is
    // metered, everything before it is too.
    const last = await post(event({ id: 'evt-1', source: '/billing/mms', data: { usage: { parts: 1 } } }));
    expect(((await last.json()) as IngestOutcome).results[0].status).toBe('accepted');

    const usage = await eventually(
      () => adminJson<UsageSummary>(`/api/admin/consumers/${consumerId}/usage`),
      (value) => (value.units['sms_sent'] ?? 0) >= 3,
      60_000,
      'the three ingested events metered',
    );
    expect(usage.units).toEqual({ sms_sent: 3, sms_parts: 6 });
    // Business events are not requests: the request meters stay at zero.
    expect(usage).toMatchObject({ requests: 0, totalRequests: 0 });
  });

  it.each([
    [
      'a single event with a bad time',
      () => event({ id: 'evt-x', time: 'yesterday' }),
      'application/json',
      ['time'],
    ],
    [
      'a single event without subject',
      () => ({ ...event({ id: 'evt-x' }), subject: undefined }),
      'application/json',
      ['subject'],
    ],
    [
      'an unknown consumer',
      () => event({ id: 'evt-x', subject: 'cons_missing' }),
      'application/cloudevents+json',
      ['subject'],
    ],
    [
      'an event older than the accepted age',
      () => event({ id: 'evt-x', time: new Date(Date.now() - 40 * 86_400_000).toISOString() }),
      'application/json',
      ['time'],
    ],
    [
      'a batch with no valid event',
      () => [event({ id: 'a', specversion: '0.3' }), event({ id: 'b', type: 'gateway' })],
      'application/json',
      ['[0].specversion', '[1].type'],
    ],
    [
      'a batch media type with one event',
      () => event({ id: 'evt-x' }),
      'application/cloudevents-batch+json',
      ['(body)'],
    ],
    ['a JSON string', () => JSON.stringify('event'), 'application/json', ['(body)']],
  ])('answers %s with a 400 problem naming the field', async (_what, body, contentType, fields) => {
    const response = await post(body(), contentType);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem.errors?.map((issue) => issue.field)).toEqual(fields);
  });

  it('records an event that arrives after the grace window as a correction, once', async () => {
    const lateAt = new Date(Date.now() - 2 * 3_600_000).toISOString(); // grace: 1 h by default
    const late = event({ id: 'evt-late', type: 'sms.late', time: lateAt, data: { usage: { parts: 4 } } });
    expect((await post(late)).status).toBe(202);
    expect((await post(late)).status).toBe(202); // a resend: a duplicate, no second correction
    const { corrections } = await eventually(
      () =>
        adminJson<{ corrections: Array<Record<string, unknown>> }>(
          `/api/admin/consumers/${consumerId}/usage/corrections`,
        ),
      (value) => value.corrections.some((correction) => correction['source'] === 'sms.late'),
      60_000,
      'the late event recorded as a correction',
    );
    const mine = corrections.filter((correction) => correction['source'] === 'sms.late');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ ts: lateAt, units: { parts: 4 }, reason: expect.any(String) });
    expect(Number(mine[0]['delayMs'])).toBeGreaterThan(3_600_000);
    const unknown = await api('/api/admin/consumers/cons_missing/usage/corrections');
    expect(unknown.status).toBe(404);
  });

  it('answers malformed JSON and an empty batch with a 400 problem, and XML with a 415', async () => {
    for (const [body, contentType, status] of [
      ['{"specversion":', 'application/cloudevents+json', 400],
      ['[]', 'application/cloudevents-batch+json', 400],
      ['<event/>', 'application/xml', 415],
    ] as const) {
      const response = await post(body, contentType);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('answers more than 1,000 events with a 413 problem naming the limit', async () => {
    const events = Array.from({ length: 1001 }, (_, index) => event({ id: `bulk-${index}` }));
    const response = await post(events);
    expect(response.status).toBe(413);
    expect(((await response.json()) as Problem).detail).toContain('at most 1,000 events');
  });

  it('answers a missing or unknown ingest token with a 401 problem', async () => {
    for (const bearer of ['tgi_unknown', embedded.demo.adminToken, '']) {
      const response = await post(event({ id: 'evt-auth' }), 'application/json', bearer);
      expect({ bearer, status: response.status }).toEqual({ bearer, status: 401 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
