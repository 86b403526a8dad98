import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  Controller,
  Get,
  InternalServerErrorException,
  type MiddlewareConsumer,
  Module,
  Res,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ACCESS_LOG_TOPIC, type AccessLogEvent } from '@tollgate/access-log';
import { createMemoryCounters } from '@tollgate/counters';
import { type AccessLogEmitter, createAccessLogEmitter, SnapshotStore } from '@tollgate/gateway-data-plane';
import {
  createTollgateMeter,
  reportUsage,
  tollgateExpress,
  tollgateFastify,
  tollgateHttp,
  TollgateModule,
  TollgateNestMiddleware,
  type TollgateMeter,
} from '@tollgate/gateway-middleware';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { hashApiKey } from '@tollgate/ids';
import { createLogger } from '@tollgate/observability';
import { type Counters, type EventLogProducer, type OutgoingMessage } from '@tollgate/ports';
import express from 'express';
import Fastify, { type FastifyReply } from 'fastify';

jest.setTimeout(30_000);

/** Keeps what the access-log emitter sends, so the test can read the events back. */
class RecordingProducer implements EventLogProducer {
  readonly messages: OutgoingMessage[] = [];
  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (topic === ACCESS_LOG_TOPIC) this.messages.push(...messages);
  }
  async close(): Promise<void> {}
  events(): AccessLogEvent[] {
    return this.messages.map((message) => JSON.parse(message.value) as AccessLogEvent);
  }
}

const keys = {
  ok: 'tg_mw_ok_key',
  quota: 'tg_mw_quota_key',
  failing: 'tg_mw_failing_key',
  capped: 'tg_mw_capped_key',
};

function snapshot(): GatewaySnapshot {
  const consumer = (id: string) => ({
    id,
    status: 'active' as const,
    suspendedReason: null,
    planId: 'plan_three',
    planVersion: 1,
    periodAnchor: '2025-01-15T00:00:00.000Z',
    timeZone: 'UTC',
  });
  return {
    version: 'mw-1',
    generatedAt: Date.now(),
    apis: [
      {
        id: 'api_orders',
        name: 'orders',
        pathPrefix: '/v1',
        upstreamUrl: 'http://127.0.0.1:1', // never called: the provider's own server answers
        stripPrefix: false,
        routes: [
          { method: 'GET', pathTemplate: '/orders/:id', endpoint: 'GET /v1/orders/:id', costWeight: 1 },
          { method: 'GET', pathTemplate: '/fail', endpoint: 'GET /v1/fail', costWeight: 1 },
        ],
      },
    ],
    plans: [
      {
        id: 'plan_three',
        version: 1,
        name: 'Three',
        quota: { limit: 3, period: 'month' },
        rateLimit: null,
        concurrency: 2,
        allowedEndpoints: null,
        countPolicy: { count4xx: true, count5xx: false },
      },
    ],
    consumers: [
      consumer('cons_ok'),
      consumer('cons_quota'),
      consumer('cons_failing'),
      { ...consumer('cons_capped'), spendCap: { units: 1, amountMinor: 3, currency: 'usd' } },
    ],
    keys: Object.entries(keys).map(([name, secret]) => ({
      hash: hashApiKey(secret),
      keyId: `key_${name}`,
      consumerId: `cons_${name}`,
      expiresAt: null,
    })),
  };
}

/** The provider's "business logic", the same for every framework. */
const orderBody = JSON.stringify({ id: '42', total: 12550 });

