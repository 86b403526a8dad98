import { type DemoInfo } from '@tollgate/plans-data';
import { type EmbeddedPlatform, startEmbeddedPlatform, eventually } from './support/app-process';

jest.setTimeout(300_000);

interface Answer {
  status: number;
  contentType: string;
  wwwAuthenticate: string | null;
  text: string;
  // Response bodies are whatever the API answered; each test narrows what it reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted field by field
  body: any;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: unknown[] }>>;
}

/** The documented example body of `POST /api/admin/plans`, verbatim. */
const issuePlanBody = {
  name: 'Starter',
  quota: { limit: 50000, period: 'month' },
  rateLimit: { perSecond: 10, burst: 20 },
  concurrency: 5,
  overage: { bufferPercent: 10, unitPriceMinor: 1, currency: 'usd' },
  alertThresholds: [80, 95, 100],
  countPolicy: { count4xx: true, count5xx: false },
  prices: [{ type: 'flat', amountMinor: 4900, currency: 'usd' }],
};

const httpMethods = ['get', 'post', 'put', 'patch', 'delete'];
/** Operations anyone may call: logging in. Everything else under /api/admin needs a bearer token. */
const publicOperations = ['POST /api/admin/session'];
/** Writes a viewer may make: ending its own session. */
const viewerWrites = ['DELETE /api/admin/session'];

