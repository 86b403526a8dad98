import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prefixedId } from '@tollgate/ids';
import { Client } from 'pg';
import { applyMigrations } from './migration-applier';
import { migrationChecksum } from './migration-checksum';
import { MigrationError } from './migration-error';
import { defaultMigrationsDirectory, readLocalMigrations } from './migrations-directory';
import { createRelationalStore, type RelationalStore } from './relational-store';
import { createRelationalStoreFromConfig } from './relational-store-from-config';
import { Prisma, PlanTier, QuotaPeriod } from './generated/prisma/client';

// The real PostgreSQL: databases are created and dropped through its maintenance database.
const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const migrationsDirectory = defaultMigrationsDirectory();
const repoRoot = resolve(migrationsDirectory, '..', '..');
const committed = readLocalMigrations(migrationsDirectory);
// Creating a PGlite cluster (initdb in WASM) takes seconds on a busy 2-core machine. Jest reads
// testTimeout only from the global config, so the hooks and the slow tests say it themselves.
const hookTimeoutMs = 60_000;

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${(error as Error).message}); start it (npm run services:up) ` +
        'or point TOLLGATE_TEST_POSTGRES_URL at a server where this user may CREATE DATABASE',
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database for one test file; returns its URL. */
async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tollgate_ct_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

interface Backend {
  /** Opens the store on this file's database; called again to reopen after close(). */
  open(): Promise<RelationalStore>;
  cleanup(): Promise<void>;
}

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'pglite',
    async () => {
      const dataDirectory = mkdtempSync(join(tmpdir(), 'tollgate-relational-'));
      return {
        open: () => createRelationalStore({ dataDirectory }),
        cleanup: async () => rmSync(dataDirectory, { recursive: true, force: true }),
      };
    },
  ],
  [
    'postgres',
    async () => {
      const database = await createScratchDatabase();
      return {
        open: () =>
          createRelationalStore({ databaseUrl: database.url, dataDirectory: '/nonexistent-unused' }),
        cleanup: database.drop,
      };
    },
  ],
];

function planData(overrides: Partial<Prisma.PlanCreateInput> = {}): Prisma.PlanCreateInput {
  return {
    id: prefixedId('plan'),
    slug: `starter-${randomBytes(4).toString('hex')}`,
    name: 'Starter',
    quotaLimit: 50_000,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe.each(backends)('relational store contract (%s)', (_name, createBackend) => {
  let backend: Backend;
  let store: RelationalStore;
  let firstApply: { applied: string[] };

  beforeAll(async () => {
    backend = await createBackend();
    store = await backend.open();
    firstApply = await applyMigrations(store.url, { advisoryLock: store.mode === 'postgres' });
  }, hookTimeoutMs);

  afterAll(async () => {
    await store?.close();
    await backend?.cleanup();
  }, hookTimeoutMs);

  it('applies every committed migration to an empty database and records it the way Prisma does', async () => {
    expect(firstApply.applied).toEqual(committed.map((migration) => migration.name));
    const rows = await store.prisma.$queryRaw<
      Array<{
        id: string;
        checksum: string;
        migration_name: string;
        finished: boolean;
        logs: string | null;
        rolled_back_at: Date | null;
        applied_steps_count: number;
      }>
    >`SELECT id, checksum, migration_name, finished_at IS NOT NULL AS finished, logs, rolled_back_at, applied_steps_count
      FROM "_prisma_migrations" ORDER BY migration_name`;
    expect(rows).toEqual(
      committed.map((migration) => ({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        // Prisma's checksum: SHA-256 hex of the migration.sql bytes.
        checksum: migrationChecksum(
          readFileSync(join(migrationsDirectory, migration.name, 'migration.sql'), 'utf8'),
        ),
        migration_name: migration.name,
        finished: true,
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
      })),
    );
    const tables = await store.prisma.$queryRaw<Array<{ table_name: string }>>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        '_prisma_migrations',
        'api_keys',
        'apis',
        'consumer_groups',
        'consumers',
        'plans',
        'routes',
        'settings',
        'subscriptions',
      ]),
    );
  });

  it('does nothing when the schema is already current', async () => {
    await expect(applyMigrations(store.url, { advisoryLock: store.mode === 'postgres' })).resolves.toEqual({
      applied: [],
    });
    const [{ count }] = await store.prisma.$queryRaw<
      Array<{ count: number }>
    >`SELECT count(*)::int AS count FROM "_prisma_migrations"`;
    expect(count).toBe(committed.length);
  });

  it('refuses to start when an applied migration file no longer matches its recorded checksum', async () => {
    const name = committed[0].name;
    const [{ checksum }] = await store.prisma.$queryRaw<Array<{ checksum: string }>>`
      SELECT checksum FROM "_prisma_migrations" WHERE migration_name = ${name}`;
    await store.prisma
      .$executeRaw`UPDATE "_prisma_migrations" SET checksum = ${'0'.repeat(64)} WHERE migration_name = ${name}`;
    try {
      const error = await rejection(applyMigrations(store.url, { advisoryLock: store.mode === 'postgres' }));
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ code: 'checksum_mismatch', migrationName: name });
      expect((error as Error).message).toContain(`Migration ${name} was modified after it was applied`);
    } finally {
      await store.prisma
        .$executeRaw`UPDATE "_prisma_migrations" SET checksum = ${checksum} WHERE migration_name = ${name}`;
    }
  });

  it('rolls back a failing migration, records the failure like Prisma, and refuses to go on until it is resolved', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tollgate-migrations-'));
    const broken = '29991231000000_broken';
    try {
      cpSync(migrationsDirectory, directory, { recursive: true });
      mkdirSync(join(directory, broken));
      writeFileSync(
        join(directory, broken, 'migration.sql'),
        'CREATE TABLE "half_done" ("id" TEXT PRIMARY KEY);\nINSERT INTO "no_such_table" VALUES (1);\n',
      );
      const options = { migrationsDirectory: directory, advisoryLock: store.mode === 'postgres' };

      const failure = await rejection(applyMigrations(store.url, options));
      expect(failure).toMatchObject({ code: 'migration_failed', migrationName: broken });
      // The transaction took the first statement back with it.
      const [{ exists }] = await store.prisma.$queryRaw<Array<{ exists: boolean }>>`
        SELECT to_regclass('public.half_done') IS NOT NULL AS exists`;
      expect(exists).toBe(false);
      const [row] = await store.prisma.$queryRaw<Array<{ finished_at: Date | null; logs: string | null }>>`
        SELECT finished_at, logs FROM "_prisma_migrations" WHERE migration_name = ${broken}`;
      expect(row.finished_at).toBeNull();
      expect(row.logs).toContain('no_such_table');

      const refusal = await rejection(applyMigrations(store.url, options));
      expect(refusal).toMatchObject({ code: 'failed_migration', migrationName: broken });
      expect((refusal as Error).message).toContain(`migrate resolve --rolled-back ${broken}`);

      // What `prisma migrate resolve --rolled-back` writes; then the fixed migration applies.
      await store.prisma
        .$executeRaw`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = ${broken}`;
      writeFileSync(
        join(directory, broken, 'migration.sql'),
        'CREATE TABLE "half_done" ("id" TEXT PRIMARY KEY);\n',
      );
      await expect(applyMigrations(store.url, options)).resolves.toEqual({ applied: [broken] });
    } finally {
      await store.prisma.$executeRaw`DELETE FROM "_prisma_migrations" WHERE migration_name = ${broken}`;
      await store.prisma.$executeRaw`DROP TABLE IF EXISTS "half_done"`;
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('stores and reads plans with enum, integer-array and JSON fields', async () => {
    const prices = [{ kind: 'per_unit', unitAmountMinor: 12, meter: 'requests' }];
    const created = await store.prisma.plan.create({
      data: planData({
        tier: PlanTier.pay_per_call,
        quotaPeriod: QuotaPeriod.day,
        prices,
        allowedEndpoints: ['GET /v1/orders/:id'],
      }),
    });
    expect(created).toMatchObject({
      tier: 'pay_per_call',
      quotaPeriod: 'day',
      alertThresholds: [80, 95, 100],
      allowedEndpoints: ['GET /v1/orders/:id'],
      prices,
      count4xx: true,
      count5xx: false,
      currency: 'usd',
      version: 1,
    });
    expect(created.createdAt).toBeInstanceOf(Date);

    const updated = await store.prisma.plan.update({
      where: { id: created.id },
      data: { alertThresholds: { set: [50, 100] }, ratePerSecond: 10, rateBurst: 20 },
    });
    expect(updated).toMatchObject({ alertThresholds: [50, 100], ratePerSecond: 10, rateBurst: 20 });
    expect(
      await store.prisma.plan.findMany({ where: { tier: PlanTier.pay_per_call, id: created.id } }),
    ).toHaveLength(1);

    await store.prisma.plan.delete({ where: { id: created.id } });
    expect(await store.prisma.plan.findUnique({ where: { id: created.id } })).toBeNull();
  });

  it('creates a consumer with API keys through the relation and cascades deletes', async () => {
    const consumerId = prefixedId('cons');
    await store.prisma.consumer.create({
      data: {
        id: consumerId,
        name: 'Acme',
        email: 'dev@acme.test',
        apiKeys: {
          create: [
            {
              id: prefixedId('key'),
              hash: randomBytes(32).toString('hex'),
              displayPrefix: 'tg_live_ab',
              scopes: ['read'],
            },
            { id: prefixedId('key'), hash: randomBytes(32).toString('hex'), displayPrefix: 'tg_live_cd' },
          ],
        },
      },
    });
    const found = await store.prisma.consumer.findUniqueOrThrow({
      where: { id: consumerId },
      include: { apiKeys: { orderBy: { displayPrefix: 'asc' } } },
    });
    expect(found.status).toBe('active');
    expect(found.timeZone).toBe('UTC');
    expect(found.apiKeys.map((key) => [key.displayPrefix, key.scopes, key.name])).toEqual([
      ['tg_live_ab', ['read'], 'default'],
      ['tg_live_cd', [], 'default'],
    ]);

    await store.prisma.consumer.delete({ where: { id: consumerId } });
    expect(await store.prisma.apiKey.count({ where: { consumerId } })).toBe(0);
  });

  it('surfaces a unique constraint violation as Prisma error P2002', async () => {
    const first = await store.prisma.plan.create({ data: planData() });
    const error = await rejection(store.prisma.plan.create({ data: planData({ slug: first.slug }) }));
    expect(error).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((error as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
  });

  it('commits an interactive transaction and rolls one back when it throws', async () => {
    const committedId = prefixedId('plan');
    const groupId = prefixedId('cgrp');
    await store.prisma.$transaction(async (tx) => {
      await tx.plan.create({ data: planData({ id: committedId }) });
      await tx.consumerGroup.create({ data: { id: groupId, name: 'starter', planId: committedId } });
    });
    expect(
      await store.prisma.consumerGroup.findUnique({ where: { id: groupId }, include: { plan: true } }),
    ).toMatchObject({
      plan: { id: committedId },
    });

    const rolledBackId = prefixedId('plan');
    const failure = new Error('abort the transaction');
    await expect(
      store.prisma.$transaction(async (tx) => {
        await tx.plan.create({ data: planData({ id: rolledBackId }) });
        // Visible inside the transaction (same connection) ...
        expect(await tx.plan.count({ where: { id: rolledBackId } })).toBe(1);
        throw failure;
      }),
    ).rejects.toBe(failure);
    // ... and gone after it.
    expect(await store.prisma.plan.findUnique({ where: { id: rolledBackId } })).toBeNull();
  });

  it(
    'keeps its data across close and reopen, and ping fails while closed',
    async () => {
      await store.ping();
      const key = `persist-${randomBytes(4).toString('hex')}`;
      await store.prisma.setting.create({ data: { key, value: 'kept' } });

      await store.close();
      await expect(store.ping()).rejects.toThrow();

      store = await backend.open();
      await store.ping();
      expect(await store.prisma.setting.findUnique({ where: { key } })).toMatchObject({ value: 'kept' });
      // A second start finds the schema current and applies nothing.
      await expect(applyMigrations(store.url, { advisoryLock: store.mode === 'postgres' })).resolves.toEqual({
        applied: [],
      });
    },
    hookTimeoutMs,
  );
});

describe('relational store on PostgreSQL only', () => {
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await createScratchDatabase();
  }, hookTimeoutMs);

  afterAll(async () => {
    await database?.drop();
  }, hookTimeoutMs);

  it(
    'lets concurrent starters migrate once, then Prisma reports the database up to date',
    async () => {
      const starts = await Promise.all(
        [0, 1, 2].map(() =>
          createRelationalStoreFromConfig({
            DATABASE_URL: database.url,
            TOLLGATE_DATA_DIR: '/nonexistent-unused',
          }),
        ),
      );
      try {
        await Promise.all(starts.map((started) => started.ping()));
        const rows = await starts[0].prisma.$queryRaw<
          Array<{ migration_name: string }>
        >`SELECT migration_name FROM "_prisma_migrations"`;
        expect(rows.map((row) => row.migration_name).sort()).toEqual(
          committed.map((migration) => migration.name),
        );
      } finally {
        await Promise.all(starts.map((started) => started.close()));
      }

      // The Prisma CLI (stand-in schema engine on air-gapped machines) accepts the history as its own.
      const status = await new Promise<{ code: number | null; output: string }>((done, fail) => {
        const child = spawn('bash', [join(repoRoot, 'tools', 'prisma.sh'), 'migrate', 'status'], {
          cwd: repoRoot,
          env: { ...process.env, DATABASE_URL: database.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
        child.on('error', fail);
        child.on('close', (code) => {
          clearTimeout(timer);
          done({ code, output });
        });
      });
      expect(status.output).toContain('Database schema is up to date!');
      expect(status.code).toBe(0);
    },
    hookTimeoutMs,
  );
});