interface TestApp {
  url: string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

async function startHttp(meter: TollgateMeter): Promise<TestApp> {
  const server = createServer(
    tollgateHttp(meter)((request, response) => {
      if (request.url === '/v1/orders/helper') {
        // Usage reported through the request helper instead of the header.
        reportUsage(request, { txn_value: 12550 });
        reportUsage(request, { txn_value: 50, sms: 1 });
        response.writeHead(200, ['content-type', 'application/json']).end(orderBody);
        return;
      }
      if (request.url === '/v1/fail') {
        response.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'Tollgate-Usage': 'sms=2' });
      response.end(orderBody);
    }),
  );
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

async function startExpress(meter: TollgateMeter): Promise<TestApp> {
  const app = express();
  app.use(tollgateExpress(meter));
  app.get('/v1/orders/:id', (_request, response) => {
    response.set('Tollgate-Usage', 'sms=2').type('application/json').send(orderBody);
  });
  app.get('/v1/fail', (_request, response) => {
    response.status(500).send('boom');
  });
  const server = createServer(app);
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

async function startFastify(meter: TollgateMeter): Promise<TestApp> {
  const app = Fastify();
  await app.register(tollgateFastify(meter));
  app.get('/v1/orders/:id', async (_request, reply) => {
    void reply.header('Tollgate-Usage', 'sms=2').type('application/json');
    return orderBody;
  });
  app.get('/v1/fail', async (_request, reply) => reply.code(500).send('boom'));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

@Controller('v1')
class OrdersController {
  @Get('orders/:id')
  order(@Res({ passthrough: true }) reply: FastifyReply): unknown {
    void reply.header('Tollgate-Usage', 'sms=2');
    return JSON.parse(orderBody) as unknown;
  }

  @Get('fail')
  fail(): never {
    throw new InternalServerErrorException('boom');
  }
}

async function startNest(meter: TollgateMeter): Promise<TestApp> {
  @Module({ imports: [TollgateModule.forMeter(meter)], controllers: [OrdersController] })
  class AppModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(TollgateNestMiddleware).forRoutes(OrdersController);
    }
  }
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  return { url: await app.getUrl(), close: () => app.close() };
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const frameworks: Array<[string, (meter: TollgateMeter) => Promise<TestApp>]> = [
  ['node:http', startHttp],
  ['express', startExpress],
  ['fastify', startFastify],
  ['nest (fastify platform)', startNest],
];

describe.each(frameworks)('embedded middleware on %s', (_name, start) => {
  const logger = createLogger({ app: 'middleware-it', level: 'silent' });
  let producer: RecordingProducer;
  let accessLog: AccessLogEmitter;
  let counters: Counters;
  let meter: TollgateMeter;
  let app: TestApp;

  beforeAll(async () => {
    producer = new RecordingProducer();
    accessLog = createAccessLogEmitter({ producer, topic: ACCESS_LOG_TOPIC, logger, lingerMs: 1 });
    counters = createMemoryCounters();
    const snapshots = new SnapshotStore();
    snapshots.replace(snapshot());
    meter = createTollgateMeter({ snapshots, counters, accessLog, apiId: 'api_orders', logger });
    app = await start(meter);
  });

  afterAll(async () => {
    await app.close();
    await meter.whenIdle();
    await accessLog.close();
    await counters.close();
  });

  const get = (path: string, key?: string): Promise<Response> =>
    fetch(`${app.url}${path}`, { headers: key === undefined ? {} : { 'x-api-key': key } });
  const eventsOf = (consumerId: string): AccessLogEvent[] =>
    producer.events().filter((event) => event.consumerId === consumerId);

  it('serves a valid key, strips Tollgate-Usage and emits exactly one event', async () => {
    const response = await fetch(`${app.url}/v1/orders/42`, {
      headers: { authorization: `Bearer ${keys.ok}` },
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text())).toEqual({ id: '42', total: 12550 });
    expect(response.headers.get('tollgate-usage')).toBeNull();
    expect(response.headers.get('x-ratelimit-limit')).toBe('3');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(response.headers.get('ratelimit-policy')).toContain('"quota";q=3');
    await eventually(() => eventsOf('cons_ok').length === 1, 'the access-log event');
    await new Promise((resolve) => setTimeout(resolve, 50)); // a second event would show up by now
    const events = eventsOf('cons_ok');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      consumerId: 'cons_ok',
      planId: 'plan_three',
      apiId: 'api_orders',
      endpoint: 'GET /v1/orders/:id',
      method: 'GET',
      status: 200,
      counted: true,
      cached: false,
      usage: { sms: 2 },
    });
    expect(events[0].responseBytes).toBeGreaterThan(0);
    expect(events[0].id).toBe(response.headers.get('x-request-id'));
  });

  it('answers 401 problem+json without a key, and with an unknown one', async () => {
    const missing = await get('/v1/orders/42');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="tollgate"');
    expect(((await missing.json()) as { status: number }).status).toBe(401);
    const unknown = await get('/v1/orders/42', 'tg_not_a_key');
    expect(unknown.status).toBe(401);
  });

  it('admits 3 requests on a quota of 3 and refuses the 4th with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await get('/v1/orders/7', keys.quota);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await get('/v1/orders/7', keys.quota);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await refused.json()).toMatchObject({ status: 429, limit: 'quota' });
    await eventually(() => eventsOf('cons_quota').length === 4, 'four events');
    expect(eventsOf('cons_quota').map((event) => [event.status, event.counted])).toEqual([
      [200, true],
      [200, true],
      [200, true],
      [429, false],
    ]);
  });

  it('refuses with 402 once the spend cap would be passed, before the quota', async () => {
    const admitted = await get('/v1/orders/7', keys.capped);
    expect(admitted.status).toBe(200);
    await admitted.arrayBuffer();
    const refused = await get('/v1/orders/7', keys.capped);
    expect(refused.status).toBe(402);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(await refused.json()).toMatchObject({
      type: 'https://tollgate.dev/problems/spend-cap-reached',
      status: 402,
      limit: 'spend_cap',
      capMinor: 3,
    });
  });

  it('refunds a 500 from the handler (counted: false), so the full quota stays available', async () => {
    const failed = await get('/v1/fail', keys.failing);
    expect(failed.status).toBe(500);
    await failed.arrayBuffer();
    await eventually(() => eventsOf('cons_failing').length === 1, 'the 500 event');
    expect(eventsOf('cons_failing')[0]).toMatchObject({
      status: 500,
      counted: false,
      endpoint: 'GET /v1/fail',
    });
    await meter.whenIdle(); // the refund has reached the counters
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await get('/v1/orders/1', keys.failing);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200]);
  });
});

describe('embedded middleware on node:http: usage through the request helper', () => {
  const logger = createLogger({ app: 'middleware-it', level: 'silent' });

  it("adds up reportUsage() calls into the event and still answers with the handler's headers", async () => {
    const producer = new RecordingProducer();
    const accessLog = createAccessLogEmitter({ producer, topic: ACCESS_LOG_TOPIC, logger, lingerMs: 1 });
    const counters = createMemoryCounters();
    const snapshots = new SnapshotStore();
    snapshots.replace(snapshot());
    const meter = createTollgateMeter({ snapshots, counters, accessLog, pathPrefix: '/v1', logger });
    const app = await startHttp(meter);
    try {
      const response = await fetch(`${app.url}/v1/orders/helper`, { headers: { 'x-api-key': keys.ok } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      await response.arrayBuffer();
      await eventually(() => producer.events().length === 1, 'the access-log event');
      expect(producer.events()[0]).toMatchObject({
        endpoint: 'GET /v1/orders/:id',
        status: 200,
        counted: true,
        usage: { txn_value: 12600, sms: 1 },
      });
    } finally {
      await app.close();
      await meter.whenIdle();
      await accessLog.close();
      await counters.close();
    }
  });
});
