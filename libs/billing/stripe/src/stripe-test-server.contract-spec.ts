import Stripe from 'stripe';
import { type StripeTestServer, startStripeTestServer } from './testing';

const secretKey = 'sk_test_tollgate_server';

describe('Stripe test server', () => {
  let server: StripeTestServer;
  let clock: number;
  let stripe: Stripe;

  beforeEach(async () => {
    clock = Date.now();
    server = await startStripeTestServer({ now: () => clock });
    stripe = new Stripe(secretKey, {
      host: server.host,
      port: server.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  });

  afterEach(() => server.close());

  async function post(path: string, body: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body,
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it('requires a test secret key', async () => {
    const anonymous = await fetch(`${server.url}/v1/products`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const live = new Stripe('sk_live_123', { host: server.host, port: server.port, protocol: 'http' });
    await expect(live.products.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('parses nested form parameters and records each call', async () => {
    const product = await post(
      '/v1/products',
      'name=Pro&metadata[plan]=plan_pro&metadata[tier]=2&expand[]=a&expand[]=b',
      {
        'idempotency-key': 'k1',
      },
    );
    expect(product.status).toBe(200);
    expect(product.body).toMatchObject({
      object: 'product',
      name: 'Pro',
      metadata: { plan: 'plan_pro', tier: '2' },
    });
    expect(server.calls[0]).toMatchObject({
      method: 'POST',
      path: '/v1/products',
      idempotencyKey: 'k1',
      status: 200,
      params: { name: 'Pro', metadata: { plan: 'plan_pro', tier: '2' }, expand: ['a', 'b'] },
    });
    const price = await post(
      '/v1/prices',
      `currency=eur&product=${String(product.body['id'])}&unit_amount=1900&recurring[interval]=month`,
    );
    expect(price.body).toMatchObject({
      unit_amount: 1900,
      recurring: { interval: 'month', usage_type: 'licensed' },
    });
    expect(String(price.body['id'])).toMatch(/^price_/);
  });

  it('replays the first answer for a reused key and refuses a reused key with other parameters', async () => {
    const first = await post('/v1/customers', 'email=a@example.test', { 'idempotency-key': 'same' });
    const replay = await post('/v1/customers', 'email=a@example.test', { 'idempotency-key': 'same' });
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await post('/v1/customers', 'email=b@example.test', { 'idempotency-key': 'same' });
    expect(conflict.status).toBe(400);
    expect(conflict.body).toMatchObject({ error: { type: 'idempotency_error' } });
    // Keys are remembered for 24 hours.
    clock += 24 * 60 * 60 * 1000 + 1;
    const later = await post('/v1/customers', 'email=b@example.test', { 'idempotency-key': 'same' });
    expect(later.status).toBe(200);
    expect([...server.objects.values()].filter((object) => object.object === 'customer')).toHaveLength(2);
  });

  it('validates prices like Stripe', async () => {
    const product = await stripe.products.create({ name: 'P' });
    const cases: Array<[string, string]> = [
      [`product=${product.id}&unit_amount=100`, 'currency'],
      ['currency=usd&unit_amount=100', 'product'],
      [`currency=usd&product=${product.id}`, 'unit_amount'],
      [`currency=usd&product=prod_nope&unit_amount=1`, 'product'],
      [
        `currency=usd&product=${product.id}&billing_scheme=tiered&tiers[0][up_to]=inf&tiers[0][unit_amount]=1`,
        'tiers_mode',
      ],
      [
        `currency=usd&product=${product.id}&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][unit_amount]=1`,
        'billing_scheme',
      ],
      [
        `currency=usd&product=${product.id}&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=10&tiers[0][unit_amount]=1`,
        'tiers[0][up_to]',
      ],
      [
        `currency=usd&product=${product.id}&unit_amount=1&recurring[interval]=month&recurring[usage_type]=metered`,
        'recurring[meter]',
      ],
      [
        `currency=usd&product=${product.id}&unit_amount=1&recurring[interval]=fortnight`,
        'recurring[interval]',
      ],
    ];
    for (const [body, param] of cases) {
      const response = await post('/v1/prices', body);
      expect({
        body,
        status: response.status,
        param: (response.body['error'] as { param?: string }).param,
      }).toEqual({
        body,
        status: 400,
        param,
      });
    }
    expect([...server.objects.values()].filter((object) => object.object === 'price')).toHaveLength(0);
  });

  it('lists newest first with has_more and starting_after, and answers 404 for unknown ids', async () => {
    for (const name of ['a', 'b', 'c']) await stripe.products.create({ name });
    const page = await stripe.products.list({ limit: 2 });
    expect(page.data.map((product) => product.name)).toEqual(['c', 'b']);
    expect(page.has_more).toBe(true);
    const rest = await stripe.products.list({ limit: 2, starting_after: page.data[1]?.id });
    expect(rest.data.map((product) => product.name)).toEqual(['a']);
    expect(rest.has_more).toBe(false);
    await expect(stripe.products.retrieve('prod_missing')).rejects.toMatchObject({
      statusCode: 404,
      type: 'StripeInvalidRequestError',
    });
  });

  it('accepts meter events once per identifier within 24 hours and sums them per customer', async () => {
    await stripe.billing.meters.create({
      display_name: 'Requests',
      event_name: 'requests',
      default_aggregation: { formula: 'sum' },
    });
    const customer = await stripe.customers.create({});
    const event = {
      event_name: 'requests',
      identifier: 'i1',
      payload: { stripe_customer_id: customer.id, value: '5' },
    };
    await stripe.billing.meterEvents.create(event);
    await expect(stripe.billing.meterEvents.create(event)).rejects.toMatchObject({
      statusCode: 400,
      param: 'identifier',
    });
    await expect(
      stripe.billing.meterEvents.create({ event_name: 'requests', payload: { value: '1' } }),
    ).rejects.toMatchObject({ param: 'payload[stripe_customer_id]' });
    await expect(
      stripe.billing.meterEvents.create({
        event_name: 'unknown',
        payload: { stripe_customer_id: customer.id, value: '1' },
      }),
    ).rejects.toMatchObject({ param: 'event_name' });
    clock += 24 * 60 * 60 * 1000 + 1;
    await stripe.billing.meterEvents.create(event);
    expect(server.meterTotal('requests', customer.id)).toBe(10);
    await expect(
      stripe.billing.meters.create({
        display_name: 'Again',
        event_name: 'requests',
        default_aggregation: { formula: 'sum' },
      }),
    ).rejects.toMatchObject({ param: 'event_name' });
  });

  it('answers 429 rate_limit_error for the next N calls', async () => {
    server.failNext(1);
    await expect(stripe.customers.create({})).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    await expect(stripe.customers.create({})).resolves.toMatchObject({ object: 'customer' });
  });
});
