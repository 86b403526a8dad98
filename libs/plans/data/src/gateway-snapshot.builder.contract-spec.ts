import { randomBytes } from 'node:crypto';
import { snapshotPlanKey } from '@tollgate/gateway-snapshot';
import { generateApiKey, prefixedId } from '@tollgate/ids';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
import { consumerSpendCap } from './consumer-spend-cap';
import { buildGatewaySnapshot } from './gateway-snapshot.builder';

// The real PostgreSQL, one scratch database for this file.
const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const database = `tollgate_snap_${randomBytes(6).toString('hex')}`;

async function withAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function createPlan(prisma: PrismaClient, version: number, limit: number): Promise<string> {
  const id = prefixedId('plan');
  await prisma.plan.create({
    data: {
      id,
      slug: `p-${id.slice(-8).toLowerCase()}`,
      name: 'Starter',
      version,
      quotaLimit: limit,
      quotaPeriod: 'month',
      ratePerSecond: 10,
      rateBurst: 20,
      concurrency: 5,
      allowedEndpoints: ['GET /b', 'GET /a'],
    },
  });
  return id;
}

async function createConsumer(
  prisma: PrismaClient,
  planId: string,
  planVersion: number,
  extra: { pending?: { planVersion: number; at: Date }; subscriptionStatus?: 'active' | 'suspended' } = {},
): Promise<string> {
  const id = prefixedId('cons');
  await prisma.consumer.create({
    data: { id, name: id, email: `${id}@example.com`, timeZone: 'Europe/Berlin' },
  });
  await prisma.subscription.create({
    data: {
      id: prefixedId('sub'),
      consumerId: id,
      planId,
      planVersion,
      status: extra.subscriptionStatus ?? 'active',
      periodAnchor: new Date('2026-01-15T10:00:00Z'),
      pendingPlanId: extra.pending ? planId : null,
      pendingPlanVersion: extra.pending?.planVersion ?? null,
      pendingEffectiveAt: extra.pending?.at ?? null,
    },
  });
  return id;
}

