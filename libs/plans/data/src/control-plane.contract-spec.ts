import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from '@tollgate/errors';
import { sha256Hex } from '@tollgate/ids';
import {
  apiCreateSchema,
  apiPatchSchema,
  consumerCreateSchema,
  consumerPatchSchema,
  parseInput,
  planCreateSchema,
  planPatchSchema,
} from '@tollgate/plans-domain';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
import { loginAdmin, resolveAdminSession } from './admin-sessions';
import { AdminTokens } from './admin-tokens';
import { createAdminUser, patchAdminUser } from './admin-users';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from './api-keys';
import { createApi, findApiByIngestToken, getApi, issueIngestToken, patchApi } from './apis';
import { type Actor } from './audit-log';
import { applyDueSubscriptionChanges, createConsumer, getConsumer, patchConsumer } from './consumers';
import { createPlan, getPlan, migrateSubscribers, patchPlan } from './plans';

// The control plane's use cases against the real PostgreSQL, one scratch database for this file.
const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const actor: Actor = { type: 'admin_user', id: 'adm_test' };

async function withAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${(error as Error).message}); run npm run services:up`,
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('control-plane use cases (PostgreSQL)', () => {
  const database = `tollgate_cp_${randomBytes(6).toString('hex')}`;
  let store: RelationalStore;
  let prisma: PrismaClient;

  beforeAll(async () => {
    await withAdmin(`CREATE DATABASE "${database}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    store = await createRelationalStoreFromConfig({
      DATABASE_URL: url.toString(),
      TOLLGATE_DATA_DIR: '/nonexistent',
    });
    prisma = store.prisma;
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await withAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }, 60_000);

  const plan = (body: Record<string, unknown>) =>
    createPlan(
      prisma,
      parseInput(planCreateSchema, { quota: { limit: 100, period: 'month' }, ...body }),
      actor,
    );
  const consumer = (planId: string, body: Record<string, unknown> = {}) =>
    createConsumer(
      prisma,
      parseInput(consumerCreateSchema, { name: 'C', email: 'c@example.test', planId, ...body }),
      actor,
    );

  describe('API keys', () => {
    it("never reveals another consumer's key: revoke and rotate answer not found", async () => {
      const { id: planId } = await plan({ name: 'Keys' });
      const owner = await consumer(planId);
      const other = await consumer(planId);
      const key = await createApiKey(
        prisma,
        { consumerId: owner.id, name: 'ci', scopes: ['read', 'read'] },
        actor,
      );
      expect(key.scopes).toEqual(['read']);
      expect(await rejection(revokeApiKey(prisma, key.id, { consumerId: other.id }))).toBeInstanceOf(
        NotFoundError,
      );
      expect(await rejection(rotateApiKey(prisma, key.id, { consumerId: other.id }))).toBeInstanceOf(
        NotFoundError,
      );
      expect((await listApiKeys(prisma, owner.id))[0]).toMatchObject({ id: key.id, revokedAt: null });

      const revoked = await revokeApiKey(prisma, key.id, { consumerId: owner.id });
      expect(revoked.revokedAt).not.toBeNull();
      // Revoking again is harmless and keeps the first revocation time.
      expect((await revokeApiKey(prisma, key.id)).revokedAt).toBe(revoked.revokedAt);
      expect(await rejection(rotateApiKey(prisma, key.id))).toBeInstanceOf(ConflictError);
    });

    it('stores only the hash and rotates with an overlap that never extends the old key', async () => {
      const { id: planId } = await plan({ name: 'Rotation' });
      const owner = await consumer(planId);
      const expiresAt = new Date(Date.now() + 3600_000);
      const key = await createApiKey(prisma, { consumerId: owner.id, scopes: ['a'], expiresAt });
      const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(key.key);

      const long = await rotateApiKey(prisma, key.id, { overlapSeconds: 7200 });
      // The old key would have expired in an hour anyway: the overlap does not lengthen it.
      expect(long.previousKeyExpiresAt).toBe(expiresAt.toISOString());
      expect(long).toMatchObject({ scopes: ['a'], expiresAt: expiresAt.toISOString() });
      const old = (await listApiKeys(prisma, owner.id)).find((view) => view.id === key.id);
      expect(old?.replacedById).toBe(long.id);

      expect(await rejection(createApiKey(prisma, { consumerId: 'cons_missing' }))).toBeInstanceOf(
        NotFoundError,
      );
      const past = await rejection(createApiKey(prisma, { consumerId: owner.id, expiresAt: new Date(0) }));
      expect(past).toBeInstanceOf(ValidationError);
    });
  });

  describe('plan versions', () => {
    it('edits in place without subscribers, versions with them, migrates now or later', async () => {
      const created = await plan({ name: 'Versioned' });
      const inPlace = await patchPlan(
        prisma,
        created.id,
        parseInput(planPatchSchema, { quota: { limit: 200 } }),
        actor,
      );
      expect(inPlace).toMatchObject({ version: 1, versionCreated: false });
      expect(inPlace.versions[0].definition.quota.limit).toBe(200);

      const subscriber = await consumer(created.id);
      const bumped = await patchPlan(
        prisma,
        created.id,
        parseInput(planPatchSchema, { quota: { limit: 300 } }),
        actor,
      );
      expect(bumped).toMatchObject({ version: 2, versionCreated: true });
      expect((await getConsumer(prisma, subscriber.id)).subscription?.planVersion).toBe(1);
      // A new subscriber gets the latest version.
      expect((await consumer(created.id)).subscription?.planVersion).toBe(2);

      const now = new Date();
      const later = new Date(now.getTime() + 3600_000);
      const scheduled = await migrateSubscribers(
        prisma,
        created.id,
        { toVersion: 2, effectiveAt: later },
        actor,
        now,
      );
      expect(scheduled).toMatchObject({ scheduled: true, subscriptions: 1 });
      expect(await applyDueSubscriptionChanges(prisma, now)).toBe(0);
      expect(await applyDueSubscriptionChanges(prisma, new Date(later.getTime() + 1))).toBe(1);
      expect((await getConsumer(prisma, subscriber.id)).subscription).toMatchObject({
        planVersion: 2,
        pendingPlanVersion: null,
      });
      const audit = await prisma.auditLog.findMany({
        where: { entityId: created.id },
        orderBy: { id: 'asc' },
      });
      expect(audit.map((entry) => entry.action)).toEqual([
        'plan.create',
        'plan.update',
        'plan.update',
        'plan.migrate_subscribers',
      ]);
    });
  });

  describe('consumers', () => {
    it('keeps external ids unique, and frees one when it is cleared', async () => {
      const { id: planId } = await plan({ name: 'External' });
      const first = await consumer(planId, { externalId: 'auth0|ext-1' });
      expect(first.externalId).toBe('auth0|ext-1');
      const taken = await rejection(consumer(planId, { externalId: 'auth0|ext-1' }));
      expect(taken).toBeInstanceOf(ConflictError);
      expect((taken as ConflictError).details).toMatchObject({ field: 'externalId' });
      const second = await consumer(planId);
      expect(
        await rejection(
          patchConsumer(
            prisma,
            second.id,
            parseInput(consumerPatchSchema, { externalId: 'auth0|ext-1' }),
            actor,
          ),
        ),
      ).toBeInstanceOf(ConflictError);
      // Re-stating its own id is not a conflict.
      await patchConsumer(prisma, first.id, parseInput(consumerPatchSchema, { externalId: 'auth0|ext-1' }));
      await patchConsumer(prisma, first.id, parseInput(consumerPatchSchema, { externalId: null }), actor);
      const moved = await patchConsumer(
        prisma,
        second.id,
        parseInput(consumerPatchSchema, { externalId: 'auth0|ext-1' }),
        actor,
      );
      expect(moved.externalId).toBe('auth0|ext-1');
    });

    it('starts a trial on a plan with trial days and generates a webhook secret', async () => {
      const trial = await plan({ name: 'Trial', trialDays: 14 });
      const created = await consumer(trial.id, { webhookUrl: 'https://hooks.example.test/t' });
      expect(created.subscription?.status).toBe('trialing');
      const trialLength =
        Date.parse(created.subscription?.trialEndsAt ?? '') -
        Date.parse(created.subscription?.periodAnchor ?? '');
      expect(trialLength).toBe(14 * 86_400_000);
      expect(created.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    });

    it('changes plan now on the same billing anchor, or schedules it', async () => {
      const from = await plan({ name: 'From' });
      const to = await plan({ name: 'To' });
      const created = await consumer(from.id, { timeZone: 'America/New_York' });
      const scheduledAt = new Date(Date.now() + 86_400_000);
      const pending = await patchConsumer(
        prisma,
        created.id,
        parseInput(consumerPatchSchema, { planId: to.id, effectiveAt: scheduledAt.toISOString() }),
        actor,
      );
      expect(pending.subscription).toMatchObject({ planId: from.id, pendingPlanId: to.id });

      const moved = await patchConsumer(
        prisma,
        created.id,
        parseInput(consumerPatchSchema, { planId: to.id }),
        actor,
      );
      expect(moved.subscription).toMatchObject({
        planId: to.id,
        planVersion: 1,
        periodAnchor: created.subscription?.periodAnchor,
        pendingPlanId: null,
      });
      expect(moved.groupId).toBe(to.groupId);
      const history = await prisma.subscription.findMany({
        where: { consumerId: created.id },
        orderBy: { createdAt: 'asc' },
      });
      expect(history.map((subscription) => subscription.status)).toEqual(['canceled', 'active']);

      const archived = await patchPlan(
        prisma,
        from.id,
        parseInput(planPatchSchema, { archived: true }),
        actor,
      );
      expect(archived.archivedAt).not.toBeNull();
      const before = await prisma.auditLog.count();
      const refused = await rejection(consumer(from.id));
      expect(refused).toBeInstanceOf(ValidationError);
      // The refused write left no audit row: both share one transaction.
      expect(await prisma.auditLog.count()).toBe(before);
    });
  });

  describe('API authentication settings and ingest tokens', () => {
    const jwt = {
      jwksUrl: 'https://auth.example.test/.well-known/jwks.json',
      issuer: 'https://auth.example.test/',
      audience: 'orders',
    };

    it('stores the key query parameter and the JWT settings with their defaults, and clears them with null', async () => {
      const api = await createApi(
        prisma,
        parseInput(apiCreateSchema, {
          name: 'Orders',
          pathPrefix: '/cp-orders',
          upstreamUrl: 'http://orders.internal',
          keyInQuery: 'api_key',
          jwt,
        }),
        actor,
      );
      expect(api).toMatchObject({
        keyInQuery: 'api_key',
        jwt: { ...jwt, consumerClaim: 'sub', algorithms: ['RS256', 'ES256'], clockToleranceSeconds: 30 },
        hasIngestToken: false,
      });
      const patched = await patchApi(
        prisma,
        api.id,
        parseInput(apiPatchSchema, { jwt: { ...jwt, algorithms: ['EdDSA'] } }),
        actor,
      );
      expect(patched).toMatchObject({ keyInQuery: 'api_key', jwt: { algorithms: ['EdDSA'] } });
      const cleared = await patchApi(
        prisma,
        api.id,
        parseInput(apiPatchSchema, { keyInQuery: null, jwt: null }),
      );
      expect(cleared).toMatchObject({ keyInQuery: null, jwt: null });
      expect((await prisma.api.findUniqueOrThrow({ where: { id: api.id } })).jwt).toBeNull();
    });

    it('issues an ingest token shown once, stores only its SHA-256, replaces the previous one and audits without it', async () => {
      const api = await createApi(
        prisma,
        parseInput(apiCreateSchema, {
          name: 'Events',
          pathPrefix: '/cp-events',
          upstreamUrl: 'http://e.internal',
        }),
        actor,
      );
      const first = await issueIngestToken(prisma, api.id, actor);
      expect(first.token).toMatch(/^tgi_[0-9a-z]{32}$/);
      expect(first.token.startsWith(first.prefix)).toBe(true);
      const row = await prisma.api.findUniqueOrThrow({ where: { id: api.id } });
      expect(row.ingestTokenHash).toBe(sha256Hex(first.token));
      expect((await getApi(prisma, api.id)).hasIngestToken).toBe(true);
      expect((await findApiByIngestToken(prisma, first.token))?.id).toBe(api.id);

      const second = await issueIngestToken(prisma, api.id, actor);
      expect(second.token).not.toBe(first.token);
      expect(await findApiByIngestToken(prisma, first.token)).toBeNull();
      expect((await findApiByIngestToken(prisma, second.token))?.id).toBe(api.id);
      expect(await findApiByIngestToken(prisma, 'tg_live_not_an_ingest_token')).toBeNull();

      const audit = await prisma.auditLog.findMany({ where: { entityId: api.id }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => entry.action)).toEqual([
        'api.create',
        'api.issue_ingest_token',
        'api.issue_ingest_token',
      ]);
      expect(JSON.stringify(audit)).not.toContain(first.token.slice(4));
      expect(JSON.stringify(audit)).not.toContain(second.token.slice(4));
      expect(await rejection(issueIngestToken(prisma, 'api_missing', actor))).toBeInstanceOf(NotFoundError);
    });
  });

  describe('plan meters and counters policy', () => {
    it('stores meters and the counters-unavailable policy in the plan and its versions', async () => {
      const created = await plan({
        name: 'Metered',
        countersUnavailable: 'local_limit',
        meters: [{ slug: 'sms', aggregation: 'sum', valueKey: 'sms' }],
      });
      expect(created).toMatchObject({
        countersUnavailable: 'local_limit',
        meters: [{ slug: 'sms', aggregation: 'sum', valueKey: 'sms', countedOnly: true, filters: {} }],
      });
      await consumer(created.id);
      const bumped = await patchPlan(
        prisma,
        created.id,
        parseInput(planPatchSchema, { meters: [], countersUnavailable: 'reject' }),
        actor,
      );
      expect(bumped).toMatchObject({
        version: 2,
        versionCreated: true,
        meters: [],
        countersUnavailable: 'reject',
      });
      const detail = await getPlan(prisma, created.id);
      expect(
        detail.versions.map((version) => [version.version, version.definition.countersUnavailable]),
      ).toEqual([
        [2, 'reject'],
        [1, 'local_limit'],
      ]);
      expect(detail.versions[1].definition.meters).toHaveLength(1);
    });
  });

  describe('admin users and sessions', () => {
    it('logs in, ends sessions when disabled, and keeps the last owner', async () => {
      const password = 'a long enough password';
      const owner = await createAdminUser(prisma, {
        email: 'owner@example.test',
        name: 'O',
        role: 'owner',
        password,
      });
      const viewer = await createAdminUser(prisma, {
        email: 'viewer@example.test',
        name: 'V',
        role: 'viewer',
        password,
      });
      const stored = await prisma.adminUser.findUniqueOrThrow({ where: { id: viewer.id } });
      expect(stored.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);

      const session = await loginAdmin(prisma, { email: 'viewer@example.test', password });
      const adminTokens = new AdminTokens(prisma);
      expect(await resolveAdminSession(prisma, adminTokens, session.token)).toEqual({
        kind: 'user',
        userId: viewer.id,
        role: 'viewer',
        expiresAt: session.expiresAt,
      });
      expect(
        await rejection(loginAdmin(prisma, { email: 'viewer@example.test', password: 'wrong one!' })),
      ).toBeInstanceOf(UnauthenticatedError);
      await patchAdminUser(prisma, viewer.id, { disabled: true }, actor);
      expect(await resolveAdminSession(prisma, adminTokens, session.token)).toBeNull();
      expect(await rejection(loginAdmin(prisma, { email: 'viewer@example.test', password }))).toBeInstanceOf(
        UnauthenticatedError,
      );

      expect(await rejection(patchAdminUser(prisma, owner.id, { role: 'admin' }, actor))).toBeInstanceOf(
        ConflictError,
      );
      expect(
        await rejection(
          createAdminUser(prisma, {
            email: 'owner@example.test',
            name: 'x',
            role: 'viewer',
            password,
          }),
        ),
      ).toBeInstanceOf(ConflictError);
    });
  });
});
