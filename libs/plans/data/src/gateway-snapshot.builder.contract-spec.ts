import { randomBytes } from 'node:crypto';
import { snapshotPlanKey } from '@tollgate/gateway-snapshot';
import { generateApiKey, prefixedId } from '@tollgate/ids';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
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
    expect(consumers.get(capped)?.spendCap).toEqual({ units: 33, amountMinor: 100, currency: 'usd' });
    expect(consumers.get(generous)?.spendCap).toEqual({ units: 1000, amountMinor: 99_999, currency: 'usd' });
    expect(consumers.get(uncapped)?.spendCap).toBeUndefined();
    expect(consumers.get(onSubscription)?.spendCap).toBeUndefined();
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