describe('buildGatewaySnapshot (PostgreSQL)', () => {
  let store: RelationalStore;

  beforeAll(async () => {
    await withAdmin(`CREATE DATABASE "${database}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    store = await createRelationalStoreFromConfig({
      DATABASE_URL: url.toString(),
      TOLLGATE_DATA_DIR: '/nonexistent',
    });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await withAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });

  it("carries a pay-per-call subscriber's spend cap as the units it pays for, up to the quota", async () => {
    const prisma = store.prisma;
    const planId = await createPlan(prisma, 1, 1000);
    await prisma.plan.update({
      where: { id: planId },
      data: { tier: 'pay_per_call', prices: [{ type: 'per_unit', unitAmountMinor: 3, currency: 'usd' }] },
    });
    const capped = await createConsumer(prisma, planId, 1);
    const generous = await createConsumer(prisma, planId, 1);
    const uncapped = await createConsumer(prisma, planId, 1);
    await prisma.subscription.updateMany({ where: { consumerId: capped }, data: { spendCapMinor: 100 } });
    await prisma.subscription.updateMany({
      where: { consumerId: generous },
      data: { spendCapMinor: 99_999 },
    });
    const subscriptionPlan = await createPlan(prisma, 1, 1000);
    const onSubscription = await createConsumer(prisma, subscriptionPlan, 1);
    await prisma.subscription.updateMany({
      where: { consumerId: onSubscription },
      data: { spendCapMinor: 100 },
    });

    const consumers = new Map(
      (await buildGatewaySnapshot(prisma)).consumers.map((entry) => [entry.id, entry]),
    );
    expect(consumers.get(capped)?.spendCap).toEqual({
      units: 33,
      amountMinor: 100,
      currency: 'usd',
      minorDigits: 2,
    });
    expect(consumers.get(generous)?.spendCap).toEqual({
      units: 1000,
      amountMinor: 99_999,
      currency: 'usd',
      minorDigits: 2,
    });
    expect(consumers.get(uncapped)?.spendCap).toBeUndefined();
    expect(consumers.get(onSubscription)?.spendCap).toBeUndefined();
  });

  it('sizes a cap on the pinned plan version, as the portal shows it', async () => {
    const prisma = store.prisma;
    // Version 1 charged 3 per request up to 1000; version 2 (the plan row) charges 10 up to 5000.
    const planId = await createPlan(prisma, 2, 5000);
    await prisma.plan.update({
      where: { id: planId },
      data: { tier: 'pay_per_call', prices: [{ type: 'per_unit', unitAmountMinor: 10, currency: 'usd' }] },
    });
    await prisma.planVersion.create({
      data: {
        id: prefixedId('plan'),
        planId,
        version: 1,
        definition: {
          quota: { limit: 1000, period: 'month' },
          currency: 'usd',
          prices: [{ type: 'per_unit', unitAmountMinor: 3, currency: 'usd' }],
          overage: null,
        },
      },
    });
    const pinned = await createConsumer(prisma, planId, 1);
    const latest = await createConsumer(prisma, planId, 2);
    await prisma.subscription.updateMany({
      where: { consumerId: { in: [pinned, latest] } },
      data: { spendCapMinor: 100 },
    });

    const snapshot = await buildGatewaySnapshot(prisma);
    const capOf = (id: string) => snapshot.consumers.find((consumer) => consumer.id === id)?.spendCap;
    expect(capOf(pinned)).toMatchObject({ units: 33, amountMinor: 100 });
    expect(capOf(latest)).toMatchObject({ units: 10, amountMinor: 100 });
    // The portal's view of each cap is what its gateway enforces.
    expect(await consumerSpendCap(prisma, pinned)).toEqual({
      capMinor: 100,
      currency: 'usd',
      eligible: true,
      capUnits: 33,
    });
    expect((await consumerSpendCap(prisma, latest)).capUnits).toBe(10);
  });

  it('carries the minor digits Tollgate bills a currency in (ISK in hundredths, JPY in units)', async () => {
    const prisma = store.prisma;
    const consumerOn = async (currency: string, unitAmountMinor: number, capMinor: number) => {
      const planId = await createPlan(prisma, 1, 100_000);
      await prisma.plan.update({
        where: { id: planId },
        data: { tier: 'pay_per_call', currency, prices: [{ type: 'per_unit', unitAmountMinor, currency }] },
      });
      const consumerId = await createConsumer(prisma, planId, 1);
      await prisma.subscription.updateMany({ where: { consumerId }, data: { spendCapMinor: capMinor } });
      return consumerId;
    };
    const isk = await consumerOn('isk', 100, 50_000);
    const jpy = await consumerOn('jpy', 2, 500);
    const snapshot = await buildGatewaySnapshot(prisma);
    const capOf = (id: string) => snapshot.consumers.find((consumer) => consumer.id === id)?.spendCap;
    expect(capOf(isk)).toEqual({ units: 500, amountMinor: 50_000, currency: 'isk', minorDigits: 2 });
    expect(capOf(jpy)).toEqual({ units: 250, amountMinor: 500, currency: 'jpy', minorDigits: 0 });
  });

  it('leaves out a cap its plan version cannot rate, warning with the consumer and the plan', async () => {
    const prisma = store.prisma;
    const broken = await createPlan(prisma, 1, 1000);
    // A price in another currency than the plan's: the rating engine refuses it.
    await prisma.plan.update({
      where: { id: broken },
      data: { tier: 'pay_per_call', prices: [{ type: 'per_unit', unitAmountMinor: 3, currency: 'eur' }] },
    });
    const healthy = await createPlan(prisma, 1, 1000);
    await prisma.plan.update({
      where: { id: healthy },
      data: { tier: 'pay_per_call', prices: [{ type: 'per_unit', unitAmountMinor: 3, currency: 'usd' }] },
    });
    const first = await createConsumer(prisma, broken, 1);
    const second = await createConsumer(prisma, broken, 1);
    const fine = await createConsumer(prisma, healthy, 1);
    await prisma.subscription.updateMany({
      where: { consumerId: { in: [first, second, fine] } },
      data: { spendCapMinor: 100 },
    });
    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    };

    const snapshot = await buildGatewaySnapshot(prisma, Date.now(), { logger: logger as never });
    const capOf = (id: string) => snapshot.consumers.find((consumer) => consumer.id === id)?.spendCap;
    expect(capOf(first)).toBeNull();
    expect(capOf(second)).toBeNull();
    expect(capOf(fine)).toMatchObject({ units: 33 });
    expect(warnings).toHaveLength(2);
    expect(warnings.map((warning) => warning.fields)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ consumerId: first, planId: broken, planVersion: 1, capMinor: 100 }),
        expect.objectContaining({ consumerId: second, planId: broken, planVersion: 1, capMinor: 100 }),
      ]),
    );
    expect(warnings[0].message).toContain('not enforced');
    // The portal still reads the cap, with no units and the reason.
    expect(await consumerSpendCap(prisma, first)).toEqual({
      capMinor: 100,
      currency: 'usd',
      eligible: true,
      capUnits: null,
      reason: expect.stringContaining('cannot be rated') as string,
    });
  });

  it('holds each plan version in use, with the frozen limits of older ones', async () => {
    const prisma = store.prisma;
    const planId = await createPlan(prisma, 3, 3000);
    await prisma.planVersion.createMany({
      data: [
        {
          id: prefixedId('plan'),
          planId,
          version: 1,
          definition: {
            quota: { limit: 1000, period: 'day' },
            rateLimit: null,
            concurrency: 2,
            allowedEndpoints: [],
            countPolicy: { count4xx: false, count5xx: true },
            overage: { bufferPercent: 15, unitPriceMinor: 2, currency: 'usd' },
          },
        },
        // Written before some fields existed: the missing ones fall back to the plan's current values.
        { id: prefixedId('plan'), planId, version: 2, definition: { quota: { limit: 2000 } } },
      ],
    });
    const onOne = await createConsumer(prisma, planId, 1);
    const onTwo = await createConsumer(prisma, planId, 2);
    const onThree = await createConsumer(prisma, planId, 3);

    const snapshot = await buildGatewaySnapshot(prisma);
    const plans = new Map(snapshot.plans.map((plan) => [snapshotPlanKey(plan.id, plan.version), plan]));
    expect(snapshot.plans.filter((plan) => plan.id === planId).map((plan) => plan.version)).toEqual([
      3, 1, 2,
    ]);
    expect(plans.get(snapshotPlanKey(planId, 3))).toEqual({
      id: planId,
      version: 3,
      name: 'Starter',
      quota: { limit: 3000, period: 'month' },
      rateLimit: { perSecond: 10, burst: 20 },
      concurrency: 5,
      allowedEndpoints: ['GET /a', 'GET /b'],
      countPolicy: { count4xx: true, count5xx: false },
      overageBufferPercent: null,
      countersUnavailable: 'reject',
      alertThresholds: [80, 95, 100],
    });
    expect(plans.get(snapshotPlanKey(planId, 1))).toMatchObject({
      quota: { limit: 1000, period: 'day' },
      rateLimit: null,
      concurrency: 2,
      allowedEndpoints: null,
      countPolicy: { count4xx: false, count5xx: true },
      overageBufferPercent: 15,
    });
    expect(plans.get(snapshotPlanKey(planId, 2))).toMatchObject({
      quota: { limit: 2000, period: 'month' },
      rateLimit: { perSecond: 10, burst: 20 },
      concurrency: 5,
      overageBufferPercent: null,
    });
    const versionOf = (id: string) => snapshot.consumers.find((consumer) => consumer.id === id)?.planVersion;
    expect([versionOf(onOne), versionOf(onTwo), versionOf(onThree)]).toEqual([1, 2, 3]);
    expect(snapshot.consumers.find((consumer) => consumer.id === onOne)).toMatchObject({
      planId,
      status: 'active',
      periodAnchor: '2026-01-15T10:00:00.000Z',
      timeZone: 'Europe/Berlin',
      externalId: null,
    });
  });

  it("carries each API's key query parameter and JWT settings, the consumers' external ids and the plan's counters policy, never the ingest token", async () => {
    const prisma = store.prisma;
    const planId = await createPlan(prisma, 1, 100);
    await prisma.plan.update({ where: { id: planId }, data: { countersUnavailable: 'local_limit' } });
    const consumerId = await createConsumer(prisma, planId, 1);
    await prisma.consumer.update({ where: { id: consumerId }, data: { externalId: 'auth0|snap' } });
    const apiId = prefixedId('api');
    await prisma.api.create({
      data: {
        id: apiId,
        name: 'JWT',
        pathPrefix: `/jwt-${apiId.slice(-6)}`,
        upstreamUrl: 'http://upstream.internal',
        keyInQuery: 'api_key',
        // Stored without the defaults: the snapshot fills them.
        jwt: { jwksUrl: 'https://auth.internal/jwks.json', issuer: 'https://auth.internal/', audience: 'a' },
        ingestTokenHash: 'f'.repeat(64),
      },
    });
    const snapshot = await buildGatewaySnapshot(prisma);
    const api = snapshot.apis.find((entry) => entry.id === apiId);
    expect(api).toMatchObject({
      keyInQuery: 'api_key',
      jwt: {
        jwksUrl: 'https://auth.internal/jwks.json',
        issuer: 'https://auth.internal/',
        audience: 'a',
        consumerClaim: 'sub',
        algorithms: ['RS256', 'ES256'],
        clockToleranceSeconds: 30,
      },
    });
    expect(JSON.stringify(snapshot)).not.toContain('f'.repeat(64));
    expect(snapshot.consumers.find((entry) => entry.id === consumerId)?.externalId).toBe('auth0|snap');
    expect(snapshot.plans.find((plan) => plan.id === planId)?.countersUnavailable).toBe('local_limit');
  });

  it('applies a scheduled move once its date has passed, and suspends with the subscription', async () => {
    const prisma = store.prisma;
    const planId = await createPlan(prisma, 2, 500);
    const now = Date.now();
    const moved = await createConsumer(prisma, planId, 1, {
      pending: { planVersion: 2, at: new Date(now - 1000) },
    });
    const waiting = await createConsumer(prisma, planId, 1, {
      pending: { planVersion: 2, at: new Date(now + 3_600_000) },
    });
    const suspended = await createConsumer(prisma, planId, 2, { subscriptionStatus: 'suspended' });

    const snapshot = await buildGatewaySnapshot(prisma, now);
    const consumer = (id: string) => snapshot.consumers.find((entry) => entry.id === id);
    expect(consumer(moved)?.planVersion).toBe(2);
    expect(consumer(waiting)?.planVersion).toBe(1);
    expect(consumer(suspended)).toMatchObject({
      status: 'suspended',
      suspendedReason: 'the subscription is suspended',
    });
    // Version 1 has no stored definition: it is served with the current limits rather than dropped.
    expect(snapshot.plans.find((plan) => plan.id === planId && plan.version === 1)?.quota.limit).toBe(500);
  });

  it('leaves revoked keys out and changes its version exactly when the content changes', async () => {
    const prisma = store.prisma;
    const planId = await createPlan(prisma, 1, 100);
    const consumerId = await createConsumer(prisma, planId, 1);
    const key = generateApiKey();
    const keyId = prefixedId('key');
    await prisma.apiKey.create({
      data: { id: keyId, consumerId, hash: key.hash, displayPrefix: key.displayPrefix },
    });
    const before = await buildGatewaySnapshot(prisma);
    expect(before.keys.map((entry) => entry.keyId)).toContain(keyId);
    expect((await buildGatewaySnapshot(prisma)).version).toBe(before.version);

    await prisma.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
    const after = await buildGatewaySnapshot(prisma);
    expect(after.keys.map((entry) => entry.keyId)).not.toContain(keyId);
    expect(after.version).not.toBe(before.version);
  });
});
