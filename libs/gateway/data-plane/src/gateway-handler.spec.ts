import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { request } from 'undici';
import {
  type AccessLogEvent,
  accessLogEventSchema,
  type QuotaEvent,
  quotaEventSchema,
} from '@tollgate/access-log';
import { billingPeriodAt } from '@tollgate/billing-period';
import { createFailoverCounters, type FailoverCounters } from '@tollgate/counters';
import { createEchoUpstream, type EchoReply, type EchoUpstream } from '@tollgate/echo-upstream';
import { createLogger } from '@tollgate/observability';
import { type AccessLogEmitter, createAccessLogEmitter } from './access-log-emitter';
import { createGatewayServer, type GatewayServer } from './gateway-server';
import { QuotaEventPublisher } from './quota-event-publisher';
import { quotaCounterKey, SnapshotStore } from './snapshot-store';
import {
  apiFixture,
  consumerFixture,
  InMemoryCounters,
  keyFixture,
  planFixture,
  RecordingEventLogProducer,
  snapshotFixture,
} from './testing';

const TOPIC = 'gateway-handler-spec.access-log';
const QUOTA_TOPIC = 'gateway-handler-spec.quota-events';
const ANCHOR = '2025-01-15T00:00:00.000Z';
const UPSTREAM_TIMEOUT_MS = 500;
const logger = createLogger({ app: 'gateway-handler-spec', level: 'silent' });

/** Each scenario gets its own consumer (and key) so quota counters and events never mix. */
const consumers = {
  happy: 'cons_happy',
  suspended: 'cons_suspended',
  narrow: 'cons_narrow',
  three: 'cons_three',
  refund: 'cons_refund',
  down: 'cons_down',
  slow: 'cons_slow',
  large: 'cons_large',
  chunked: 'cons_chunked',
  requestId: 'cons_request_id',
  counting: 'cons_counting',
  aborting: 'cons_aborting',
  drain: 'cons_drain',
  countersDown: 'cons_counters_down',
  rated: 'cons_rated',
  concurrent: 'cons_concurrent',
  overage: 'cons_overage',
  failOpen: 'cons_fail_open',
  capped: 'cons_capped',
} as const;

const keyOf = (consumerId: string): string => `tg_test_${consumerId}`;

interface CallOptions {
  key?: string;
  keyHeader?: 'authorization' | 'x-api-key';
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: Buffer | string;
}

async function getFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const planOf: Record<string, string> = {
  [consumers.three]: 'plan_three',
  [consumers.narrow]: 'plan_narrow',
  [consumers.rated]: 'plan_rated',
  [consumers.concurrent]: 'plan_concurrent',
  [consumers.overage]: 'plan_overage',
  [consumers.failOpen]: 'plan_fail_open',
  [consumers.countersDown]: 'plan_fail_closed',
};

/** A minimal RFC 8941 list parser for the RateLimit fields: string items with integer parameters. */
function parseRateLimitList(value: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const member of value.split(',')) {
    const match = /^\s*"([a-z]+)"((?:;[a-z]+=\d+)+)\s*$/.exec(member);
    if (match === null) throw new SyntaxError(`not a RateLimit list member: ${member}`);
    out[match[1]] = Object.fromEntries(
      match[2]
        .split(';')
        .slice(1)
        .map((param) => {
          const [name, raw] = param.split('=');
          return [name, Number(raw)];
        }),
    );
  }
  return out;
}

