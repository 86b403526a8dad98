import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { adminClient, type AdminCall } from './support/admin-client';
import { type EmbeddedPlatform, startEmbeddedPlatform } from './support/app-process';
import { type PortalCall, portalClient, verifiedDeveloper } from './support/portal-developer';
import { databaseUrl, withPostgres } from './support/services';

jest.setTimeout(300_000);

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface AlertView {
  id: string;
  kind: string;
  threshold: number;
  usedUnits: number | null;
  limitUnits: number | null;
  createdAt: string;
  dismissedAt: string | null;
}
interface Delivery {
  id: string;
  eventType: string;
  status: string;
  responseStatus: number | null;
  body: string;
}

/**
 * The portal's billing endpoints against the embedded platform on a real Postgres database:
 * the alert banner, alert settings and webhook secret, a signed test delivery, the estimate and
 * forecast, and the checkout links (404 without a billing provider); plus the admin views.
 */
describe('portal billing endpoints (embedded platform, Postgres)', () => {
  const database = `tollgate_portal_billing_${process.pid}_${Date.now()}`;
  let embedded: EmbeddedPlatform;
  let admin: AdminCall;
  let portal: PortalCall;
  let sql: Client;
  let receiver: Server;
  let receiverUrl = '';
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let alice = { cookie: '', consumerId: '' };
  let bob = { cookie: '', consumerId: '' };

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
    embedded = await startEmbeddedPlatform('portal-billing', {
      DATABASE_URL: databaseUrl(database),
      // The receiver listens on 127.0.0.1.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    admin = adminClient(() => embedded.demo.apiUrl, embedded.demo.adminToken);
    portal = portalClient(() => embedded);
    sql = new Client({ connectionString: databaseUrl(database) });
    await sql.connect();
    alice = await verifiedDeveloper(embedded, 'alice@example.com', 'Alice');
    bob = await verifiedDeveloper(embedded, 'bob@example.com', 'Bob');
  });

  afterAll(async () => {
    await sql?.end();
    await embedded?.dispose();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });

  const json = async <T>(response: Response, status = 200): Promise<T> => {
    const text = await response.text();
    if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  const problem = async (response: Response, status: number): Promise<Problem> => {
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    return json<Problem>(response, status);
  };

  async function insertAlert(consumerId: string, kind: string, threshold: number, periodStart: Date) {
    const subscription = await sql.query<{ id: string }>(
      `SELECT id FROM subscriptions WHERE consumer_id = $1 AND status <> 'canceled' ORDER BY created_at DESC LIMIT 1`,
      [consumerId],
    );
    const id = `alrt_${kind}_${threshold}_${consumerId}`;
    await sql.query(
      `INSERT INTO alerts (id, subscription_id, consumer_id, kind, period_start, threshold, used_units, limit_units, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'test')`,
      [id, subscription.rows[0].id, consumerId, kind, periodStart, threshold, threshold * 10, 1000],
    );
    return id;
  }

  it('shows the current period alerts in the banner, dismisses them once, and keeps them to their owner', async () => {
    const me = await json<{ subscription: { currentPeriod: { start: string } } }>(
      await portal('/me', { cookie: alice.cookie }),
    );
    const periodStart = new Date(me.subscription.currentPeriod.start);
    const eighty = await insertAlert(alice.consumerId, 'quota_threshold', 80, periodStart);
    await insertAlert(alice.consumerId, 'quota_threshold', 95, periodStart);
    // Last period's alert is not in this period's banner.
    await insertAlert(
      alice.consumerId,
      'quota_exhausted',
      100,
      new Date(periodStart.getTime() - 40 * 86_400_000),
    );
    await sql.query(`UPDATE alerts SET created_at = $1 WHERE kind = 'quota_exhausted'`, [
      new Date(periodStart.getTime() - 40 * 86_400_000),
    ]);

    const banner = await json<AlertView[]>(await portal('/alerts', { cookie: alice.cookie }));
    expect(banner.map((alert) => [alert.kind, alert.threshold])).toEqual(
      expect.arrayContaining([
        ['quota_threshold', 80],
        ['quota_threshold', 95],
      ]),
    );
    expect(banner).toHaveLength(2);
    expect(banner[0]).toMatchObject({ usedUnits: expect.any(Number) as number, limitUnits: 1000 });

    expect((await portal(`/alerts/${eighty}/dismiss`, { method: 'POST', cookie: bob.cookie })).status).toBe(
      404,
    );
    const dismissed = await json<AlertView>(
      await portal(`/alerts/${eighty}/dismiss`, { method: 'POST', cookie: alice.cookie }),
    );
    expect(dismissed.dismissedAt).not.toBeNull();
    const again = await json<AlertView>(
      await portal(`/alerts/${eighty}/dismiss`, { method: 'POST', cookie: alice.cookie }),
    );
    expect(again.dismissedAt).toBe(dismissed.dismissedAt);
    const after = await json<AlertView[]>(await portal('/alerts', { cookie: alice.cookie }));
    expect(after.map((alert) => alert.threshold)).toEqual([95]);
    expect(await json<AlertView[]>(await portal('/alerts', { cookie: bob.cookie }))).toEqual([]);
    expect((await portal('/alerts')).status).toBe(401);

    const history = await admin<AlertView[]>('GET', `/api/admin/consumers/${alice.consumerId}/alerts`);
    expect(history).toHaveLength(3);
  });

  it('validates alert settings, naming each bad field, and signs a test delivery with the revealed secret', async () => {
    const bad = await portal('/alert-settings', {
      method: 'PUT',
      cookie: alice.cookie,
      json: { billingEmails: ['not-an-email'], webhookUrl: 'ftp://example.com/hook' },
    });
    expect((await problem(bad, 400)).errors?.map((issue) => issue.field).sort()).toEqual([
      'billingEmails.0',
      'webhookUrl',
    ]);
    expect(
      (
        await problem(await portal('/alert-settings', { method: 'PUT', cookie: alice.cookie, json: {} }), 400)
      ).errors?.map((issue) => issue.field),
    ).toEqual(['billingEmails', 'webhookUrl']);

    // No URL yet: the test delivery is a 400 naming webhookUrl, rotation a 409.
    expect(
      (await problem(await portal('/webhooks/test', { method: 'POST', cookie: alice.cookie }), 400))
        .errors?.[0].field,
    ).toBe('webhookUrl');
    expect((await portal('/webhook-secret/rotate', { method: 'POST', cookie: alice.cookie })).status).toBe(
      409,
    );

    const settings = await json<{ billingEmails: string[]; webhookUrl: string; hasWebhookSecret: boolean }>(
      await portal('/alert-settings', {
        method: 'PUT',
        cookie: alice.cookie,
        json: { billingEmails: ['Finance@Example.com', 'finance@example.com'], webhookUrl: receiverUrl },
      }),
    );
    expect(settings).toMatchObject({
      billingEmails: ['finance@example.com'],
      webhookUrl: receiverUrl,
      hasWebhookSecret: true,
    });
    const { secret } = await json<{ secret: string }>(
      await portal('/webhook-secret', { cookie: alice.cookie }),
    );
    expect(secret).toMatch(/^whsec_/);

    const delivery = await json<Delivery>(
      await portal('/webhooks/test', { method: 'POST', cookie: alice.cookie }),
    );
    expect(delivery).toMatchObject({ eventType: 'webhook.test', status: 'delivered', responseStatus: 204 });
    expect(received).toHaveLength(1);
    const header = String(received[0].headers['tollgate-signature']);
    const [, timestamp, signature] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(header) ?? [];
    expect(signature).toBe(
      createHmac('sha256', secret).update(`${timestamp}.${received[0].body}`).digest('hex'),
    );
    expect(received[0].body).toBe(delivery.body);

    const rotated = await json<{ secret: string }>(
      await portal('/webhook-secret/rotate', { method: 'POST', cookie: alice.cookie }),
    );
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);

    const deliveries = await json<Delivery[]>(
      await portal('/webhooks/deliveries?limit=10', { cookie: alice.cookie }),
    );
    expect(deliveries.map((entry) => entry.id)).toEqual([delivery.id]);
    expect(await json<Delivery[]>(await portal('/webhooks/deliveries', { cookie: bob.cookie }))).toEqual([]);
    expect(
      (await problem(await portal('/webhooks/deliveries?limit=0', { cookie: alice.cookie }), 400)).errors?.[0]
        .field,
    ).toBe('limit');
    const adminDeliveries = await admin<Delivery[]>(
      'GET',
      `/api/admin/consumers/${alice.consumerId}/webhook-deliveries`,
    );
    expect(adminDeliveries.map((entry) => entry.id)).toEqual([delivery.id]);
  });

  it('rate-limits test deliveries to five a minute per consumer, with Retry-After', async () => {
    const carol = await verifiedDeveloper(embedded, 'carol@example.com', 'Carol');
    // Nothing listens on port 1: each test delivery fails at once with a refused connection.
    await json(
      await portal('/alert-settings', {
        method: 'PUT',
        cookie: carol.cookie,
        json: { billingEmails: [], webhookUrl: 'http://127.0.0.1:1/hook' },
      }),
    );
    // The window is a calendar minute: start well inside one so all six calls share it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_100 - intoMinute));
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const delivery = await json<Delivery>(
        await portal('/webhooks/test', { method: 'POST', cookie: carol.cookie }),
      );
      expect(delivery).toMatchObject({ status: 'failed', responseStatus: null });
    }
    const refused = await portal('/webhooks/test', { method: 'POST', cookie: carol.cookie });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect((await problem(refused, 429)).status).toBe(429);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const logged = await json<Delivery[]>(await portal('/webhooks/deliveries', { cookie: carol.cookie }));
    expect(logged).toHaveLength(5);
    // Another consumer's allowance is its own (bob has no URL: 400, not 429).
    expect((await portal('/webhooks/test', { method: 'POST', cookie: bob.cookie })).status).toBe(400);
  });

  it('estimates the period bill and forecasts it on a pay-per-call plan', async () => {
    const plan = await admin<{ id: string }>('POST', '/api/admin/plans', {
      name: 'Estimated',
      tier: 'pay_per_call',
      quota: { limit: 100, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 500, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 3, currency: 'usd' },
      ],
    });
    // A free plan rates to nothing.
    expect(
      await json<{ subtotalMinor: number; lines: unknown[] }>(
        await portal('/estimate', { cookie: alice.cookie }),
      ),
    ).toMatchObject({
      subtotalMinor: 0,
      lines: [],
    });
    await admin('PATCH', `/api/admin/consumers/${bob.consumerId}`, { planId: plan.id });
    const estimate = await json<{
      planId: string;
      currency: string;
      subtotalMinor: number;
      subtotal: string;
      lines: Array<{ type: string; amountMinor: number }>;
      forecast: { quotaLimit: number; quotaStatus: string; projectedAmountMinor: number; summary: string };
    }>(await portal('/estimate', { cookie: bob.cookie }));
    expect(estimate).toMatchObject({
      planId: plan.id,
      currency: 'usd',
      subtotalMinor: 500,
      subtotal: '5.00 USD',
    });
    expect(estimate.lines.map((line) => [line.type, line.amountMinor])).toEqual([
      ['flat', 500],
      ['per_unit', 0],
    ]);
    expect(estimate.forecast).toMatchObject({
      quotaLimit: 100,
      quotaStatus: 'not_reached',
      projectedAmountMinor: 500,
    });
    expect(estimate.forecast.summary).toMatch(/projected bill 5\.00 USD\.$/);

    // A cap below the flat fee pays for nothing: refused, naming capMinor.
    const low = await portal('/spend-cap', { method: 'PUT', cookie: bob.cookie, json: { capMinor: 100 } });
    expect((await problem(low, 400)).errors?.map((issue) => issue.field)).toEqual(['capMinor']);
    const set = await json<{ capUnits: number }>(
      await portal('/spend-cap', { method: 'PUT', cookie: bob.cookie, json: { capMinor: 530 } }),
    );
    expect(set.capUnits).toBe(10);
    const billing = await admin<{
      subscriptions: Array<{ spendCapMinor: number | null }>;
      pushesCount: number;
    }>('GET', `/api/admin/consumers/${bob.consumerId}/billing`);
    expect(billing.subscriptions[0].spendCapMinor).toBe(530);
    expect(billing.pushesCount).toBe(0);
  });

  it('answers 404 for checkout, the billing portal and invoices when no billing provider is configured', async () => {
    for (const [path, body] of [
      ['/checkout', { planId: 'plan_x' }],
      ['/billing-portal', undefined],
    ] as const) {
      const refused = await portal(path, { method: 'POST', cookie: alice.cookie, json: body });
      expect((await problem(refused, 404)).detail).toMatch(/billing is not configured/i);
    }
    expect((await portal('/checkout', { method: 'POST', json: { planId: 'plan_x' } })).status).toBe(401);
    const invoices = await portal('/invoices?limit=5', { cookie: alice.cookie });
    expect((await problem(invoices, 404)).detail).toMatch(/billing is not configured/i);
    expect((await portal('/invoices')).status).toBe(401);
  });

  it('lists the dead letters of the attached job queue', async () => {
    const failed = await admin<unknown[]>('GET', '/api/admin/jobs/failed');
    expect(failed).toEqual([]);
    const unknown = await fetch(`${embedded.demo.apiUrl}/api/admin/jobs/failed?name=nope`, {
      headers: { authorization: `Bearer ${embedded.demo.adminToken}` },
    });
    expect((await problem(unknown, 400)).errors?.[0].field).toBe('name');
  });
});
