import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AnalyticsStore } from '@tollgate/ports';
import { AnalyticsMigrationError } from './analytics-store.error';
import { type AnalyticsLogger } from './analytics-store.adapter';

/** The migrations shipped with this lib (`libs/shared/analytics/migrations`). */
export const defaultAnalyticsMigrationsDirectory = join(__dirname, '..', 'migrations');

export interface AnalyticsMigration {
  /** File name without `.sql`, e.g. `0001_usage_events`: what schema_migrations records. */
  version: string;
  /** sha256 of the file (line endings normalised to LF), hex. */
  checksum: string;
  /** Statements in file order, `{database}` not yet substituted. */
  statements: string[];
}

export interface MigrateAnalyticsOptions {
  directory?: string;
  logger?: AnalyticsLogger;
}

const fileNamePattern = /^(\d{4})_[a-z0-9_]+\.sql$/;

const createSchemaMigrations =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version String, checksum String, applied_at DateTime64(3)) ' +
  'ENGINE = MergeTree ORDER BY version';

/** Splits a migration file on `;` at the end of a line; chunks holding only comments are dropped. */
export function splitMigrationStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--')));
}

export function analyticsMigrationChecksum(content: string): string {
  return createHash('sha256').update(content.replace(/\r\n/g, '\n')).digest('hex');
}

export async function readAnalyticsMigrations(directory: string): Promise<AnalyticsMigration[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
  const byNumber = new Map<string, string>();
  const migrations: AnalyticsMigration[] = [];
  for (const file of files) {
    const match = fileNamePattern.exec(file);
    if (!match) {
      throw new AnalyticsMigrationError(
        `ClickHouse migration file ${file} in ${directory} is not named NNNN_description.sql (lower case, digits, _)`,
      );
    }
    const clash = byNumber.get(match[1]);
    if (clash) {
      throw new AnalyticsMigrationError(
        `ClickHouse migrations ${clash} and ${file} share the number ${match[1]}`,
      );
    }
    byNumber.set(match[1], file);
    const content = await readFile(join(directory, file), 'utf8');
    const statements = splitMigrationStatements(content);
    if (statements.length === 0) {
      throw new AnalyticsMigrationError(`ClickHouse migration ${file} holds no statement`);
    }
    migrations.push({
      version: file.slice(0, -'.sql'.length),
      checksum: analyticsMigrationChecksum(content),
      statements,
    });
  }
  return migrations;
}

/**
 * Applies the pending migrations in file order and records each in schema_migrations once all its
 * statements succeeded. ClickHouse DDL is not transactional: a file that fails half-way is run
 * again from its first statement next time, so every statement must be safe to repeat
 * (`IF NOT EXISTS`, idempotent backfills). An applied file whose content changed is refused.
 */
export async function migrateAnalytics(
  store: AnalyticsStore,
  options: MigrateAnalyticsOptions = {},
): Promise<{ applied: string[] }> {
  const directory = options.directory ?? defaultAnalyticsMigrationsDirectory;
  const migrations = await readAnalyticsMigrations(directory);
  await store.command(createSchemaMigrations);
  const recorded = await store.query<{ version: string; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations ORDER BY applied_at',
  );
  const checksumByVersion = new Map(recorded.map((row) => [row.version, row.checksum]));

  for (const migration of migrations) {
    const recordedChecksum = checksumByVersion.get(migration.version);
    if (recordedChecksum !== undefined && recordedChecksum !== migration.checksum) {
      throw new AnalyticsMigrationError(
        `ClickHouse migration ${migration.version} was changed after it was applied to database ${store.database} ` +
          `(applied sha256 ${recordedChecksum}, file now ${migration.checksum}); ` +
          'restore the file and put the change in a new migration',
      );
    }
  }
  const known = new Set(migrations.map((migration) => migration.version));
  const unknown = [...checksumByVersion.keys()].filter((version) => !known.has(version));
  if (unknown.length > 0) {
    // Newer code migrated this database already; older code keeps working against a newer schema.
    options.logger?.warn(
      { database: store.database, versions: unknown },
      'applied ClickHouse migrations not found in this build',
    );
  }

  const database = `\`${store.database}\``;
  const applied: string[] = [];
  for (const migration of migrations) {
    if (checksumByVersion.has(migration.version)) continue;
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await store.command(statement.replaceAll('{database}', database));
      } catch (error) {
        throw new AnalyticsMigrationError(
          `ClickHouse migration ${migration.version} failed at statement ${index + 1} of ${migration.statements.length}: ` +
            (error instanceof Error ? error.message : String(error)),
          { cause: error },
        );
      }
    }
    await store.insert('schema_migrations', [
      { version: migration.version, checksum: migration.checksum, applied_at: Date.now() },
    ]);
    options.logger?.info(
      { database: store.database, version: migration.version },
      'applied ClickHouse migration',
    );
    applied.push(migration.version);
  }
  return { applied };
}
