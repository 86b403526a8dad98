import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MigrationError } from './migration-error';

export interface LocalMigration {
  /** The folder name, e.g. `20261128012211_init`; Prisma records it as `migration_name`. */
  name: string;
  script: string;
}

function findUp(start: string, relative: string): string | undefined {
  let directory = resolve(start);
  for (;;) {
    if (existsSync(join(directory, relative))) return directory;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * The repo's `prisma/migrations`: the nearest ancestor (of this file, then of the working
 * directory) that holds `prisma/schema.prisma`. Works from sources, from a build output
 * placed inside the repo, and from tests.
 */
export function defaultMigrationsDirectory(): string {
  const root =
    findUp(__dirname, join('prisma', 'schema.prisma')) ??
    findUp(process.cwd(), join('prisma', 'schema.prisma'));
  if (!root) {
    throw new MigrationError(
      'migrations_not_found',
      `No prisma/schema.prisma found above ${__dirname} or ${process.cwd()}; pass migrationsDirectory explicitly`,
    );
  }
  return join(root, 'prisma', 'migrations');
}

/** The committed migrations in the order Prisma applies them (folder names sort by timestamp). */
export function readLocalMigrations(migrationsDirectory: string): LocalMigration[] {
  if (!existsSync(migrationsDirectory)) {
    throw new MigrationError(
      'migrations_not_found',
      `Migrations directory ${migrationsDirectory} does not exist`,
    );
  }
  return readdirSync(migrationsDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = join(migrationsDirectory, name, 'migration.sql');
      if (!existsSync(file)) {
        throw new MigrationError(
          'migrations_not_found',
          `Migration folder ${name} has no migration.sql`,
          name,
        );
      }
      return { name, script: readFileSync(file, 'utf8') };
    });
}
