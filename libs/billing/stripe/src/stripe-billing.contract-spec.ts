import { ConflictError, DomainError, ValidationError } from '@tollgate/errors';
import Stripe from 'stripe';
import { createStripeBilling, type StripeBillingLogger } from './stripe-billing.adapter';
import { type BillingProvider } from './stripe-billing.port';
// The lib's own testing entry, imported relatively from inside the lib.
import { type StripeTestServer, startStripeTestServer } from './testing';

const secretKey = 'sk_test_tollgate_contract';

function silentLogger(): StripeBillingLogger & { warn: jest.Mock; info: jest.Mock } {
  return { info: jest.fn(), warn: jest.fn() };
}

describe('Stripe billing adapter against the Stripe test server', () => {
  let server: StripeTestServer;
  let billing: BillingProvider;
  let logger: ReturnType<typeof silentLogger>;

  beforeEach(async () => {
    server = await startStripeTestServer();
    logger = silentLogger();
    billing = createStripeBilling({
      secretKey,
      apiBase: server.url,
      logger,
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
    });
  });

  afterEach(() => server.close());

  const objectsOf = (type: string) => [...server.objects.values()].filter((object) => object.object === type);

  async function meteredSetup() {
    const product = await billing.ensureProduct({ planId: 'plan_pro', version: 1, name: 'Pro' });
    const meter = await billing.ensureMeter({
      meterId: 'mtr_requests',
      displayName: 'API requests',
      eventName: 'tollgate_requests',
      aggregation: 'sum',
    });
    const price = await billing.ensurePrice({
      priceId: 'prc_requests',
      planId: 'plan_pro',
      version: 1,
      productId: product.id,
      currency: 'USD',
      interval: 'month',
      meterId: meter.id,
      tiersMode: 'graduated',
      tiers: [
        { upTo: 1000, unitAmountMinor: '0' },
        { upTo: 'inf', unitAmountMinor: '0.25' },
      ],
    });
    const customer = await billing.ensureCustomer({ consumerId: 'con_1', email: 'dev@example.test' });
    return { product, meter, price, customer };
  }

  it('creates each object once however often a sync is retried', async () => {
    const first = await meteredSetup();
    const second = await meteredSetup();
    expect(second).toEqual(first);
    expect(objectsOf('product')).toHaveLength(1);
    expect(objectsOf('billing.meter')).toHaveLength(1);
    expect(objectsOf('price')).toHaveLength(1);
    expect(objectsOf('customer')).toHaveLength(1);

    const subscription = await billing.createSubscription({
      subscriptionId: 'sub_tollgate_1',
      customerId: first.customer.id,
      priceIds: [first.price.id],
    });
    const again = await billing.createSubscription({
      subscriptionId: 'sub_tollgate_1',
      customerId: first.customer.id,
      priceIds: [first.price.id],
    });
    expect(again.id).toBe(subscription.id);
    expect(subscription.id).toMatch(/^sub_/);
    expect(objectsOf('subscription')).toHaveLength(1);

    const creates = server.calls.filter((call) => call.method === 'POST');
    expect(creates.map((call) => call.idempotencyKey)).toEqual(
      expect.arrayContaining([
        'tollgate:product:plan_pro:v1',
        'tollgate:meter:mtr_requests',
        'tollgate:price:prc_requests:v1',
        'tollgate:customer:con_1',
        'tollgate:subscription:sub_tollgate_1',
      ]),
    );
    const price = server.objects.get(first.price.id);
    expect(price).toMatchObject({
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      recurring: { usage_type: 'metered', meter: first.meter.id, interval: 'month' },
    });
    expect((price?.['tiers'] as Array<{ unit_amount_decimal: string }>)[1]?.unit_amount_decimal).toBe('0.25');
  });

  it('finds the product again after Stripe has forgotten the idempotency key', async () => {
    const first = await billing.ensureProduct({ planId: 'plan_pro', version: 1, name: 'Pro' });
    // A new plan version means a new key, yet the plan keeps its one product.
    const second = await billing.ensureProduct({ planId: 'plan_pro', version: 2, name: 'Pro' });
    expect(second.id).toBe(first.id);
    expect(objectsOf('product')).toHaveLength(1);
  });

  it('updates the name and description of a product, replaying a retried update', async () => {
    const product = await billing.ensureProduct({
      planId: 'plan_pro',
      version: 1,
      name: 'Pro',
      description: 'For teams',
    });
    const update = { name: 'Pro Plus', description: null, revision: 'r1' };
    expect(await billing.updateProduct(product.id, update)).toEqual({ id: product.id });
    expect(server.objects.get(product.id)).toMatchObject({ name: 'Pro Plus', description: null });
    await billing.updateProduct(product.id, update);
    const updates = server.calls.filter((call) => call.path === `/v1/products/${product.id}`);
    expect(updates.map((call) => call.idempotencyKey)).toEqual([
      `tollgate:product-update:${product.id}:r1`,
      `tollgate:product-update:${product.id}:r1`,
    ]);
    await billing.updateProduct(product.id, { name: 'Pro', description: 'Back again', revision: 'r2' });
    expect(server.objects.get(product.id)).toMatchObject({ name: 'Pro', description: 'Back again' });
    await expect(
      billing.updateProduct('prod_missing', { name: 'Ghost', description: null, revision: 'r1' }),
    ).rejects.toBeInstanceOf(DomainError);
  });

  it('maps a missing currency to a validation error naming currency', async () => {
    const product = await billing.ensureProduct({ planId: 'plan_basic', version: 1, name: 'Basic' });
    const attempt = billing.ensurePrice({
      priceId: 'prc_base',
      planId: 'plan_basic',
      version: 1,
      productId: product.id,
      currency: '',
      interval: 'month',
      unitAmountMinor: '1900',
    });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({
      issues: [{ field: 'currency', message: expect.stringContaining('currency') as string }],
      message: expect.stringContaining('price create') as string,
    });
  });

  it('maps an unknown product or meter to not_found naming the parameter', async () => {
    await expect(
      billing.ensurePrice({
        priceId: 'prc_x',
        planId: 'plan_x',
        version: 1,
        productId: 'prod_missing',
        currency: 'usd',
        interval: 'month',
        unitAmountMinor: '100',
      }),
    ).rejects.toMatchObject({ code: 'not_found', details: { field: 'product' } });

    const product = await billing.ensureProduct({ planId: 'plan_x', version: 1, name: 'X' });
    await expect(
      billing.ensurePrice({
        priceId: 'prc_y',
        planId: 'plan_x',
        version: 1,
        productId: product.id,
        currency: 'usd',
        interval: 'month',
        unitAmountMinor: '1',
        meterId: 'mtr_missing',
      }),
    ).rejects.toMatchObject({ code: 'not_found', details: { field: 'recurring[meter]' } });
  });

  it('sums meter events per customer and treats a repeated identifier as already reported', async () => {
    const { customer } = await meteredSetup();
    const other = await billing.ensureCustomer({ consumerId: 'con_2' });
    const at = new Date();
    const outcomes = await billing.reportUsageBatch([
      {
        eventName: 'tollgate_requests',
        customerId: customer.id,
        value: 120,
        identifier: 'u1',
        timestamp: at,
      },
      {
        eventName: 'tollgate_requests',
        customerId: customer.id,
        value: '30.5',
        identifier: 'u2',
        timestamp: at,
      },
      { eventName: 'tollgate_requests', customerId: other.id, value: 7, identifier: 'u3', timestamp: at },
    ]);
    expect(outcomes).toEqual(['reported', 'reported', 'reported']);

    // Same identifier, same request: the idempotency key replays Stripe's first answer.
    await expect(
      billing.reportUsage({
        eventName: 'tollgate_requests',
        customerId: customer.id,
        value: 120,
        identifier: 'u1',
        timestamp: at,
      }),
    ).resolves.toBe('reported');
    // Same identifier, different total: Stripe refuses it, and the usage is already recorded.
    await expect(
      billing.reportUsage({
        eventName: 'tollgate_requests',
        customerId: customer.id,
        value: 999,
        identifier: 'u1',
        timestamp: at,
      }),
    ).resolves.toBe('already_reported');

    // An identifier Stripe already has from another sender (no shared idempotency key): refused by identifier.
    const stripe = new Stripe(secretKey, { host: server.host, port: server.port, protocol: 'http' });
    await stripe.billing.meterEvents.create({
      event_name: 'tollgate_requests',
      identifier: 'u4',
      payload: { stripe_customer_id: other.id, value: '1' },
    });
    await expect(
      billing.reportUsage({
        eventName: 'tollgate_requests',
        customerId: other.id,
        value: 1,
        identifier: 'u4',
        timestamp: at,
      }),
    ).resolves.toBe('already_reported');
    expect(server.calls.at(-1)).toMatchObject({ status: 400, idempotencyKey: 'tollgate:meter-event:u4' });

    expect(server.meterTotal('tollgate_requests', customer.id)).toBe(150.5);
    expect(server.meterTotal('tollgate_requests', other.id)).toBe(8);
    expect(server.meterEvents).toHaveLength(4);
  });

  it('backs off on 429 and 5xx and then succeeds with the same idempotency key', async () => {
    server.failNext(2, 429);
    server.failNext(1, 503);
    const customer = await billing.ensureCustomer({ consumerId: 'con_retry' });
    expect(customer.id).toMatch(/^cus_/);
    const attempts = server.calls.filter((call) => call.path === '/v1/customers');
    expect(attempts.map((call) => call.status)).toEqual([429, 429, 503, 200]);
    expect(new Set(attempts.map((call) => call.idempotencyKey))).toEqual(
      new Set(['tollgate:customer:con_retry']),
    );
    expect(logger.warn).toHaveBeenCalledTimes(3);
  });

  it('gives up after the configured attempts with a dependency error', async () => {
    server.failNext(5, 429);
    await expect(billing.ensureCustomer({ consumerId: 'con_busy' })).rejects.toMatchObject({
      code: 'dependency_unavailable',
      message: expect.stringContaining('customer create') as string,
    });
    expect(server.calls).toHaveLength(5);
  });

  it('reports a rejected secret key clearly', async () => {
    const wrong = createStripeBilling({ secretKey: 'rk_live_nope', apiBase: server.url, logger });
    const attempt = wrong.ensureCustomer({ consumerId: 'con_1' });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({
      code: 'upstream_failed',
      message: expect.stringContaining('STRIPE_SECRET_KEY') as string,
    });
  });

  it('returns checkout and portal URLs', async () => {
    const { price, customer } = await meteredSetup();
    const checkout = await billing.createCheckoutSession({
      referenceId: 'sub_pending_1',
      priceIds: [price.id],
      successUrl: 'https://portal.example.test/billing/success',
      cancelUrl: 'https://portal.example.test/billing/cancel',
      customerEmail: 'new@example.test',
    });
    expect(checkout.id).toMatch(/^cs_test_/);
    expect(checkout.url).toBe(`${server.url}/c/pay/${checkout.id}`);
    expect(server.objects.get(checkout.id)).toMatchObject({
      mode: 'subscription',
      customer_email: 'new@example.test',
      client_reference_id: 'sub_pending_1',
    });

    const portal = await billing.createPortalSession({
      customerId: customer.id,
      returnUrl: 'https://portal.example.test/billing',
    });
    expect(portal.id).toMatch(/^bps_/);
    expect(portal.url).toContain(portal.id);

    await expect(
      billing.createPortalSession({ customerId: 'cus_missing', returnUrl: 'https://portal.example.test' }),
    ).rejects.toMatchObject({ code: 'not_found', details: { field: 'customer' } });
  });

  it("lists a customer's invoices newest first with amounts, period and links", async () => {
    const { price, customer } = await meteredSetup();
    await billing.createSubscription({
      subscriptionId: 'sub_tollgate_invoices',
      customerId: customer.id,
      priceIds: [price.id],
    });
    expect(await billing.listInvoices(customer.id, 10)).toEqual([]);
    const periodStart = Math.floor(Date.UTC(2026, 9, 1) / 1000);
    const periodEnd = Math.floor(Date.UTC(2026, 10, 1) / 1000);
    const paid = server.createInvoice(customer.id, {
      amount_due: 2550,
      period_start: periodStart,
      period_end: periodEnd,
      created: periodEnd,
    });
    const open = server.createInvoice(customer.id, {
      status: 'open',
      amount_due: 990,
      created: periodEnd + 60,
    });
    const other = await billing.ensureCustomer({ consumerId: 'con_other' });
    server.createInvoice(other.id, { amount_due: 1 });

    const invoices = await billing.listInvoices(customer.id, 10);
    expect(invoices.map((invoice) => invoice.id)).toEqual([open.id, paid.id]);
    expect(invoices[1]).toEqual({
      id: paid.id,
      number: paid['number'],
      status: 'paid',
      currency: 'usd',
      amountDueMinor: 2550,
      amountPaidMinor: 2550,
      periodStart: new Date(periodStart * 1000),
      periodEnd: new Date(periodEnd * 1000),
      createdAt: new Date(periodEnd * 1000),
      hostedInvoiceUrl: `${server.url}/i/${paid.id}`,
      invoicePdfUrl: `${server.url}/invoice/${paid.id}/pdf`,
    });
    expect(invoices[0]).toMatchObject({ status: 'open', amountDueMinor: 990, amountPaidMinor: 0 });
    expect((await billing.listInvoices(customer.id, 1)).map((invoice) => invoice.id)).toEqual([open.id]);
    const call = server.calls.filter((entry) => entry.path === '/v1/invoices').at(-1);
    expect(call).toMatchObject({ method: 'GET', params: { customer: customer.id, limit: '1' } });

    await expect(billing.listInvoices('cus_missing', 10)).rejects.toMatchObject({
      code: 'not_found',
      details: { field: 'customer' },
    });
    await expect(billing.listInvoices(customer.id, 101)).rejects.toBeInstanceOf(ValidationError);
  });

  it('maps an idempotency key reused with other parameters to a conflict', async () => {
    const stripe = new Stripe(secretKey, { host: server.host, port: server.port, protocol: 'http' });
    await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'tollgate:customer:con_x' });
    await expect(billing.ensureCustomer({ consumerId: 'con_x', name: 'B' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });
});

describe('Stripe webhook signatures', () => {
  const webhookSecret = 'whsec_tollgate_contract';
  const stripe = new Stripe(secretKey);
  const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.subscription.updated' });

  it('round-trips a signed payload', () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    const event = stripe.webhooks.constructEvent(payload, header, webhookSecret, 300);
    expect(event.id).toBe('evt_1');
    expect(event.type).toBe('customer.subscription.updated');
  });

  it('refuses a tampered payload, a wrong secret and a signature older than 300 s', () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    expect(() =>
      stripe.webhooks.constructEvent(payload.replace('evt_1', 'evt_2'), header, webhookSecret, 300),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => stripe.webhooks.constructEvent(payload, header, 'whsec_other', 300)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    const old = stripe.webhooks.generateTestHeaderString({
      payload,
      secret: webhookSecret,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(() => stripe.webhooks.constructEvent(payload, old, webhookSecret, 300)).toThrow(/tolerance/i);
    const recent = stripe.webhooks.generateTestHeaderString({
      payload,
      secret: webhookSecret,
      timestamp: Math.floor(Date.now() / 1000) - 290,
    });
    expect(stripe.webhooks.constructEvent(payload, recent, webhookSecret, 300).id).toBe('evt_1');
  });
});
