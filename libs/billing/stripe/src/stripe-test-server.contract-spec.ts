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

  it('updates a product in place (POST /v1/products/{id}) and answers 404 for an unknown one', async () => {
    const created = await stripe.products.create({
      id: 'prod_renamed',
      name: 'Pro',
      description: 'For teams',
      metadata: { plan: 'plan_pro', tier: '2' },
    });
    const updated = await stripe.products.update(
      created.id,
      { name: 'Pro Plus', description: '', metadata: { tier: '', region: 'eu' } },
      { idempotencyKey: 'rename-1' },
    );
    expect(updated).toMatchObject({
      id: 'prod_renamed',
      name: 'Pro Plus',
      description: null,
      active: true,
      metadata: { plan: 'plan_pro', region: 'eu' },
    });
    expect(updated.metadata).not.toHaveProperty('tier');
    expect(await stripe.products.retrieve(created.id)).toMatchObject({ name: 'Pro Plus', description: null });
    expect(server.objects.get('prod_renamed')).toMatchObject({ name: 'Pro Plus' });
    // Only the fields sent change.
    expect(await stripe.products.update(created.id, { description: 'Now bigger' })).toMatchObject({
      name: 'Pro Plus',
      description: 'Now bigger',
    });

    const emptied = await post(`/v1/products/${created.id}`, 'name=');
    expect(emptied.status).toBe(400);
    expect(emptied.body).toMatchObject({ error: { param: 'name' } });
    const unknown = await post('/v1/products/prod_missing', 'name=Ghost');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'resource_missing', param: 'id' } });
    // Prices are not updatable here: the route stays unknown.
    expect((await post('/v1/prices/price_1', 'active=false')).status).toBe(404);
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

  describe('invoice preview (POST /v1/invoices/create_preview)', () => {
    const meterFor = (eventName: string) =>
      stripe.billing.meters.create({
        display_name: eventName,
        event_name: eventName,
        default_aggregation: { formula: 'sum' },
      });
    const report = (eventName: string, customer: string, value: number, timestamp?: number) =>
      stripe.billing.meterEvents.create({
        event_name: eventName,
        payload: { stripe_customer_id: customer, value: String(value) },
        ...(timestamp === undefined ? {} : { timestamp }),
      });

    async function subscribedCustomer() {
      const product = await stripe.products.create({ name: 'Growth' });
      const metered = async (eventName: string, price: Omit<Stripe.PriceCreateParams, 'currency'>) => {
        const meter = await meterFor(eventName);
        return stripe.prices.create({
          currency: 'usd',
          product: product.id,
          ...price,
          recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
        });
      };
      const prices = {
        flat: await stripe.prices.create({
          currency: 'usd',
          product: product.id,
          unit_amount: 4900,
          recurring: { interval: 'month' },
        }),
        perUnit: await metered('calls', { unit_amount_decimal: Stripe.Decimal.from('0.5') }),
        graduated: await metered('sms', {
          billing_scheme: 'tiered',
          tiers_mode: 'graduated',
          tiers: [
            { up_to: 10, unit_amount: 0 },
            { up_to: 100, unit_amount: 2, flat_amount: 50 },
            { up_to: 'inf', unit_amount: 1 },
          ],
        }),
        volume: await metered('seats', {
          billing_scheme: 'tiered',
          tiers_mode: 'volume',
          tiers: [
            { up_to: 100, unit_amount: 3 },
            { up_to: 'inf', unit_amount: 2, flat_amount: 100 },
          ],
        }),
        packageUp: await metered('emails', {
          unit_amount: 200,
          transform_quantity: { divide_by: 1000, round: 'up' },
        }),
      };
      const packageDown = await stripe.prices.create({
        currency: 'usd',
        product: product.id,
        unit_amount: 200,
        transform_quantity: { divide_by: 1000, round: 'down' },
        recurring: {
          interval: 'month',
          usage_type: 'metered',
          meter: prices.packageUp.recurring?.meter ?? '',
        },
      });
      const customer = await stripe.customers.create({ email: 'preview@example.test' });
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [
          { price: prices.flat.id, quantity: 2 },
          { price: prices.perUnit.id },
          { price: prices.graduated.id },
          { price: prices.volume.id },
          { price: prices.packageUp.id },
          { price: packageDown.id },
        ],
      });
      return { customer, subscription, prices: { ...prices, packageDown } };
    }

    const summary = (invoice: Stripe.Invoice) =>
      invoice.lines.data.map((line) => ({
        price: line.pricing?.price_details?.price,
        quantity: line.quantity,
        amount: line.amount,
      }));

    it('bills licensed quantities and the period usage of metered prices, rounded half up per line', async () => {
      const { customer, subscription, prices } = await subscribedCustomer();
      const other = await stripe.customers.create({});
      const anchor = subscription.billing_cycle_anchor;
      await report('calls', customer.id, 3);
      await report('calls', customer.id, 2);
      await report('calls', other.id, 100);
      // Before the subscription's period: not on this invoice.
      await report('calls', customer.id, 7, anchor - 3600);
      await report('sms', customer.id, 120);
      await report('seats', customer.id, 150);
      await report('emails', customer.id, 2001);

      const invoice = await stripe.invoices.createPreview({ subscription: subscription.id });
      expect(summary(invoice)).toEqual([
        { price: prices.flat.id, quantity: 2, amount: 9800 },
        // 5 × 0.5 = 2.5 → 3
        { price: prices.perUnit.id, quantity: 5, amount: 3 },
        // 10 × 0 + 90 × 2 + 50 + 20 × 1
        { price: prices.graduated.id, quantity: 120, amount: 250 },
        // 150 × 2 + 100
        { price: prices.volume.id, quantity: 150, amount: 400 },
        // ⌈2001 / 1000⌉ × 200 and ⌊2001 / 1000⌋ × 200
        { price: prices.packageUp.id, quantity: 2001, amount: 600 },
        { price: prices.packageDown.id, quantity: 2001, amount: 400 },
      ]);
      expect(invoice).toMatchObject({
        object: 'invoice',
        customer: customer.id,
        currency: 'usd',
        subtotal: 11453,
        total: 11453,
        period_start: anchor,
        parent: { subscription_details: { subscription: subscription.id } },
      });
      expect(invoice.lines.data[0]?.description).toBe('2 × Growth (at 4900 / month)');
      expect(invoice.lines.data[1]?.pricing?.unit_amount_decimal?.toString()).toBe('0.5');
      expect(subscription.items.data[0]?.current_period_start).toBe(anchor);

      // The customer alone finds the same subscription.
      const byCustomer = await stripe.invoices.createPreview({ customer: customer.id });
      expect(byCustomer.total).toBe(11453);
    });

    it('starts metered usage again in the next period', async () => {
      const { customer, subscription } = await subscribedCustomer();
      await report('calls', customer.id, 40);
      clock += 32 * 24 * 60 * 60 * 1000;
      const invoice = await stripe.invoices.createPreview({
        customer: customer.id,
        subscription: subscription.id,
      });
      expect(invoice.lines.data.map((line) => line.amount)).toEqual([9800, 0, 0, 0, 0, 0]);
      expect(invoice.total).toBe(9800);
      const start = new Date(subscription.billing_cycle_anchor * 1000);
      start.setUTCMonth(start.getUTCMonth() + 1);
      expect(invoice.period_start).toBe(Math.floor(start.getTime() / 1000));
    });

    it('validates its parameters like Stripe', async () => {
      const { customer, subscription } = await subscribedCustomer();
      const stranger = await stripe.customers.create({});
      await expect(stripe.invoices.createPreview({})).rejects.toMatchObject({
        statusCode: 400,
        param: 'customer',
        code: 'parameter_missing',
      });
      await expect(stripe.invoices.createPreview({ customer: 'cus_missing' })).rejects.toMatchObject({
        statusCode: 404,
        param: 'customer',
        code: 'resource_missing',
      });
      await expect(stripe.invoices.createPreview({ subscription: 'sub_missing' })).rejects.toMatchObject({
        statusCode: 404,
        param: 'subscription',
        code: 'resource_missing',
      });
      await expect(
        stripe.invoices.createPreview({ customer: stranger.id, subscription: subscription.id }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'subscription' });
      await expect(stripe.invoices.createPreview({ customer: stranger.id })).rejects.toMatchObject({
        statusCode: 404,
        code: 'invoice_upcoming_none',
      });
      await expect(stripe.invoices.createPreview({ customer: customer.id })).resolves.toMatchObject({
        total: 9800,
      });
    });

    it('finalizes the upcoming invoice into a numbered invoice and lists invoices newest first', async () => {
      const { customer, subscription } = await subscribedCustomer();
      await report('calls', customer.id, 3);
      const first = server.createInvoice(customer.id);
      clock += 1000;
      const open = server.createInvoice(customer.id, { status: 'open', amount_due: 1234, currency: 'eur' });
      clock += 1000;
      const draft = (await stripe.invoices.create({ customer: customer.id })) as Stripe.Invoice;
      expect(first).toMatchObject({
        object: 'invoice',
        status: 'paid',
        amount_due: 9802,
        amount_paid: 9802,
        currency: 'usd',
        period_start: subscription.billing_cycle_anchor,
        parent: { subscription_details: { subscription: subscription.id } },
        hosted_invoice_url: `${server.url}/i/${first.id}`,
        invoice_pdf: `${server.url}/invoice/${first.id}/pdf`,
      });
      expect(String(first['number'])).toMatch(/^[0-9A-F]{8}-0001$/);
      expect(String(open['number'])).toBe(String(first['number']).replace(/1$/, '2'));
      expect(open).toMatchObject({ amount_due: 1234, amount_paid: 0, amount_remaining: 1234 });
      expect(draft).toMatchObject({ status: 'draft', number: null, hosted_invoice_url: null, amount_due: 0 });

      const page = await stripe.invoices.list({ customer: customer.id, limit: 2 });
      expect(page).toMatchObject({ object: 'list', has_more: true, url: '/v1/invoices' });
      expect(page.data.map((invoice) => invoice.id)).toEqual([draft.id, open.id]);
      const paid = await stripe.invoices.list({ customer: customer.id, status: 'paid' });
      expect(paid.data.map((invoice) => invoice.id)).toEqual([first.id]);
      const other = await stripe.customers.create({});
      expect((await stripe.invoices.list({ customer: other.id })).data).toEqual([]);
      await expect(stripe.invoices.retrieve(first.id)).resolves.toMatchObject({ id: first.id });
      expect(() => server.createInvoice('cus_missing')).toThrow(/No such customer/);
    });

    it('validates invoice list parameters like Stripe', async () => {
      const customer = await stripe.customers.create({});
      await expect(stripe.invoices.list({ customer: 'cus_missing' })).rejects.toMatchObject({
        statusCode: 400,
        param: 'customer',
        code: 'resource_missing',
      });
      for (const limit of [0, 101]) {
        await expect(stripe.invoices.list({ customer: customer.id, limit })).rejects.toMatchObject({
          statusCode: 400,
          param: 'limit',
        });
      }
      const badStatus = await fetch(`${server.url}/v1/invoices?customer=${customer.id}&status=settled`, {
        headers: { authorization: `Bearer ${secretKey}` },
      });
      expect(badStatus.status).toBe(400);
      expect(await badStatus.json()).toMatchObject({ error: { param: 'status' } });
      const badLimit = await fetch(`${server.url}/v1/invoices?limit=ten`, {
        headers: { authorization: `Bearer ${secretKey}` },
      });
      expect(await badLimit.json()).toMatchObject({ error: { param: 'limit' } });
    });
  });

  it('answers 429 rate_limit_error for the next N calls', async () => {
    server.failNext(1);
    await expect(stripe.customers.create({})).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    await expect(stripe.customers.create({})).resolves.toMatchObject({ object: 'customer' });
  });
});
