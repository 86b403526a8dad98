import { type GatewaySnapshot, type SnapshotConsumer, type SnapshotPlan } from '@tollgate/gateway-snapshot';
import {
  consumerQuotaPeriods,
  gatewayQuotaCounterKey,
  quotaUnits,
  routeCostWeights,
} from './consumer-quota-periods';

const plan = (id: string, version: number, limit: number, period: 'month' | 'day'): SnapshotPlan => ({
  id,
  version,
  name: id,
  quota: { limit, period },
  rateLimit: null,
  concurrency: null,
  allowedEndpoints: null,
  countPolicy: { count4xx: true, count5xx: false },
});

const consumer = (id: string, fields: Partial<SnapshotConsumer> = {}): SnapshotConsumer => ({
  id,
  status: 'active',
  suspendedReason: null,
  planId: 'plan_pro',
  planVersion: 2,
  periodAnchor: '2026-01-15T09:30:00.250Z',
  timeZone: 'Europe/Paris',
  ...fields,
});

const snapshot: GatewaySnapshot = {
  version: 'v',
  generatedAt: 0,
  apis: [
    {
      id: 'api_orders',
      name: 'Orders',
      pathPrefix: '/orders',
      upstreamUrl: 'http://127.0.0.1:1',
      stripPrefix: true,
      routes: [
        { method: 'GET', pathTemplate: '/v1/orders/:id', endpoint: 'GET /v1/orders/:id', costWeight: 1 },
        { method: 'POST', pathTemplate: '/v1/reports', endpoint: 'POST /v1/reports', costWeight: 5 },
      ],
    },
  ],
  plans: [
    plan('plan_pro', 3, 9000, 'month'),
    plan('plan_pro', 2, 5000, 'month'),
    plan('plan_free', 1, 100, 'day'),
  ],
  consumers: [
    consumer('cons_paris'),
    consumer('cons_daily', { planId: 'plan_free', planVersion: 1, timeZone: 'America/New_York' }),
    consumer('cons_suspended', { status: 'suspended', planVersion: 3, timeZone: 'UTC' }),
    consumer('cons_bad_zone', { timeZone: 'Mars/Olympus' }),
    consumer('cons_bad_anchor', { periodAnchor: 'someday' }),
    consumer('cons_gone_version', { planVersion: 1 }),
  ],
  keys: [],
};

describe('consumerQuotaPeriods', () => {
  const now = Date.parse('2026-03-20T00:00:00Z');

  it("gives each consumer its pinned version's limit and its period in its own time zone", () => {
    const { periods } = consumerQuotaPeriods(snapshot, now);
    expect(periods).toEqual([
      {
        consumerId: 'cons_paris',
        planId: 'plan_pro',
        planVersion: 2,
        status: 'active',
        quotaLimit: 5000,
        // 10:30:00.250 in Paris on the 15th: CET in March, CEST (summer time) in April.
        periodStart: Date.parse('2026-03-15T09:30:00.250Z'),
        periodEnd: Date.parse('2026-04-15T08:30:00.250Z'),
        counterKey: `q:{cons_paris}:${Date.parse('2026-03-15T09:30:00.250Z')}`,
      },
      {
        consumerId: 'cons_daily',
        planId: 'plan_free',
        planVersion: 1,
        status: 'active',
        quotaLimit: 100,
        // Midnight to midnight in New York (EDT since March 8).
        periodStart: Date.parse('2026-03-19T04:00:00Z'),
        periodEnd: Date.parse('2026-03-20T04:00:00Z'),
        counterKey: `q:{cons_daily}:${Date.parse('2026-03-19T04:00:00Z')}`,
      },
      expect.objectContaining({ consumerId: 'cons_suspended', status: 'suspended', quotaLimit: 9000 }),
    ]);
  });

  it('skips, with the reason, the consumers the gateway skips', () => {
    const { skipped } = consumerQuotaPeriods(snapshot, now);
    expect(skipped.map((entry) => entry.consumerId)).toEqual([
      'cons_bad_zone',
      'cons_bad_anchor',
      'cons_gone_version',
    ]);
    expect(skipped[2].reason).toContain('plan_pro version 1');
  });

  it('takes the latest version when the snapshot names none', () => {
    const legacy = {
      ...snapshot,
      consumers: [{ ...consumer('cons_old'), planVersion: undefined as unknown as number }],
    };
    expect(consumerQuotaPeriods(legacy, now).periods[0]).toMatchObject({ planVersion: 3, quotaLimit: 9000 });
  });
});

describe('quota units', () => {
  it("weighs counted requests by their route's cost, 1 for a request that matched no route", () => {
    const weights = routeCostWeights(snapshot);
    expect(
      quotaUnits(
        [
          { apiId: 'api_orders', endpoint: 'GET /v1/orders/:id', requests: 7 },
          { apiId: 'api_orders', endpoint: 'POST /v1/reports', requests: 3 },
          { apiId: 'api_orders', endpoint: 'GET /unmatched', requests: 2 },
          { apiId: 'api_other', endpoint: 'POST /v1/reports', requests: 4 },
        ],
        weights,
      ),
    ).toBe(7 + 15 + 2 + 4);
  });

  it('names counters as the gateway does', () => {
    expect(gatewayQuotaCounterKey('cons_a', 1_700_000_000_000)).toBe('q:{cons_a}:1700000000000');
  });
});