describe('gateway handler over real HTTP', () => {
  let echo: EchoUpstream;
  let gateway: GatewayServer;
  let store: SnapshotStore;
  let counters: InMemoryCounters;
  let failover: FailoverCounters;
  let producer: RecordingEventLogProducer;
  let accessLog: AccessLogEmitter;
  let registry: Registry;

  async function call(base: string, path: string, options: CallOptions = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) {
      if (options.keyHeader === 'x-api-key') headers['x-api-key'] = options.key;
      else headers['authorization'] = `Bearer ${options.key}`;
    }
    const response = await request(`${base}${path}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return { status: response.statusCode, headers: response.headers, body };
  }

  const viaGateway = (path: string, options?: CallOptions) => call(gateway.url, path, options);
  const json = <T>(body: Buffer): T => JSON.parse(body.toString('utf8')) as T;

  async function allEvents(): Promise<AccessLogEvent[]> {
    await gateway.handler.whenIdle(); // every finished request has emitted its event
    await accessLog.flush();
    return producer.events(TOPIC);
  }

  /** The event of a request whose id the gateway generated (it doubles as the event id). */
  async function eventWithId(id: string): Promise<AccessLogEvent> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const found = (await allEvents()).find((event) => event.id === id);
      if (found) return accessLogEventSchema.parse(found);
      if (Date.now() > deadline) throw new Error(`no access-log event ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async function eventsOf(consumerId: string, expected: number): Promise<AccessLogEvent[]> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const found = (await allEvents()).filter((event) => event.consumerId === consumerId);
      if (found.length >= expected || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  function counterKeyOf(consumerId: string): string {
    return quotaCounterKey(consumerId, billingPeriodAt(Date.now(), Date.parse(ANCHOR), 'UTC', 'month').start);
  }

  beforeAll(async () => {
    echo = await createEchoUpstream({ host: '127.0.0.1', port: 0 });
    const downPort = await getFreePort();
    store = new SnapshotStore();
    store.replace(
      snapshotFixture({
        apis: [
          apiFixture({
            id: 'echo',
            upstreamUrl: echo.url,
            routes: [
              {
                method: 'GET',
                pathTemplate: '/v1/orders/:id',
                endpoint: 'GET /v1/orders/:id',
                costWeight: 1,
              },
              { method: 'POST', pathTemplate: '/upload', endpoint: 'POST /upload', costWeight: 1 },
            ],
          }),
          apiFixture({ id: 'down', upstreamUrl: `http://127.0.0.1:${downPort}` }),
        ],
        plans: [
          planFixture({ id: 'plan_standard', quota: { limit: 1000, period: 'month' } }),
          planFixture({ id: 'plan_three', quota: { limit: 3, period: 'month' } }),
          planFixture({ id: 'plan_narrow', allowedEndpoints: ['GET /v1/orders/:id'] }),
          planFixture({ id: 'plan_rated', rateLimit: { perSecond: 0.5, burst: 2 } }),
          planFixture({ id: 'plan_concurrent', concurrency: 2 }),
          planFixture({
            id: 'plan_overage',
            quota: { limit: 10, period: 'month' },
            overageBufferPercent: 20,
            alertThresholds: [80, 95, 100],
          }),
          planFixture({
            id: 'plan_fail_open',
            quota: { limit: 4, period: 'month' },
            countersUnavailable: 'local_limit',
          }),
          planFixture({ id: 'plan_fail_closed', countersUnavailable: 'reject' }),
        ],
        consumers: Object.values(consumers).map((id) =>
          consumerFixture({
            id,
            periodAnchor: ANCHOR,
            planId: planOf[id] ?? 'plan_standard',
            ...(id === consumers.suspended
              ? { status: 'suspended' as const, suspendedReason: 'unpaid invoice' }
              : {}),
            ...(id === consumers.capped ? { spendCap: { units: 2, amountMinor: 250, currency: 'usd' } } : {}),
          }),
        ),
        keys: [
          ...Object.values(consumers).map((id) => keyFixture(keyOf(id), id)),
          keyFixture('tg_test_expired', consumers.happy, Date.now() - 1000),
        ],
      }),
    );
    counters = new InMemoryCounters();
    failover = createFailoverCounters({ primary: counters, nodeId: 'spec-node' });
    await failover.start();
    producer = new RecordingEventLogProducer();
    accessLog = createAccessLogEmitter({ producer, topic: TOPIC, logger });
    registry = new Registry();
    gateway = await createGatewayServer({
      host: '127.0.0.1',
      port: 0,
      snapshots: store,
      counters: failover,
      quotaEvents: new QuotaEventPublisher({ producer, topic: QUOTA_TOPIC, logger }),
      accessLog,
      logger,
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
      registry,
    });
  });

  afterAll(async () => {
    await gateway.close();
    await accessLog.close();
    await failover.close();
    await echo.close();
  });

  it('proxies a request, strips the usage header and records the parsed usage', async () => {
    const usage = encodeURIComponent('sms=1, txn_value=12550');
    const response = await viaGateway(`/echo/v1/orders/42?usage=${usage}`, { key: keyOf(consumers.happy) });

    expect(response.status).toBe(200);
    expect(response.headers['tollgate-usage']).toBeUndefined();
    const requestId = response.headers['x-request-id'] as string;
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(response.headers['x-ratelimit-limit']).toBe('1000');
    expect(response.headers['x-ratelimit-remaining']).toBe('999');
    expect(response.headers['ratelimit-policy']).toMatch(/^"quota";q=1000;w=\d+$/);
    const reset = response.headers['x-ratelimit-reset'];
    expect(response.headers['ratelimit']).toBe(`"quota";r=999;t=${reset}`);

    const reply = json<EchoReply>(response.body);
    expect(reply.path).toBe('/v1/orders/42'); // prefix stripped
    expect(reply.query['usage']).toBe('sms=1, txn_value=12550');
    expect(reply.headers['authorization']).toBeUndefined();
    expect(reply.headers['x-api-key']).toBeUndefined();
    expect(reply.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(reply.headers['x-forwarded-proto']).toBe('http');
    expect(reply.headers['x-forwarded-host']).toBe(new URL(gateway.url).host);
    expect(reply.headers['x-request-id']).toBe(requestId);

    const event = await eventWithId(requestId);
    expect(event).toMatchObject({
      consumerId: consumers.happy,
      planId: 'plan_standard',
      apiId: 'echo',
      endpoint: 'GET /v1/orders/:id',
      method: 'GET',
      status: 200,
      requestBytes: 0,
      responseBytes: response.body.length,
      cached: false,
      counted: true,
      usage: { sms: 1, txn_value: 12550 },
    });
    expect(event.upstreamLatencyMs).toBeGreaterThan(0);
    expect(event.latencyMs).toBeGreaterThanOrEqual(event.upstreamLatencyMs);
  });

  it('accepts the key in X-API-Key too', async () => {
    const response = await viaGateway('/echo/v1/orders/1', {
      key: keyOf(consumers.happy),
      keyHeader: 'x-api-key',
    });
    expect(response.status).toBe(200);
    expect(json<EchoReply>(response.body).headers['x-api-key']).toBeUndefined();
  });

  it.each([
    ['no key', undefined, 'An API key is required'],
    ['an unknown key', 'tg_test_unknown', 'The API key is not valid'],
    ['an expired key', 'tg_test_expired', 'The API key has expired'],
  ])('answers 401 problem+json to %s, without an event', async (_case, key, detail) => {
    const before = (await allEvents()).length;
    const response = await viaGateway('/echo/v1/orders/1', { key });
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tollgate"');
    expect(json<{ status: number; detail: string }>(response.body)).toMatchObject({ status: 401 });
    expect(json<{ detail: string }>(response.body).detail).toContain(detail);
    await gateway.handler.whenIdle();
    expect(await allEvents()).toHaveLength(before);
  });

  it('answers 404 problem+json when no API serves the path', async () => {
    const response = await viaGateway('/nowhere/at/all', { key: keyOf(consumers.happy) });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('refuses a suspended consumer with 403 and the reason, and still records the event', async () => {
    const response = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.suspended) });
    expect(response.status).toBe(403);
    const problem = json<{ detail: string; reason: string }>(response.body);
    expect(problem.reason).toBe('unpaid invoice');
    expect(problem.detail).toContain('unpaid invoice');
    const [event] = await eventsOf(consumers.suspended, 1);
    expect(event).toMatchObject({
      status: 403,
      counted: false,
      endpoint: 'GET /v1/orders/:id',
      upstreamLatencyMs: 0,
    });
  });

  it('refuses an endpoint outside the plan with 403', async () => {
    const allowed = await viaGateway('/echo/v1/orders/9', { key: keyOf(consumers.narrow) });
    expect(allowed.status).toBe(200);
    const refused = await viaGateway('/echo/v1/other', { key: keyOf(consumers.narrow) });
    expect(refused.status).toBe(403);
    expect(json<{ endpoint: string; upgradeUrl: string }>(refused.body)).toMatchObject({
      endpoint: 'GET *',
      upgradeUrl: '/portal/plans',
    });
    const events = await eventsOf(consumers.narrow, 2);
    expect(events.map((event) => [event.endpoint, event.status, event.counted])).toEqual([
      ['GET /v1/orders/:id', 200, true],
      ['GET *', 403, false],
    ]);
  });

  it('answers 429 with Retry-After and a problem body once the period quota is used up', async () => {
    for (let call = 1; call <= 3; call += 1) {
      const response = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.three) });
      expect(response.status).toBe(200);
      expect(response.headers['x-ratelimit-remaining']).toBe(String(3 - call));
    }
    const refused = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.three) });
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(refused.headers['ratelimit']).toBe(`"quota";r=0;t=${retryAfter}`);
    const problem = json<Record<string, unknown>>(refused.body);
    const periodEnd = billingPeriodAt(Date.now(), Date.parse(ANCHOR), 'UTC', 'month').end;
    expect(problem).toMatchObject({
      type: 'https://tollgate.dev/problems/limit-exceeded',
      status: 429,
      detail: 'Monthly quota of 3 requests used up',
      limit: 'quota',
      resetsAt: new Date(periodEnd).toISOString(),
      upgradeUrl: '/portal/plans',
    });
    expect(Math.abs(retryAfter - (periodEnd - Date.now()) / 1000)).toBeLessThan(5);
    const events = await eventsOf(consumers.three, 4);
    expect(events.map((event) => [event.status, event.counted])).toEqual([
      [200, true],
      [200, true],
      [200, true],
      [429, false],
    ]);
  });

  it('refuses with 402 once the spend cap would be passed, counting nothing for the refusals', async () => {
    const key = keyOf(consumers.capped);
    for (let call = 1; call <= 2; call += 1) {
      expect((await viaGateway('/echo/v1/orders/1', { key })).status).toBe(200);
    }
    const refused = await viaGateway('/echo/v1/orders/1', { key });
    expect(refused.status).toBe(402);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    const periodEnd = billingPeriodAt(Date.now(), Date.parse(ANCHOR), 'UTC', 'month').end;
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Math.abs(retryAfter - (periodEnd - Date.now()) / 1000)).toBeLessThan(5);
    // The quota (1000) is far away: the headers still tell the quota standing.
    expect(refused.headers['ratelimit']).toBe(`"quota";r=998;t=${retryAfter}`);
    expect(refused.headers['x-ratelimit-remaining']).toBe('998');
    expect(json<Record<string, unknown>>(refused.body)).toMatchObject({
      type: 'https://tollgate.dev/problems/spend-cap-reached',
      status: 402,
      detail: expect.stringContaining('spend cap of 2.50 USD') as string,
      limit: 'spend_cap',
      capMinor: 250,
      currency: 'usd',
      capUnits: 2,
      resetsAt: new Date(periodEnd).toISOString(),
    });
    expect(json<{ detail: string }>(refused.body).detail).toContain(new Date(periodEnd).toISOString());
    expect((await viaGateway('/echo/v1/orders/1', { key })).status).toBe(402);
    expect(await counters.get(counterKeyOf(consumers.capped))).toBe(2);
    const events = await eventsOf(consumers.capped, 4);
    expect(events.map((event) => [event.status, event.counted])).toEqual([
      [200, true],
      [200, true],
      [402, false],
      [402, false],
    ]);
  });

  it('enforces the rate limit with a burst, naming it in a 429 with Retry-After', async () => {
    const first = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.rated) });
    expect(first.status).toBe(200);
    expect(parseRateLimitList(first.headers['ratelimit-policy'] as string)).toEqual({
      rate: { q: 2, w: 4 },
      quota: { q: 1000, w: expect.any(Number) as number },
    });
    expect(parseRateLimitList(first.headers['ratelimit'] as string).rate).toEqual({ r: 1, t: 2 });
    expect((await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.rated) })).status).toBe(200);
    const refused = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.rated) });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(parseRateLimitList(refused.headers['ratelimit'] as string)).toMatchObject({
      rate: { r: 0 },
      quota: { r: 998 },
    });
    expect(json<Record<string, unknown>>(refused.body)).toMatchObject({
      status: 429,
      limit: 'rate',
      upgradeUrl: '/portal/plans',
    });
    expect(await counters.get(counterKeyOf(consumers.rated))).toBe(2); // the refused call took no quota
  });

  it('holds a concurrency lease per request in flight and frees it when the response ends', async () => {
    const slow = () => viaGateway('/echo/v1/orders/1?delay=300', { key: keyOf(consumers.concurrent) });
    const inFlight = [slow(), slow()];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.concurrent) });
    expect(refused.status).toBe(429);
    expect(json<Record<string, unknown>>(refused.body)).toMatchObject({ limit: 'concurrency' });
    expect((await Promise.all(inFlight)).map((response) => response.status)).toEqual([200, 200]);
    await gateway.handler.whenIdle(); // the leases are released
    expect((await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.concurrent) })).status).toBe(200);
  });

  it('admits into the overage buffer, marks those events, warns at 80 % and blocks at the ceiling', async () => {
    const statuses: number[] = [];
    const warnings: Array<string | undefined> = [];
    for (let call = 1; call <= 13; call += 1) {
      const response = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.overage) });
      statuses.push(response.status);
      warnings.push(response.headers['tollgate-quota-warning'] as string | undefined);
      if (call === 11) expect(response.headers['x-ratelimit-remaining']).toBe('0');
    }
    expect(statuses).toEqual([...Array<number>(12).fill(200), 429]);
    expect(warnings.slice(0, 9)).toEqual([...Array<undefined>(7).fill(undefined), '80', '80']);
    expect(warnings[9]).toBe('95');
    const events = await eventsOf(consumers.overage, 13);
    expect(events.map((event) => event.overage === true)).toEqual([
      ...Array<boolean>(10).fill(false),
      true,
      true,
      false,
    ]);
    const problem = json<Record<string, unknown>>(
      (await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.overage) })).body,
    );
    expect(problem).toMatchObject({
      limit: 'quota',
      detail: 'Monthly quota of 10 requests (with its overage buffer, 12) used up',
    });
  });

  it('emits each alert threshold once, from the request that reaches it, and the hard stop once', async () => {
    const quotaEvents = producer
      .messages(QUOTA_TOPIC)
      .map((message) => quotaEventSchema.parse(JSON.parse(message.value)) as QuotaEvent)
      .filter((event) => event.consumerId === consumers.overage);
    expect(quotaEvents.map((event) => [event.type, event.threshold, event.used])).toEqual([
      ['quota.threshold_crossed', 80, 8],
      ['quota.threshold_crossed', 95, 10],
      ['quota.threshold_crossed', 100, 10],
      ['quota.exhausted', 120, 12], // the 13th and 14th calls were refused: one event
    ]);
    expect(new Set(quotaEvents.map((event) => event.id)).size).toBe(4);
    expect(quotaEvents[0]).toMatchObject({ planId: 'plan_overage', limit: 10 });
  });

  it('refunds an upstream 5xx and marks it not counted under the default policy', async () => {
    const response = await viaGateway('/echo/v1/orders/1?status=500', { key: keyOf(consumers.refund) });
    expect(response.status).toBe(500);
    expect(json<EchoReply>(response.body).path).toBe('/v1/orders/1'); // the upstream's own body
    const [event] = await eventsOf(consumers.refund, 1);
    expect(event).toMatchObject({ status: 500, counted: false });
    expect(await counters.get(counterKeyOf(consumers.refund))).toBe(0);
    expect(counters.calls.filter((call) => call.key === counterKeyOf(consumers.refund))).toEqual([
      { op: 'admit', key: counterKeyOf(consumers.refund), amount: 1 },
      { op: 'increment', key: counterKeyOf(consumers.refund), amount: -1 },
    ]);
  });

  it('answers 502 when the upstream is down, and refunds', async () => {
    const response = await viaGateway('/down/anything', { key: keyOf(consumers.down) });
    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const [event] = await eventsOf(consumers.down, 1);
    expect(event).toMatchObject({ status: 502, counted: false, apiId: 'down', endpoint: 'GET *' });
    expect(await counters.get(counterKeyOf(consumers.down))).toBe(0);
  });

  it('answers 504 when the upstream is slower than the timeout', async () => {
    const started = performance.now();
    const response = await viaGateway('/echo/slow?delay=5000', { key: keyOf(consumers.slow) });
    expect(response.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(json<{ title: string }>(response.body).title).toBe('Gateway timeout');
    const [event] = await eventsOf(consumers.slow, 1);
    expect(event).toMatchObject({ status: 504, counted: false });
    expect(await counters.get(counterKeyOf(consumers.slow))).toBe(0);
  });

  it('streams a 5 MB body to the upstream and a 5 MB body back', async () => {
    const size = 5 * 1024 * 1024;
    const response = await viaGateway(`/echo/upload?bytes=${size}`, {
      key: keyOf(consumers.large),
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(size, 7),
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-echo-body-bytes']).toBe(String(size));
    expect(response.body.length).toBe(size);
    const [event] = await eventsOf(consumers.large, 1);
    expect(event).toMatchObject({
      endpoint: 'POST /upload',
      requestBytes: size,
      responseBytes: size,
      counted: true,
    });
  });

  it('streams a chunked request body (no Content-Length) to the upstream', async () => {
    const response = await request(`${gateway.url}/echo/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyOf(consumers.chunked)}` },
      body: Readable.from([Buffer.from('chunk-one,'), Buffer.from('chunk-two')]),
    });
    const reply = (await response.body.json()) as EchoReply;
    expect(response.statusCode).toBe(200);
    expect(reply.body).toBe('chunk-one,chunk-two');
    expect(reply.bodyBytes).toBe(19);
    const [event] = await eventsOf(consumers.chunked, 1);
    expect(event.requestBytes).toBe(19);
  });

  it('propagates the client X-Request-Id to the upstream and back', async () => {
    const response = await viaGateway('/echo/v1/orders/5', {
      key: keyOf(consumers.requestId),
      headers: { 'x-request-id': 'client-chosen-id-123' },
    });
    expect(response.headers['x-request-id']).toBe('client-chosen-id-123');
    expect(json<EchoReply>(response.body).headers['x-request-id']).toBe('client-chosen-id-123');
    const [event] = await eventsOf(consumers.requestId, 1);
    expect(event.id).not.toBe('client-chosen-id-123'); // event ids stay UUIDv7s
  });

  it('records exactly one event per identified request', async () => {
    const key = keyOf(consumers.counting);
    const statuses = await Promise.all([
      viaGateway('/echo/v1/orders/1', { key }),
      viaGateway('/echo/v1/orders/2?status=404', { key }),
      viaGateway('/echo/v1/orders/3?status=503', { key }),
      viaGateway('/echo/v1/orders/4', { key, method: 'POST', body: 'hello' }),
      viaGateway('/echo/v1/orders/5'), // no key: not identified, no event
      viaGateway('/unknown-api/x', { key }), // routed nowhere: not identified, no event
    ]).then((responses) => responses.map((response) => response.status));
    expect(statuses).toEqual([200, 404, 503, 200, 401, 404]);
    const events = await eventsOf(consumers.counting, 4);
    expect(events).toHaveLength(4);
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
    expect(events.map((event) => [event.status, event.counted]).sort()).toEqual([
      [200, true],
      [200, true],
      [404, true],
      [503, false],
    ]);
    expect(events.find((event) => event.method === 'POST')).toMatchObject({
      endpoint: 'POST *',
      requestBytes: 5,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await allEvents()).filter((event) => event.consumerId === consumers.counting)).toHaveLength(4);
  });

  it('records a client that gives up as 499, once', async () => {
    const controller = new AbortController();
    const pending = request(`${gateway.url}/echo/v1/orders/1?delay=2000`, {
      headers: { authorization: `Bearer ${keyOf(consumers.aborting)}` },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow();
    const [event] = await eventsOf(consumers.aborting, 1);
    expect(event).toMatchObject({ status: 499, upstreamLatencyMs: 0 });
  });

  it('answers 503 while the quota counters are unreachable', async () => {
    counters.setFailing(true);
    try {
      const response = await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.countersDown) });
      expect(response.status).toBe(503);
      expect(response.headers['content-type']).toBe('application/problem+json');
    } finally {
      counters.setFailing(false);
    }
    const [event] = await eventsOf(consumers.countersDown, 1);
    expect(event).toMatchObject({ status: 503, counted: false });
  });

  it('decides locally at the plan limits ÷ nodes when its plan fails open and the counters are unreachable', async () => {
    counters.setFailing(true);
    const statuses: number[] = [];
    try {
      for (let call = 0; call < 6; call += 1) {
        statuses.push((await viaGateway('/echo/v1/orders/1', { key: keyOf(consumers.failOpen) })).status);
      }
    } finally {
      counters.setFailing(false);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]); // one node: the whole quota of 4
    expect(await registry.metrics()).toMatch(/tollgate_gateway_local_decisions_total 6/);
    // Carried over to the shared counters once they answer again.
    await failover.carryOver();
    expect(await counters.get(counterKeyOf(consumers.failOpen))).toBe(4);
  });

  it('exposes request and upstream-latency metrics', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/tollgate_gateway_requests_total\{status_class="2xx",outcome="proxied"\} \d+/);
    // 429s of every limit share the outcome: one quota, one rate, one concurrency, two overage-ceiling.
    expect(text).toMatch(/tollgate_gateway_requests_total\{status_class="4xx",outcome="quota_exceeded"\} 5/);
    expect(text).toMatch(/tollgate_gateway_upstream_latency_seconds_count \d+/);
    expect(text).toMatch(/tollgate_gateway_access_log_pending \d+/);
  });

  it('drains an in-flight request on close before stopping', async () => {
    const draining = await createGatewayServer({
      host: '127.0.0.1',
      port: 0,
      snapshots: store,
      counters,
      accessLog,
      logger,
      upstreamTimeoutMs: 5000,
    });
    const inFlight = call(draining.url, '/echo/v1/orders/1?delay=400', { key: keyOf(consumers.drain) });
    const deadline = Date.now() + 2000;
    while (draining.handler.activeRequests === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(draining.handler.activeRequests).toBe(1);

    let closed = false;
    const closing = draining.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(call(draining.url, '/echo/v1/orders/2', { key: keyOf(consumers.drain) })).rejects.toThrow();
    expect(closed).toBe(false);

    const response = await inFlight;
    expect(response.status).toBe(200);
    await closing;
    // close() flushed the emitter: the event is there without waiting.
    expect(producer.events(TOPIC).filter((event) => event.consumerId === consumers.drain)).toHaveLength(1);
  });
});
