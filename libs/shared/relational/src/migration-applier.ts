import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { MigrationError } from './migration-error';
import { scriptMatchesChecksum, migrationChecksum } from './migration-checksum';
import { defaultMigrationsDirectory, readLocalMigrations } from './migrations-directory';
import { type RelationalLogger, redactDatabaseUrl, silentRelationalLogger } from './relational-logger';
import { connectionOptions } from './connection-options';

export interface ApplyMigrationsOptions {
  /** Defaults to the repo's `prisma/migrations`. */
  migrationsDirectory?: string;
  logger?: RelationalLogger;
  /**
   * Serialize with other processes (and with `prisma migrate deploy`) through a Postgres
   * advisory lock. Off for PGlite: it has one session, and nobody else can migrate it.
   */
  advisoryLock?: boolean;
  /** How long to wait for another process's migration run; default 60 s. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations this call applied, in order; empty when the schema was current. */
  applied: string[];
}

// The key Prisma Migrate itself locks on, so this applier and the Prisma CLI never run
// migrations against the same database at the same time.
const PRISMA_MIGRATE_LOCK_KEY = 72707369;
const LOCK_POLL_MS = 200;

// Prisma's own DDL for its history table (schema-engine, postgres flavour), so `prisma migrate
// status/deploy/resolve` keep working on a database this applier migrated.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

async function acquireLock(client: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_MIGRATE_LOCK_KEY,
    ]);
    if (result.rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new MigrationError(
        'lock_timeout',
        `Another process held the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})) for more than ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Applies the committed `prisma/migrations/<name>/migration.sql` files that the database has not
 * seen, in order, with plain `pg` (no Prisma CLI or schema engine at run time), and records each
 * in `_prisma_migrations` exactly as Prisma Migrate does. Refuses to run when an applied
 * migration's file changed or a recorded migration failed, as `prisma migrate deploy` would.
 */
export async function applyMigrations(
  url: string,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const logger = options.logger ?? silentRelationalLogger;
  const migrationsDirectory = options.migrationsDirectory ?? defaultMigrationsDirectory();
  const local = readLocalMigrations(migrationsDirectory);
  const { config, schema } = connectionOptions(url);
  const client = new Client(config);
  await client.connect();
  let locked = false;
  try {
    if (options.advisoryLock ?? true) {
      await acquireLock(client, options.lockTimeoutMs ?? 60_000);
      locked = true;
    }
    if (schema) {
      // Prisma creates the `?schema=` schema on first migration; keep the history table in it too.
      const quoted = `"${schema.replace(/"/g, '""')}"`;
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await client.query(`SET search_path TO ${quoted}`);
    }
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<MigrationRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at',
    );

    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        'failed_migration',
        `Migration ${failed.migration_name} failed earlier (${failed.logs ?? 'no log'}). Fix the database, then mark it with ` +
          `'bash tools/prisma.sh migrate resolve --rolled-back ${failed.migration_name}' (or --applied) before starting again`,
        failed.migration_name,
      );
    }

    const applied = rows.filter((row) => row.finished_at !== null && row.rolled_back_at === null);
    const localNames = new Set(local.map((migration) => migration.name));
    const unknown = applied
      .filter((row) => !localNames.has(row.migration_name))
      .map((row) => row.migration_name);
    if (unknown.length > 0) {
      // A newer build migrated this database; this one may not understand every column.
      logger.warn({ migrations: unknown }, 'database has migrations that this build does not know');
    }

    const done: string[] = [];
    for (const migration of local) {
      const records = applied.filter((row) => row.migration_name === migration.name);
      if (records.length > 0) {
        if (!records.some((row) => scriptMatchesChecksum(migration.script, row.checksum))) {
          throw new MigrationError(
            'checksum_mismatch',
            `Migration ${migration.name} was modified after it was applied: its checksum no longer matches the one ` +
              `recorded in _prisma_migrations. Restore the original migration.sql and put the change in a new migration`,
            migration.name,
          );
        }
        continue;
      }
      await applyOne(client, migration.name, migration.script);
      logger.info({ migration: migration.name }, 'applied migration');
      done.push(migration.name);
    }
    logger.info(
      { database: redactDatabaseUrl(url), applied: done.length, total: local.length },
      done.length > 0 ? 'database schema migrated' : 'database schema is up to date',
    );
    return { applied: done };
  } finally {
    if (locked)
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

async function applyOne(client: Client, name: string, script: string): Promise<void> {
  const id = randomUUID();
  const checksum = migrationChecksum(script);
  // The history row commits with the script, so a crash mid-migration leaves neither behind.
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, checksum, name],
    );
    // No parameters: pg sends the whole script as one simple query, multi-statement allowed.
    await client.query(script);
    await client.query(
      'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // Leave the same trace Prisma leaves (finished_at NULL, logs set), so `prisma migrate status`
    // shows the failure and `prisma migrate resolve` can clear it.
    await client
      .query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), 0)',
        [id, checksum, name, errorText(error)],
      )
      .catch(() => undefined);
    throw new MigrationError('migration_failed', `Migration ${name} failed: ${errorText(error)}`, name, {
      cause: error,
    });
  }
}
