import { type SnapshotConsumer, snapshotPlanKey } from '@tollgate/gateway-snapshot';
import { hashApiKey } from '@tollgate/ids';
import { quotaCounterKey, SnapshotStore } from './snapshot-store';
import { apiFixture, consumerFixture, keyFixture, planFixture, snapshotFixture } from './testing';

describe('SnapshotStore', () => {
  const snapshot = snapshotFixture({
    apis: [
      apiFixture({ id: 'root', pathPrefix: '/', upstreamUrl: 'http://root.internal' }),
      apiFixture({ id: 'orders', pathPrefix: '/orders/', upstreamUrl: 'http://orders.internal:8080/base/' }),
      apiFixture({ id: 'orders-v2', pathPrefix: '/orders/v2', upstreamUrl: 'https://v2.internal' }),
      apiFixture({ id: 'broken', pathPrefix: '/broken', upstreamUrl: 'ftp://nope' }),
      apiFixture({
        id: 'routes',
        upstreamUrl: 'http://r.internal',
        routes: [
          { method: 'GET', pathTemplate: '/a/:id', endpoint: 'GET /a/:id', costWeight: 1 },
          { method: 'GET', pathTemplate: 'no-slash', endpoint: 'bad', costWeight: 1 },
        ],
      }),
    ],
    plans: [planFixture({ id: 'plan_a', allowedEndpoints: ['GET /a/:id'] })],
    consumers: [
      consumerFixture({ id: 'cons_a', planId: 'plan_a' }),
      consumerFixture({ id: 'cons_tz', planId: 'plan_a', timeZone: 'Mars/Olympus' }),
    ],
    keys: [keyFixture('secret-a', 'cons_a')],
  });

  it('is empty until the first snapshot', () => {
    const store = new SnapshotStore();
    expect(store.current).toBeNull();
    expect(store.version).toBeNull();
  });

  it('routes by the longest prefix that ends at a segment boundary', () => {
    const compiled = new SnapshotStore().replace(snapshot);
    expect(compiled.findApi('/orders/v2/items')?.record.id).toBe('orders-v2');
    expect(compiled.findApi('/orders/v2')?.record.id).toBe('orders-v2');
    expect(compiled.findApi('/orders/v23')?.record.id).toBe('orders');
    expect(compiled.findApi('/orders')?.record.id).toBe('orders');
    expect(compiled.findApi('/ordersx')?.record.id).toBe('root');
  });

  it('splits the upstream URL into origin and base path', () => {
    const orders = new SnapshotStore().replace(snapshot).findApi('/orders/1');
    expect(orders).toMatchObject({
      origin: 'http://orders.internal:8080',
      basePath: '/base',
      prefix: '/orders',
    });
  });

  it('indexes keys by hash and joins consumer and plan', () => {
    const compiled = new SnapshotStore().replace(snapshot);
    const key = compiled.keysByHash.get(hashApiKey('secret-a'));
    expect(key?.consumer?.record.id).toBe('cons_a');
    expect(key?.consumer?.plan?.allowedEndpoints?.has('GET /a/:id')).toBe(true);
  });

  it('skips invalid entries and reports them', () => {
    const compiled = new SnapshotStore().replace(snapshot);
    expect(compiled.findApi('/broken')?.record.id).toBe('root');
    expect(compiled.consumersById.has('cons_tz')).toBe(false);
    expect(compiled.findApi('/routes/a/1')?.routes).toHaveLength(1);
    expect(compiled.issues).toHaveLength(3);
  });

  it('swaps the whole snapshot at once', () => {
    const store = new SnapshotStore();
    const first = store.replace(snapshot);
    const second = store.replace(snapshotFixture({}));
    expect(store.current).toBe(second);
    expect(first.findApi('/orders')).not.toBeNull(); // a request holding the old one is unaffected
    expect(second.findApi('/orders')).toBeNull();
  });

  it('caches the quota window until the period ends', () => {
    const compiled = new SnapshotStore().replace(snapshot);
    const consumer = compiled.consumersById.get('cons_a');
    const plan = compiled.plansByKey.get(snapshotPlanKey('plan_a', 1));
    if (!consumer || !plan) throw new Error('fixture broken');
    const february = Date.UTC(2025, 1, 20);
    const window = compiled.quotaWindow(consumer, plan, february);
    expect(window).toEqual({
      start: Date.UTC(2025, 1, 15),
      end: Date.UTC(2025, 2, 15),
      counterKey: quotaCounterKey('cons_a', Date.UTC(2025, 1, 15)),
    });
    expect(compiled.quotaWindow(consumer, plan, february + 1000)).toBe(window);
    expect(compiled.quotaWindow(consumer, plan, Date.UTC(2025, 2, 15)).start).toBe(Date.UTC(2025, 2, 15));
    expect(window.counterKey).toBe(`q:{cons_a}:${Date.UTC(2025, 1, 15)}`);
  });

  it('gives each consumer the limits of the plan version it is pinned to', () => {
    const compiled = new SnapshotStore().replace(
      snapshotFixture({
        plans: [
          planFixture({ id: 'plan_a', version: 1, quota: { limit: 100, period: 'month' } }),
          planFixture({ id: 'plan_a', version: 3, quota: { limit: 300, period: 'day' } }),
        ],
        consumers: [
          consumerFixture({ id: 'cons_old', planId: 'plan_a', planVersion: 1 }),
          consumerFixture({ id: 'cons_new', planId: 'plan_a', planVersion: 3 }),
          consumerFixture({ id: 'cons_gone', planId: 'plan_a', planVersion: 2 }),
        ],
      }),
    );
    expect(compiled.consumersById.get('cons_old')?.plan?.record.quota).toEqual({
      limit: 100,
      period: 'month',
    });
    expect(compiled.consumersById.get('cons_new')?.plan?.record.quota).toEqual({ limit: 300, period: 'day' });
    expect(compiled.consumersById.get('cons_gone')?.plan).toBeUndefined();
    expect(compiled.issues).toEqual(['consumer cons_gone: plan plan_a version 2 is not in the snapshot']);
    expect(compiled.plansByKey.get(snapshotPlanKey('plan_a', 3))?.record.version).toBe(3);
  });

  it("takes the plan's latest version for a consumer without planVersion (an older plans service)", () => {
    const legacy = consumerFixture({ id: 'cons_legacy', planId: 'plan_a' }) as Partial<SnapshotConsumer>;
    delete legacy.planVersion;
    const compiled = new SnapshotStore().replace(
      snapshotFixture({
        plans: [planFixture({ id: 'plan_a', version: 2 }), planFixture({ id: 'plan_a', version: 1 })],
        consumers: [legacy as SnapshotConsumer],
      }),
    );
    expect(compiled.consumersById.get('cons_legacy')?.plan?.record.version).toBe(2);
  });

  it('compiles the key query parameter, the JWT settings and the consumers by externalId, skipping what is invalid', () => {
    const jwt = {
      jwksUrl: 'https://auth.internal/jwks.json',
      issuer: 'https://auth.internal/',
      audience: 'orders',
      consumerClaim: 'sub',
      algorithms: ['RS256', 'HS256'],
      clockToleranceSeconds: 30,
    };
    const compiled = new SnapshotStore().replace(
      snapshotFixture({
        apis: [
          apiFixture({ id: 'query', upstreamUrl: 'http://q.internal', keyInQuery: 'api_key', jwt }),
          apiFixture({ id: 'bad-query', upstreamUrl: 'http://b.internal', keyInQuery: 'api key' }),
          apiFixture({
            id: 'bad-jwt',
            upstreamUrl: 'http://j.internal',
            jwt: { ...jwt, algorithms: ['none'] },
          }),
          apiFixture({ id: 'plain', upstreamUrl: 'http://p.internal' }),
        ],
        plans: [planFixture({ id: 'plan_a' })],
        consumers: [
          consumerFixture({ id: 'cons_a', planId: 'plan_a', externalId: 'auth0|1' }),
          consumerFixture({ id: 'cons_b', planId: 'plan_a', externalId: 'auth0|1' }),
          consumerFixture({ id: 'cons_c', planId: 'plan_a', externalId: null }),
        ],
      }),
    );
    const byId = new Map(compiled.apis.map((api) => [api.record.id, api]));
    expect(byId.get('query')?.keyInQuery).toBe('api_key');
    expect([...(byId.get('query')?.jwt?.settings.algorithms ?? [])]).toEqual(['RS256']);
    expect(byId.get('bad-query')?.keyInQuery).toBeNull();
    expect(byId.get('bad-jwt')?.jwt).toBeNull();
    expect(byId.get('plain')).toMatchObject({ keyInQuery: null, jwt: null });
    expect(compiled.consumersByExternalId.get('auth0|1')?.record.id).toBe('cons_a');
    expect(compiled.consumersByExternalId.size).toBe(1);
    expect(compiled.issues).toEqual(
      expect.arrayContaining([
        expect.stringContaining('api bad-query: key query parameter'),
        expect.stringContaining('api bad-jwt: JWT authentication off'),
        expect.stringContaining('consumer cons_b: external id'),
      ]),
    );
  });
});
