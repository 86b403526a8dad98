import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseAnalyticsStore, createAnalyticsStore, migrateAnalytics } from '@tollgate/analytics';
import { prefixedId } from '@tollgate/ids';
import { UsageQueries } from '@tollgate/metering-pipeline';
import { buildGatewaySnapshot, consumerSpendCap } from '@tollgate/plans-data';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
import { consumerInvoiceEstimate } from './invoice-estimate';

// A real PostgreSQL (a scratch database) and chDB: the estimate of a subscriber pinned to an older
// plan version is rated on that version, as its gateway enforces it.
const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const database = `tollgate_estimate_${randomBytes(6).toString('hex')}`;
jest.setTimeout(60_000);

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function subscriber(prisma: PrismaClient, planId: string, planVersion: number): Promise<string> {
  const id = prefixedId('cons');
  await prisma.consumer.create({ data: { id, name: id, email: `${id}@example.com`, timeZone: 'UTC' } });
  await prisma.subscription.create({
    data: {
      id: prefixedId('sub'),
      consumerId: id,
      planId,
      planVersion,
      status: 'active',
      periodAnchor: new Date('2026-01-01T00:00:00Z'),
      spendCapMinor: 600,
    },
  });
  return id;
}

describe('invoice estimate of a pinned plan version (PostgreSQL, chDB)', () => {
  let store: RelationalStore;
  let analytics: ClickHouseAnalyticsStore;
  let chdbDirectory: string;

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${database}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    store = await createRelationalStoreFromConfig({
      DATABASE_URL: url.toString(),
      TOLLGATE_DATA_DIR: '/nonexistent',
    });
    chdbDirectory = await mkdtemp(join(tmpdir(), 'tollgate-estimate-'));
    analytics = await createAnalyticsStore({
      database: database.replace(/-/g, '_'),
      dataDirectory: chdbDirectory,
    });
    await migrateAnalytics(analytics);
  });

  afterAll(async () => {
    await analytics?.close();
    await rm(chdbDirectory, { recursive: true, force: true });
    await store?.close();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });

  it('rates the estimate and sizes the spend cap on the version the subscription is pinned to', async () => {
    const prisma = store.prisma;
    const planId = prefixedId('plan');
    // Version 2 (the plan row): 20.00 a month and 10 per request. Version 1: 5.00 and 1 per request.
    await prisma.plan.create({
      data: {
        id: planId,
        slug: `p-${planId.slice(-8).toLowerCase()}`,
        name: 'Metered',
        tier: 'pay_per_call',
        version: 2,
        quotaLimit: 1000,
        quotaPeriod: 'month',
        prices: [
          { type: 'flat', amountMinor: 2000, currency: 'usd' },
          { type: 'per_unit', unitAmountMinor: 10, currency: 'usd' },
        ],
      },
    });
    await prisma.planVersion.create({
      data: {
        id: prefixedId('plan'),
        planId,
        version: 1,
        definition: {
          quota: { limit: 1000, period: 'month' },
          overage: null,
          currency: 'usd',
          prices: [
            { type: 'flat', amountMinor: 500, currency: 'usd' },
            { type: 'per_unit', unitAmountMinor: 1, currency: 'usd' },
          ],
        },
      },
    });
    const pinned = await subscriber(prisma, planId, 1);
    const latest = await subscriber(prisma, planId, 2);
    const usage = new UsageQueries(analytics);

    const pinnedEstimate = await consumerInvoiceEstimate(prisma, usage, pinned);
    const latestEstimate = await consumerInvoiceEstimate(prisma, usage, latest);
    expect(pinnedEstimate).toMatchObject({ planId, subtotalMinor: 500, subtotal: '5.00 USD' });
    expect(latestEstimate).toMatchObject({ planId, subtotalMinor: 2000 });

    // The cap of 6.00 leaves 1.00 for requests: 100 at version 1's price, 0 (below the fee) at version 2's.
    const snapshot = await buildGatewaySnapshot(prisma);
    const enforced = (id: string) =>
      snapshot.consumers.find((consumer) => consumer.id === id)?.spendCap?.units;
    expect(enforced(pinned)).toBe(100);
    expect((await consumerSpendCap(prisma, pinned)).capUnits).toBe(100);
    expect(enforced(latest)).toBe(0);
    expect((await consumerSpendCap(prisma, latest)).capUnits).toBe(0);
  });
});
