import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessLogEvent } from '@tollgate/access-log';
import { startStripeTestServer, type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { type ReceivedMail, startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { Kafka, logLevel } from 'kafkajs';
import Stripe from 'stripe';
import { adminClient } from './support/admin-client';
import {
  type AppProcess,
  eventually,
  type EmbeddedPlatform,
  freePort,
  startApp,
  startEmbeddedPlatform,
} from './support/app-process';
import { databaseUrl, kafkaBrokers, redisUrl, withPostgres } from './support/services';

jest.setTimeout(600_000);

const webhookSecret = 'whsec_e2e_billing_secret_0123456789abcdef';
const lateEventGraceMs = 5_000;

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface ConsumerDetail {
  id: string;
  email: string;
  webhookSecret: string | null;
  status: string;
  subscription: {
    id: string;
    status: string;
    planId: string;
    currentPeriod: { start: string; end: string };
    stripeCustomerId: string | null;
    stripeSubscriptionId: string | null;
  } | null;
}

/** Verifies `Tollgate-Signature: t=<seconds>,v1=<hex>` independently of the product's code. */
function signatureVerifies(body: string, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = parts.get('t');
  const given = parts.get('v1');
  if (!timestamp || !given) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const actual = Buffer.from(given, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const waitFor = <T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
) => eventually(probe, accept, timeoutMs, what);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The billing loop end to end against Kafka, PostgreSQL, Redis, chDB, a real SMTP server and the
 * Stripe-compatible test server: quota alerts by mail and signed webhook, the exactly-once usage
 * push with a late-event correction, and dunning through to keys refused by the gateway.
 */
describe('billing end to end (Kafka, PostgreSQL, Redis, chDB, SMTP, Stripe test server)', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `tollgate_it_billing_${suffix}`;
  const accessLogTopic = `tollgate.access-log.billing-${suffix}`;
  let smtp: TestSmtpServer;
  let stripeServer: StripeTestServer;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: Delivery[] = [];
  let embedded: EmbeddedPlatform;
  // A standalone gateway beside the platform's own: it pulls the control plane's snapshots.
  let standaloneGateway: AppProcess | undefined;
  let standaloneGatewayUrl: string;
  let gatewayDirectory: string | undefined;
  const gatewayToken = `tg_gateway_billing_${randomBytes(16).toString('hex')}`;
  let admin: ReturnType<typeof adminClient>;
  let consumer: ConsumerDetail;
  let key: string;

  const gatewayCall = async (gatewayUrl = embedded.demo.gatewayUrl) => {
    const response = await fetch(`${gatewayUrl}${embedded.demo.demoPath}`, {
      headers: { 'x-api-key': key },
    });
    await response.arrayBuffer();
    return response.status;
  };
  const consumerNow = () => admin<ConsumerDetail>('GET', `/api/admin/consumers/${consumer.id}`);
  const mailsTo = (address: string): ReceivedMail[] =>
    smtp.messages.filter((mail) => mail.to.includes(address));
  const meterEventsOf = (customerId: string) =>
    stripeServer.meterEvents.filter((event) => event.customerId === customerId);
  const metric = async (name: string, labels: string): Promise<number> => {
    const text = await (await fetch(`${embedded.demo.apiUrl}/metrics`)).text();
    // Labels in the order the registry writes them; the app's default label follows.
    const line = text
      .split('\n')
      .find((entry) => entry.startsWith(`${name}{${labels},`) || entry.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    stripeServer = await startStripeTestServer();
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tollgate-alerts`;
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));

    embedded = await startEmbeddedPlatform('billing-e2e', {
      DATABASE_URL: databaseUrl(database),
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `tg-billing-${suffix}:`,
      JOBS_QUEUE_PREFIX: `tg-billing-${suffix}`,
      ACCESS_LOG_TOPIC: accessLogTopic,
      ACCESS_LOG_PARTITIONS: '2',
      INGEST_TOPIC: `${accessLogTopic}.ingest`,
      QUOTA_EVENTS_TOPIC: `${accessLogTopic}.quota-events`,
      METERING_GROUP_ID: `tg-billing-metering-${suffix}`,
      SMTP_URL: smtp.url,
      STRIPE_SECRET_KEY: 'sk_test_tollgate_billing_e2e',
      STRIPE_API_BASE: stripeServer.url,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      BILLING_SYNC_INTERVAL_MS: '1000',
      BILLING_PUSH_INTERVAL_MS: '1500',
      ALERT_RECHECK_INTERVAL_MS: '2000',
      DUNNING_INTERVAL_MS: '1000',
      LATE_EVENT_GRACE_MS: String(lateEventGraceMs),
      METERING_FLUSH_MS: '200',
      GATEWAY_TOKEN: gatewayToken,
      // The webhook receiver listens on 127.0.0.1.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    const gatewayPort = await freePort();
    const gatewayOpsPort = await freePort();
    standaloneGateway = startApp('apps/gateway/src/main.ts', {
      PLANS_URL: embedded.demo.apiUrl,
      GATEWAY_TOKEN: gatewayToken,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_OPS_PORT: String(gatewayOpsPort),
      SNAPSHOT_POLL_MS: '500',
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `tg-billing-${suffix}:`,
      ACCESS_LOG_TOPIC: accessLogTopic,
      QUOTA_EVENTS_TOPIC: `${accessLogTopic}.quota-events`,
      TOLLGATE_DATA_DIR: (gatewayDirectory = await mkdtemp(join(tmpdir(), 'tollgate-billing-gateway-'))),
    });
    standaloneGatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await waitFor(
      'the standalone gateway ready',
      async () => (await fetch(`http://127.0.0.1:${gatewayOpsPort}/readyz`)).status,
      (status) => status === 200,
      60_000,
    );
    admin = adminClient(() => embedded.demo.apiUrl, embedded.demo.adminToken);

    const plan = await admin<{ id: string }>('POST', '/api/admin/plans', {
      name: `Metered 20 ${suffix}`,
      tier: 'subscription',
      quota: { limit: 20, period: 'month' },
      prices: [{ type: 'per_unit', unitAmountMinor: 5, currency: 'usd' }],
      gracePeriodDays: 3,
      pastDuePolicy: 'suspend',
    });
    const created = await admin<{ id: string }>('POST', '/api/admin/consumers', {
      name: 'Billing E2E',
      email: `billing-e2e-${suffix}@example.com`,
      planId: plan.id,
      webhookUrl: receiverUrl,
    });
    consumer = await admin<ConsumerDetail>('GET', `/api/admin/consumers/${created.id}`);
    key = (await admin<{ key: string }>('POST', `/api/admin/consumers/${created.id}/keys`, {})).key;
    // The Stripe sync gives the consumer a customer and its subscription a Stripe subscription.
    consumer = await waitFor(
      'the subscription synced to Stripe',
      consumerNow,
      (current) =>
        Boolean(current.subscription?.stripeSubscriptionId && current.subscription.stripeCustomerId),
      60_000,
    );
  });

  afterAll(async () => {
    await standaloneGateway?.stop('SIGKILL');
    if (gatewayDirectory) await rm(gatewayDirectory, { recursive: true, force: true });
    await embedded?.dispose();
    await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    await new Promise((resolve) => receiver?.close(resolve));
    await stripeServer?.close();
    await smtp?.close();
  });

  it('alerts at 80, 95 and 100 % exactly once by mail and signed webhook, and refuses requests 21–25', async () => {
    const statuses: number[] = [];
    for (let request = 1; request <= 25; request += 1) statuses.push(await gatewayCall());
    expect(statuses.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);

    await waitFor(
      'three alert mails',
      async () => mailsTo(consumer.email).length,
      (count) => count >= 3,
      60_000,
    );
    await waitFor(
      'three webhook deliveries',
      async () => deliveries.length,
      (count) => count >= 3,
      60_000,
    );
    // Let the scheduled recheck from ClickHouse run a few times: it must not add a fourth notice.
    const rechecks = await metric('tollgate_job_runs_total', 'job="billing.alert-recheck"');
    await waitFor(
      'two more alert rechecks',
      () => metric('tollgate_job_runs_total', 'job="billing.alert-recheck"'),
      (runs) => runs >= rechecks + 2,
      60_000,
    );

    const mails = mailsTo(consumer.email);
    expect(mails).toHaveLength(3);
    // The 16th, 19th and 20th request crossed 80, 95 and 100 % of 20.
    const mailTexts = mails.map((mail) => mail.text ?? '');
    expect(mailTexts[0]).toMatch(/16 of 20/);
    expect(mailTexts[1]).toMatch(/19 of 20/);
    expect(mailTexts[2]).toMatch(/20 of 20/);
    expect(mails.map((mail) => mail.subject)).toEqual([
      expect.stringContaining('80'),
      expect.stringContaining('95'),
      expect.stringMatching(/used up, requests are refused until/),
    ]);
    for (const mail of mails) expect(mail.html).toContain('/portal/plans');

    expect(deliveries).toHaveLength(3);
    const secret = consumer.webhookSecret ?? '';
    expect(secret).not.toBe('');
    for (const delivery of deliveries) {
      expect(signatureVerifies(delivery.body, delivery.headers['tollgate-signature'] as string, secret)).toBe(
        true,
      );
      expect(
        signatureVerifies(delivery.body, delivery.headers['tollgate-signature'] as string, `${secret}x`),
      ).toBe(false);
    }
    const payloads = deliveries.map(
      (delivery) =>
        JSON.parse(delivery.body) as {
          type: string;
          data: { threshold: number; used: number; limit: number };
        },
    );
    expect(
      payloads.map((payload) => [
        payload.type,
        payload.data.threshold,
        payload.data.used,
        payload.data.limit,
      ]),
    ).toEqual([
      ['usage.threshold_reached', 80, 16, 20],
      ['usage.threshold_reached', 95, 19, 20],
      ['usage.threshold_reached', 100, 20, 20],
    ]);
  });

  it('pushes exactly the 20 counted requests to Stripe, a re-run sends nothing, and a late event is one correction', async () => {
    const customerId = consumer.subscription?.stripeCustomerId ?? '';
    await waitFor(
      'meter events summing to 20',
      async () => meterEventsOf(customerId).reduce((sum, event) => sum + event.value, 0),
      (sum) => sum === 20,
      90_000,
    );
    const sent = meterEventsOf(customerId).length;
    const meterCalls = () =>
      stripeServer.calls.filter((call) => call.path === '/v1/billing/meter_events').length;
    const callsBefore = meterCalls();
    const pushes = await metric('tollgate_job_runs_total', 'job="billing.usage-push"');
    await waitFor(
      'two more usage pushes',
      () => metric('tollgate_job_runs_total', 'job="billing.usage-push"'),
      (runs) => runs >= pushes + 2,
      60_000,
    );
    expect(meterCalls()).toBe(callsBefore);
    expect(meterEventsOf(customerId)).toHaveLength(sent);

    // A gateway's record that reaches the log long after its request (a replayed spool): metering
    // stores it with a correction, and the next push reports it as one explicit correction event.
    const subscription = consumer.subscription;
    if (!subscription) throw new Error('no subscription');
    const periodStart = Date.parse(subscription.currentPeriod.start);
    const waitMs = periodStart + lateEventGraceMs + 6_000 - Date.now();
    if (waitMs > 0) await sleep(waitMs);
    const eventTime = Date.now() - lateEventGraceMs - 5_000;
    expect(eventTime).toBeGreaterThan(periodStart);
    const late: AccessLogEvent = {
      id: randomUUID(),
      ts: eventTime,
      consumerId: consumer.id,
      planId: subscription.planId,
      apiId: 'late-replay',
      endpoint: 'GET /late',
      method: 'GET',
      status: 200,
      requestBytes: 0,
      responseBytes: 2,
      latencyMs: 1,
      upstreamLatencyMs: 1,
      cached: false,
      counted: true,
      usage: {},
    };
    const kafka = new Kafka({
      brokers: kafkaBrokers.split(','),
      clientId: 'billing-e2e',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: accessLogTopic,
      messages: [{ key: consumer.id, value: JSON.stringify(late) }],
    });
    await producer.disconnect();

    await waitFor(
      'the correction pushed',
      async () => meterEventsOf(customerId).reduce((sum, event) => sum + event.value, 0),
      (sum) => sum === 21,
      90_000,
    );
    expect(meterEventsOf(customerId)).toHaveLength(sent + 1);
    const billing = await admin<{ pushes: Array<{ kind: string; quantity: string }> }>(
      'GET',
      `/api/admin/consumers/${consumer.id}/billing`,
    );
    expect(billing.pushes.filter((push) => push.kind === 'correction')).toEqual([
      expect.objectContaining({ kind: 'correction', quantity: '1' }),
    ]);
    // And again nothing more.
    const settled = await metric('tollgate_job_runs_total', 'job="billing.usage-push"');
    await waitFor(
      'two more usage pushes',
      () => metric('tollgate_job_runs_total', 'job="billing.usage-push"'),
      (runs) => runs >= settled + 2,
      60_000,
    );
    expect(meterEventsOf(customerId)).toHaveLength(sent + 1);
  });

  it('payment failed → past_due and a dunning mail; after the grace period the gateway refuses the keys; a replay changes nothing; a bad signature is 400', async () => {
    const stripeSubscriptionId = consumer.subscription?.stripeSubscriptionId ?? '';
    const invoiceEvent = (type: string) => ({
      id: `evt_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type,
      created: Math.floor(Date.now() / 1000),
      api_version: '2025-10-29',
      livemode: false,
      data: {
        object: {
          id: `in_${randomBytes(8).toString('hex')}`,
          object: 'invoice',
          customer: consumer.subscription?.stripeCustomerId,
          parent: {
            type: 'subscription_details',
            subscription_details: { subscription: stripeSubscriptionId },
          },
        },
      },
    });
    const payload = JSON.stringify(invoiceEvent('invoice.payment_failed'));
    const deliver = async (signature: string, body = payload) =>
      fetch(`${embedded.demo.apiUrl}/api/billing/stripe/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body,
      });
    const signed = () => Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });

    const bad = await deliver(
      Stripe.webhooks.generateTestHeaderString({ payload, secret: `${webhookSecret}x` }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await consumerNow()).subscription?.status).toBe('active');

    const mailsBefore = mailsTo(consumer.email).length;
    expect((await deliver(signed())).status).toBe(200);
    expect((await consumerNow()).subscription?.status).toBe('past_due');
    await waitFor(
      'the dunning mail',
      async () => mailsTo(consumer.email).length,
      (count) => count === mailsBefore + 1,
      30_000,
    );
    const dunning = mailsTo(consumer.email).at(-1);
    expect(dunning?.subject).toMatch(/payment/i);

    // Within the grace period the keys still work (the quota is used up, so the answer is 429, not 401/403).
    expect(await gatewayCall()).toBe(429);
    expect(await gatewayCall(standaloneGatewayUrl)).toBe(429);

    // A replay of the same event changes nothing and sends no second mail.
    const replay = await deliver(signed());
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: true, duplicate: true });
    expect((await consumerNow()).subscription?.status).toBe('past_due');

    // The operator shortens the plan's grace period to none: the next dunning run finds it over.
    await admin('PATCH', `/api/admin/plans/${consumer.subscription?.planId}`, { gracePeriodDays: 0 });
    await waitFor('the consumer suspended', consumerNow, (current) => current.status === 'suspended', 30_000);
    await waitFor(
      'the gateway refusing the key',
      () => gatewayCall(),
      (status) => status === 403,
      30_000,
    );
    await waitFor(
      'the standalone gateway refusing the key',
      () => gatewayCall(standaloneGatewayUrl),
      (status) => status === 403,
      30_000,
    );
    await sleep(2_500);
    const after = mailsTo(consumer.email).slice(mailsBefore);
    expect(after.map((mail) => mail.subject)).toEqual([
      expect.stringMatching(/payment/i),
      expect.stringMatching(/suspend/i),
    ]);

    // The invoice is paid: the subscription is active again, the keys work again, and a notice says so.
    const paid = JSON.stringify(invoiceEvent('invoice.paid'));
    const paidResponse = await deliver(
      Stripe.webhooks.generateTestHeaderString({ payload: paid, secret: webhookSecret }),
      paid,
    );
    expect(paidResponse.status).toBe(200);
    await waitFor('the consumer reactivated', consumerNow, (current) => current.status === 'active', 30_000);
    expect((await consumerNow()).subscription?.status).toBe('active');
    await waitFor(
      'the gateway accepting the key again',
      () => gatewayCall(),
      (status) => status === 429,
      30_000,
    );
    await waitFor(
      'the standalone gateway accepting the key again',
      () => gatewayCall(standaloneGatewayUrl),
      (status) => status === 429,
      30_000,
    );
    await waitFor(
      'the recovery notice',
      async () => mailsTo(consumer.email).length,
      (count) => count === mailsBefore + 3,
      30_000,
    );
  });

  it('a developer chooses the paid plan through Stripe Checkout: the completed session activates it; the Customer Portal link opens', async () => {
    const email = `checkout-${suffix}@example.com`;
    const password = 'correct horse battery staple';
    const portal = async (path: string, init: { method?: string; json?: unknown; cookie?: string } = {}) =>
      fetch(`${embedded.demo.apiUrl}/api/portal${path}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(init.cookie ? { cookie: init.cookie } : {}),
        },
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
    expect(
      (await portal('/signup', { method: 'POST', json: { email, password, name: 'Checkout Dev' } })).status,
    ).toBe(201);
    const verification = await waitFor(
      'the verification mail',
      async () => mailsTo(email).find((mail) => /verify/i.test(mail.subject)),
      (mail) => mail !== undefined,
      30_000,
    );
    const link = /http\S+\/api\/portal\/verify\?token=\S+/.exec(verification?.text ?? '')?.[0];
    expect((await fetch(link ?? 'http://invalid')).status).toBe(200);
    const login = await portal('/login', { method: 'POST', json: { email, password } });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const me = (await (await portal('/me', { cookie })).json()) as { consumer: { id: string } };
    const planId = consumer.subscription?.planId ?? '';

    const checkout = await portal('/checkout', { method: 'POST', json: { planId }, cookie });
    expect(checkout.status).toBe(200);
    const { url } = (await checkout.json()) as { url: string };
    const session = [...stripeServer.objects.values()].find(
      (object) => object.object === 'checkout.session' && object['client_reference_id'] === me.consumer.id,
    );
    expect(session).toBeDefined();
    // Checkout made the developer a Stripe customer first, so the session names it.
    expect(session?.['customer']).toMatch(/^cus_/);
    expect(url).toBe(session?.['url']);
    expect((await portal('/checkout', { method: 'POST', json: {}, cookie })).status).toBe(400);

    // Stripe redirects the developer back and reports the completed session.
    const completed = JSON.stringify({
      id: `evt_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      api_version: '2025-10-29',
      livemode: false,
      data: {
        object: {
          ...session,
          status: 'complete',
          subscription: `sub_checkout_${suffix}`,
        },
      },
    });
    const delivered = await fetch(`${embedded.demo.apiUrl}/api/billing/stripe/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({
          payload: completed,
          secret: webhookSecret,
        }),
      },
      body: completed,
    });
    expect(delivered.status).toBe(200);
    const upgraded = await admin<ConsumerDetail>('GET', `/api/admin/consumers/${me.consumer.id}`);
    expect(upgraded.subscription).toEqual(
      expect.objectContaining({
        planId,
        status: 'active',
        stripeSubscriptionId: `sub_checkout_${suffix}`,
        stripeCustomerId: session?.['customer'],
      }),
    );

    const billingPortal = await portal('/billing-portal', { method: 'POST', json: {}, cookie });
    expect(billingPortal.status).toBe(200);
    const portalUrl = ((await billingPortal.json()) as { url: string }).url;
    const portalSession = [...stripeServer.objects.values()].find((object) => object['url'] === portalUrl);
    expect(portalSession?.object).toBe('billing_portal.session');
    expect(portalSession?.['customer']).toBe(session?.['customer']);

    // Stripe bills the period: the invoice is listed in the portal with its links.
    const invoice = stripeServer.createInvoice(String(session?.['customer']), { amount_due: 1250 });
    const invoices = await portal('/invoices?limit=5', { cookie });
    expect(invoices.status).toBe(200);
    expect(await invoices.json()).toEqual([
      expect.objectContaining({
        id: invoice.id,
        number: invoice['number'],
        status: 'paid',
        amountDueMinor: 1250,
        amountPaidMinor: 1250,
        hostedInvoiceUrl: invoice['hosted_invoice_url'],
        invoicePdfUrl: invoice['invoice_pdf'],
      }),
    ]);
    expect((await portal('/invoices?limit=0', { cookie })).status).toBe(400);
  });
});