/** The admin API against the embedded platform: contract, versioning, keys through the gateway, auth. */
describe('admin API (embedded platform)', () => {
  let demo: DemoInfo;

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; token?: string | null; contentType?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? demo.adminToken : options.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined || options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      payload = options.rawBody ?? JSON.stringify(options.body);
    }
    const response = await fetch(`${demo.apiUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      wwwAuthenticate: response.headers.get('www-authenticate'),
      text,
      body,
    };
  };

  const gatewayStatus = async (key: string): Promise<number> =>
    (await fetch(`${demo.gatewayUrl}${demo.demoPath}`, { headers: { 'x-api-key': key } })).status;

  const expectProblem = (answer: Answer, status: number) => {
    expect({ status: answer.status, body: answer.body }).toMatchObject({ status, body: { status } });
    expect(answer.contentType).toContain('application/problem+json');
  };

  const fieldsOf = (answer: Answer): string[] =>
    (answer.body.errors as { field: string }[]).map((issue) => issue.field).sort();

  let embedded: EmbeddedPlatform;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('admin-api');
    ({ demo } = embedded);
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  let planId: string;
  let consumerId: string;

  it('creates a plan from the issue body with the defaults filled, version 1 and its group', async () => {
    const created = await call('POST', '/api/admin/plans', { body: issuePlanBody });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...issuePlanBody,
      tier: 'subscription',
      version: 1,
      currency: 'usd',
      trialDays: 0,
      allowedEndpoints: [],
      isPublic: true,
      archivedAt: null,
      countersUnavailable: 'reject',
      meters: [],
    });
    expect(created.body.id).toMatch(/^plan_/);
    expect(created.body.groupId).toMatch(/^cgrp_/);
    expect(created.body.versions).toHaveLength(1);
    planId = created.body.id as string;

    const minimal = await call('POST', '/api/admin/plans', {
      body: { name: 'Tiny', quota: { limit: 10, period: 'day' } },
    });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toMatchObject({
      alertThresholds: [80, 95, 100],
      countPolicy: { count4xx: true, count5xx: false },
      overage: null,
      rateLimit: null,
      prices: [],
    });
    const listed = await call('GET', '/api/admin/plans');
    expect((listed.body as { id: string }[]).map((plan) => plan.id)).toEqual(
      expect.arrayContaining([planId, minimal.body.id]),
    );
    const groups = await call('GET', '/api/admin/consumer-groups');
    expect(groups.body).toEqual(expect.arrayContaining([expect.objectContaining({ planId })]));
    const second = await call('POST', '/api/admin/consumer-groups', { body: { name: 'Again', planId } });
    expectProblem(second, 409);
  });

  it('creates a consumer with its subscription, and a key that is shown once and works at the gateway until revoked', async () => {
    const created = await call('POST', '/api/admin/consumers', {
      body: { name: 'Acme', email: 'dev@acme.test', planId, timeZone: 'Europe/Paris' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Acme',
      timeZone: 'Europe/Paris',
      status: 'active',
      subscription: { planId, planVersion: 1, status: 'active' },
    });
    consumerId = created.body.id as string;
    expect(Date.parse(created.body.subscription.currentPeriod.end)).toBeGreaterThan(Date.now());

    const key = await call('POST', `/api/admin/consumers/${consumerId}/keys`, {
      body: { scopes: ['orders:read'] },
    });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^tg_live_[0-9a-z]{32}$/);
    expect(key.body.key.startsWith(key.body.prefix)).toBe(true);
    const secret = key.body.key as string;

    const listed = await call('GET', `/api/admin/consumers/${consumerId}/keys`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      expect.objectContaining({ id: key.body.id, prefix: key.body.prefix, revokedAt: null }),
    ]);
    expect(listed.body[0]).not.toHaveProperty('key');
    expect(listed.text).not.toContain(secret.slice(12));

    await eventually(
      () => gatewayStatus(secret),
      (status) => status === 200,
      5_000,
      'new key admitted',
    );

    const revoked = await call('DELETE', `/api/admin/keys/${key.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect(revoked.text).not.toContain(secret.slice(12));
    const refusedAfter = Date.now();
    await eventually(
      () => gatewayStatus(secret),
      (status) => status === 401,
      2_000,
      'revoked key refused',
    );
    expect(Date.now() - refusedAfter).toBeLessThan(2_000);
  });

  it('rotates a key: both work during the overlap, the old one carries its new expiry', async () => {
    const key = await call('POST', `/api/admin/consumers/${consumerId}/keys`, { body: { name: 'ci' } });
    const rotated = await call('POST', `/api/admin/keys/${key.body.id}/rotate`, {
      body: { overlapSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'ci', previousKeyId: key.body.id });
    expect(rotated.body.key).not.toBe(key.body.key);
    const overlapEnd = Date.parse(rotated.body.previousKeyExpiresAt);
    expect(overlapEnd).toBeGreaterThan(Date.now() + 50_000);
    expect(overlapEnd).toBeLessThan(Date.now() + 70_000);
    await eventually(
      () => gatewayStatus(rotated.body.key),
      (status) => status === 200,
      5_000,
      'new key',
    );
    expect(await gatewayStatus(key.body.key)).toBe(200);
    const again = await call('POST', `/api/admin/keys/${key.body.id}/rotate`, { body: {} });
    expectProblem(again, 409);
  });

  it('versions a plan edited while it has subscribers, and migrates them on request', async () => {
    const patched = await call('PATCH', `/api/admin/plans/${planId}`, { body: { quota: { limit: 60000 } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      version: 2,
      versionCreated: true,
      quota: { limit: 60000, period: 'month' },
    });
    expect(patched.body.versions).toEqual([
      expect.objectContaining({
        version: 2,
        subscribers: 0,
        definition: expect.objectContaining({ quota: { limit: 60000, period: 'month' } }),
      }),
      expect.objectContaining({
        version: 1,
        subscribers: 1,
        definition: expect.objectContaining({ quota: { limit: 50000, period: 'month' } }),
      }),
    ]);
    const consumer = await call('GET', `/api/admin/consumers/${consumerId}`);
    expect(consumer.body.subscription.planVersion).toBe(1);

    // Nobody is on version 2 yet: a second edit rewrites it in place, and a rename never versions.
    const inPlace = await call('PATCH', `/api/admin/plans/${planId}`, {
      body: { quota: { limit: 65000 }, name: 'Starter+' },
    });
    expect(inPlace.body).toMatchObject({ version: 2, versionCreated: false, name: 'Starter+' });

    const scheduledAt = new Date(Date.now() + 86_400_000).toISOString();
    const scheduled = await call('POST', `/api/admin/plans/${planId}/migrate-subscribers`, {
      body: { toVersion: 2, effectiveAt: scheduledAt },
    });
    expect(scheduled.body).toMatchObject({ scheduled: true, subscriptions: 1 });
    const pending = await call('GET', `/api/admin/consumers/${consumerId}`);
    expect(pending.body.subscription).toMatchObject({
      planVersion: 1,
      pendingPlanVersion: 2,
      pendingEffectiveAt: scheduledAt,
    });

    const migrated = await call('POST', `/api/admin/plans/${planId}/migrate-subscribers`, {
      body: { toVersion: 2 },
    });
    expect(migrated.status).toBe(200);
    expect(migrated.body).toMatchObject({ planId, toVersion: 2, scheduled: false, subscriptions: 1 });
    const moved = await call('GET', `/api/admin/consumers/${consumerId}`);
    expect(moved.body.subscription).toMatchObject({ planVersion: 2, pendingPlanVersion: null });

    const unknownVersion = await call('POST', `/api/admin/plans/${planId}/migrate-subscribers`, {
      body: { toVersion: 9 },
    });
    expectProblem(unknownVersion, 400);
    expect(fieldsOf(unknownVersion)).toEqual(['toVersion']);
  });

  it('suspends a consumer (refused at the gateway) and resumes it', async () => {
    const key = await call('POST', `/api/admin/consumers/${consumerId}/keys`, { body: {} });
    await eventually(
      () => gatewayStatus(key.body.key),
      (status) => status === 200,
      5_000,
      'key admitted',
    );
    const suspended = await call('PATCH', `/api/admin/consumers/${consumerId}`, {
      body: { status: 'suspended', suspendedReason: 'unpaid invoice' },
    });
    expect(suspended.body).toMatchObject({ status: 'suspended', suspendedReason: 'unpaid invoice' });
    await eventually(
      () => gatewayStatus(key.body.key),
      (status) => status !== 200,
      5_000,
      'suspended consumer refused',
    );
    const resumed = await call('PATCH', `/api/admin/consumers/${consumerId}`, { body: { status: 'active' } });
    expect(resumed.body).toMatchObject({ status: 'active', suspendedReason: null });
    await eventually(
      () => gatewayStatus(key.body.key),
      (status) => status === 200,
      5_000,
      'resumed consumer admitted',
    );
  });

  it('answers bad input with 400 problem+json naming the fields, malformed JSON with 400, unknown ids with 404', async () => {
    const badPlan = await call('POST', '/api/admin/plans', {
      body: { name: 'Bad', quota: { limit: -1, period: 'fortnight' } },
    });
    expectProblem(badPlan, 400);
    expect(fieldsOf(badPlan)).toEqual(['quota.limit', 'quota.period']);

    const badConsumer = await call('POST', '/api/admin/consumers', {
      body: { name: 'X', email: 'x@y.test', planId, timeZone: 'Mars/Olympus' },
    });
    expectProblem(badConsumer, 400);
    expect(fieldsOf(badConsumer)).toEqual(['timeZone']);

    const badPlanFields = await call('POST', '/api/admin/plans', {
      body: {
        name: 'Bad meters',
        quota: { limit: 10, period: 'month' },
        countersUnavailable: 'fail_open',
        meters: [{ slug: 'sms', aggregation: 'sum' }],
      },
    });
    expectProblem(badPlanFields, 400);
    expect(fieldsOf(badPlanFields)).toEqual(['countersUnavailable', 'meters.0.valueKey']);

    const badExternalId = await call('PATCH', `/api/admin/consumers/${consumerId}`, {
      body: { externalId: 'has spaces' },
    });
    expectProblem(badExternalId, 400);
    expect(fieldsOf(badExternalId)).toEqual(['externalId']);

    const badAuth = await call('POST', '/api/admin/apis', {
      body: {
        name: 'Auth',
        pathPrefix: '/auth-bad',
        upstreamUrl: 'http://h/',
        keyInQuery: 'api key',
        jwt: { jwksUrl: 'ftp://keys', issuer: 'i', audience: 'a', algorithms: ['HS256'] },
      },
    });
    expectProblem(badAuth, 400);
    expect(fieldsOf(badAuth)).toEqual(['jwt.algorithms.0', 'jwt.jwksUrl', 'keyInQuery']);

    const wrongTypes = await call('POST', '/api/admin/apis', {
      body: { name: 1, pathPrefix: 'x', upstreamUrl: 'ftp://h' },
    });
    expectProblem(wrongTypes, 400);
    expect(fieldsOf(wrongTypes)).toEqual(['name', 'pathPrefix', 'upstreamUrl']);

    const malformed = await call('POST', '/api/admin/plans', { rawBody: '{"name": "Broken",' });
    expectProblem(malformed, 400);
    const emptyJson = await call('POST', '/api/admin/consumers', { rawBody: '' });
    expectProblem(emptyJson, 400);
    const xml = await call('POST', '/api/admin/plans', {
      rawBody: '<plan/>',
      contentType: 'application/xml',
    });
    expectProblem(xml, 415);
    const text = await call('POST', '/api/admin/plans', { rawBody: 'plan', contentType: 'text/plain' });
    expectProblem(text, 400);

    for (const [method, path] of [
      ['GET', '/api/admin/plans/plan_missing'],
      ['PATCH', '/api/admin/plans/plan_missing'],
      ['GET', '/api/admin/consumers/cons_missing'],
      ['GET', '/api/admin/consumers/cons_missing/keys'],
      ['POST', '/api/admin/consumers/cons_missing/keys'],
      ['DELETE', '/api/admin/keys/key_missing'],
      ['GET', '/api/admin/apis/api_missing'],
      ['DELETE', '/api/admin/apis/api_missing/routes/rte_missing'],
      ['POST', '/api/admin/apis/api_missing/ingest-token'],
    ] as const) {
      const answer = await call(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
      expect([method, path, answer.status]).toEqual([method, path, 404]);
      expect(answer.contentType).toContain('application/problem+json');
    }
  });

  it('manages APIs and routes, with 409 on a taken prefix', async () => {
    const api = await call('POST', '/api/admin/apis', {
      body: { name: 'Orders', pathPrefix: '/orders', upstreamUrl: 'http://127.0.0.1:9/' },
    });
    expect(api.status).toBe(201);
    expect(api.body).toMatchObject({ stripPrefix: true, routes: [] });
    expectProblem(
      await call('POST', '/api/admin/apis', {
        body: { name: 'Again', pathPrefix: '/orders', upstreamUrl: 'http://h/' },
      }),
      409,
    );
    const route = await call('POST', `/api/admin/apis/${api.body.id}/routes`, {
      body: { method: 'get', pathTemplate: '/v1/orders/:id', costWeight: 3 },
    });
    expect(route.status).toBe(201);
    expect(route.body).toMatchObject({ method: 'GET', endpoint: 'GET /v1/orders/:id', costWeight: 3 });
    expectProblem(
      await call('POST', `/api/admin/apis/${api.body.id}/routes`, {
        body: { method: 'GET', pathTemplate: '/v1/orders/:id' },
      }),
      409,
    );
    const patched = await call('PATCH', `/api/admin/apis/${api.body.id}/routes/${route.body.id}`, {
      body: { costWeight: 5 },
    });
    expect(patched.body.costWeight).toBe(5);
    expect((await call('GET', `/api/admin/apis/${api.body.id}`)).body.routes).toHaveLength(1);
    expect((await call('DELETE', `/api/admin/apis/${api.body.id}/routes/${route.body.id}`)).status).toBe(200);
    expect((await call('DELETE', `/api/admin/apis/${api.body.id}`)).status).toBe(200);
    expectProblem(await call('GET', `/api/admin/apis/${api.body.id}`), 404);
  });

  it('stores API auth settings with their defaults, issues an ingest token once, and keeps consumer external ids unique', async () => {
    const api = await call('POST', '/api/admin/apis', {
      body: {
        name: 'Events',
        pathPrefix: '/events',
        upstreamUrl: 'http://127.0.0.1:9/',
        keyInQuery: 'api_key',
        jwt: { jwksUrl: 'https://auth.test/jwks.json', issuer: 'https://auth.test/', audience: 'events' },
      },
    });
    expect(api.status).toBe(201);
    expect(api.body).toMatchObject({
      keyInQuery: 'api_key',
      jwt: { consumerClaim: 'sub', algorithms: ['RS256', 'ES256'], clockToleranceSeconds: 30 },
      hasIngestToken: false,
    });

    const issued = await call('POST', `/api/admin/apis/${api.body.id}/ingest-token`);
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({
      apiId: api.body.id,
      token: expect.stringMatching(/^tgi_[0-9a-z]{32}$/),
    });
    const token = issued.body.token as string;
    const read = await call('GET', `/api/admin/apis/${api.body.id}`);
    expect(read.body.hasIngestToken).toBe(true);
    expect(read.text).not.toContain(token.slice(4));
    const reissued = await call('POST', `/api/admin/apis/${api.body.id}/ingest-token`);
    expect(reissued.body.token).not.toBe(token);
    const audit = await call('GET', `/api/admin/audit-log?entityType=api&entityId=${api.body.id as string}`);
    expect((audit.body.items as { action: string }[]).map((entry) => entry.action)).toEqual([
      'api.issue_ingest_token',
      'api.issue_ingest_token',
      'api.create',
    ]);
    expect(audit.text).not.toContain(token.slice(4));

    const cleared = await call('PATCH', `/api/admin/apis/${api.body.id}`, {
      body: { jwt: null, keyInQuery: null },
    });
    expect(cleared.body).toMatchObject({ jwt: null, keyInQuery: null, hasIngestToken: true });

    const withId = await call('PATCH', `/api/admin/consumers/${consumerId}`, {
      body: { externalId: 'auth0|acme' },
    });
    expect(withId.body.externalId).toBe('auth0|acme');
    const duplicate = await call('POST', '/api/admin/consumers', {
      body: { name: 'Dup', email: 'dup@acme.test', planId, externalId: 'auth0|acme' },
    });
    expectProblem(duplicate, 409);
    expect((await call('DELETE', `/api/admin/apis/${api.body.id}`)).status).toBe(200);
  });

  it('records every write in the audit log, with the actor and the state before and after', async () => {
    const forPlan = await call('GET', `/api/admin/audit-log?entityType=plan&entityId=${planId}&limit=10`);
    expect(forPlan.status).toBe(200);
    const actions = (forPlan.body.items as { action: string }[]).map((entry) => entry.action);
    expect(actions).toEqual([
      'plan.migrate_subscribers',
      'plan.migrate_subscribers',
      'plan.update',
      'plan.update',
      'plan.create',
    ]);
    expect(forPlan.body.items[4]).toMatchObject({
      actorType: 'admin_token',
      before: null,
      after: { id: planId },
    });
    expect(forPlan.body.items[3]).toMatchObject({ before: { version: 1 }, after: { version: 2 } });
    const keys = await call('GET', '/api/admin/audit-log?entityType=api_key&limit=50');
    expect((keys.body.items as { action: string }[]).map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['api_key.create', 'api_key.revoke', 'api_key.rotate']),
    );
    expect(keys.text).not.toMatch(/tg_live_[0-9a-z]{32}/);
    const page = await call('GET', '/api/admin/audit-log?limit=2');
    expect(page.body.items).toHaveLength(2);
    const next = await call('GET', `/api/admin/audit-log?limit=2&cursor=${page.body.nextCursor as string}`);
    expect(next.body.items[0].id < page.body.items[1].id).toBe(true);
    expectProblem(await call('GET', '/api/admin/audit-log?limit=0'), 400);
  });

  it('lists consumers page by page, filtered and searched', async () => {
    for (const name of ['Zeta Corp', 'Zeta Labs']) {
      await call('POST', '/api/admin/consumers', {
        body: { name, email: `${name.replace(' ', '.')}@zeta.test`, planId },
      });
    }
    const first = await call('GET', '/api/admin/consumers?search=zeta&limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call(
      'GET',
      `/api/admin/consumers?search=zeta&limit=1&cursor=${first.body.nextCursor as string}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect(new Set([first.body.items[0].name, second.body.items[0].name])).toEqual(
      new Set(['Zeta Corp', 'Zeta Labs']),
    );
    const suspended = await call('GET', `/api/admin/consumers?status=suspended&planId=${planId}`);
    expect(suspended.body.items).toEqual([]);
  });

  describe('authentication and roles', () => {
    let document: OpenApiDocument;
    const operations: { method: string; path: string; name: string }[] = [];

    beforeAll(async () => {
      document = (await (await fetch(`${demo.apiUrl}/api/openapi.json`)).json()) as OpenApiDocument;
      for (const [template, item] of Object.entries(document.paths)) {
        if (!template.startsWith('/api/admin')) continue;
        for (const method of Object.keys(item).filter((key) => httpMethods.includes(key))) {
          const upper = method.toUpperCase();
          operations.push({
            method: upper,
            path: template.replace(/\{[^}]+\}/g, 'dummy_id_0000'),
            name: `${upper} ${template}`,
          });
        }
      }
    });

    const minimalOptions = (method: string) => (method === 'GET' || method === 'DELETE' ? {} : { body: {} });

    it('documents every admin operation with bearer auth, except logging in', () => {
      expect(operations.length).toBeGreaterThan(25);
      const unsecured = Object.entries(document.paths).flatMap(([template, item]) =>
        Object.entries(item)
          .filter(([method, operation]) => httpMethods.includes(method) && !operation.security?.length)
          .map(([method]) => `${method.toUpperCase()} ${template}`)
          .filter((name) => name.includes(' /api/admin')),
      );
      expect(unsecured).toEqual(publicOperations);
    });

    it('answers 401 problem+json to every admin operation without credentials and with a bogus token', async () => {
      const failures: string[] = [];
      for (const operation of operations) {
        if (publicOperations.includes(operation.name)) continue;
        for (const token of [null, 'tg_adm_bogus0000000000000000000000000000000000']) {
          const answer = await call(operation.method, operation.path, {
            ...minimalOptions(operation.method),
            token,
          });
          if (
            answer.status !== 401 ||
            !answer.contentType.includes('application/problem+json') ||
            !answer.wwwAuthenticate
          ) {
            failures.push(`${operation.name} (${token ? 'bogus token' : 'no token'}) → ${answer.status}`);
          }
        }
      }
      expect(failures).toEqual([]);
    });

    it('lets a viewer read but answers 403 to every admin write, and only owners manage admin users', async () => {
      const password = 'correct horse battery';
      for (const [email, role] of [
        ['viewer@tollgate.test', 'viewer'],
        ['admin@tollgate.test', 'admin'],
      ]) {
        const user = await call('POST', '/api/admin/admin-users', {
          body: { email, name: role, role, password },
        });
        expect(user.status).toBe(201);
        expect(user.text).not.toContain(password);
      }
      const login = await call('POST', '/api/admin/session', {
        body: { email: 'viewer@tollgate.test', password },
        token: null,
      });
      expect(login.status).toBe(201);
      expect(login.body).toMatchObject({ role: 'viewer', token: expect.stringMatching(/^tg_adm_/) });
      expect(Date.parse(login.body.expiresAt) - Date.now()).toBeGreaterThan(11.9 * 3600 * 1000);
      const viewer = login.body.token as string;

      expect((await call('GET', '/api/admin/plans', { token: viewer })).status).toBe(200);
      expect((await call('GET', `/api/admin/consumers/${consumerId}/usage`, { token: viewer })).status).toBe(
        200,
      );

      const failures: string[] = [];
      for (const operation of operations) {
        if (operation.method === 'GET' || publicOperations.includes(operation.name)) continue;
        if (viewerWrites.includes(operation.name)) continue;
        const answer = await call(operation.method, operation.path, {
          ...minimalOptions(operation.method),
          token: viewer,
        });
        if (answer.status !== 403 || !answer.contentType.includes('application/problem+json')) {
          failures.push(`${operation.name} → ${answer.status}`);
        }
      }
      expect(failures).toEqual([]);

      const adminLogin = await call('POST', '/api/admin/session', {
        body: { email: 'admin@tollgate.test', password },
        token: null,
      });
      const admin = adminLogin.body.token as string;
      expect(
        (
          await call('POST', '/api/admin/plans', {
            body: { name: 'By admin', quota: { limit: 1, period: 'day' } },
            token: admin,
          })
        ).status,
      ).toBe(201);
      expectProblem(await call('GET', '/api/admin/admin-users', { token: admin }), 403);
      expectProblem(
        await call('POST', '/api/admin/admin-users', {
          body: { email: 'x@tollgate.test', name: 'x', role: 'owner', password },
          token: admin,
        }),
        403,
      );
      const audit = await call('GET', '/api/admin/audit-log?entityType=plan&limit=1');
      expect(audit.body.items[0]).toMatchObject({ action: 'plan.create', actorType: 'admin_user' });

      // Logging out ends the token.
      expect((await call('DELETE', '/api/admin/session', { token: viewer })).status).toBe(204);
      expectProblem(await call('GET', '/api/admin/plans', { token: viewer }), 401);
    });

    it('does not reveal whether an email exists when a login fails', async () => {
      const wrongPassword = await call('POST', '/api/admin/session', {
        body: { email: 'viewer@tollgate.test', password: 'not the password' },
        token: null,
      });
      const unknownEmail = await call('POST', '/api/admin/session', {
        body: { email: 'nobody@tollgate.test', password: 'not the password' },
        token: null,
      });
      expectProblem(wrongPassword, 401);
      expectProblem(unknownEmail, 401);
      expect(wrongPassword.body.detail).toBe(unknownEmail.body.detail);
    });
  });
});
