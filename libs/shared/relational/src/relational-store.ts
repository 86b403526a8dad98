import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import { connectionOptions } from './connection-options';
import { startEmbeddedPostgres } from './embedded-postgres';
import { type RelationalLogger, redactDatabaseUrl, silentRelationalLogger } from './relational-logger';

export type RelationalStoreMode = 'postgres' | 'pglite';

export interface RelationalStoreOptions {
  /** A PostgreSQL URL selects the production adapter; without one, PGlite runs in-process. */
  databaseUrl?: string;
  /** Embedded mode keeps its database under `${dataDirectory}/pglite`. */
  dataDirectory: string;
  logger?: RelationalLogger;
}

export interface RelationalStore {
  prisma: PrismaClient;
  /** Where the store's database is reachable (for PGlite, its local socket server). */
  url: string;
  mode: RelationalStoreMode;
  /** Resolves when the database answers a query; rejects otherwise (and always after close). */
  ping(): Promise<void>;
  /** Disconnects Prisma and, in embedded mode, stops the socket server and closes PGlite. */
  close(): Promise<void>;
}

/**
 * The relational store: Prisma over `@prisma/adapter-pg`, against PostgreSQL when a URL is
 * given, otherwise against PGlite served on 127.0.0.1 so Prisma and the same SQL migrations
 * run unchanged. Does not migrate; see `createRelationalStoreFromConfig`.
 */
export async function createRelationalStore(options: RelationalStoreOptions): Promise<RelationalStore> {
  const logger = options.logger ?? silentRelationalLogger;
  if (options.databaseUrl) {
    const { config, schema } = connectionOptions(options.databaseUrl);
    const prisma = new PrismaClient({ adapter: new PrismaPg(config, schema ? { schema } : undefined) });
    logger.info(
      { mode: 'postgres', database: redactDatabaseUrl(options.databaseUrl) },
      'relational store: PostgreSQL',
    );
    return storeOf(prisma, options.databaseUrl, 'postgres', async () => undefined);
  }

  const embedded = await startEmbeddedPostgres(options.dataDirectory);
  // One connection: PGlite runs one session, so a second connection could only queue behind
  // (or, inside an interactive transaction, deadlock against) the first.
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: embedded.url, max: 1 }) });
  logger.info(
    { mode: 'pglite', dataDirectory: embedded.dataDirectory, url: embedded.url },
    'relational store: PGlite',
  );
  return storeOf(prisma, embedded.url, 'pglite', () => embedded.close());
}

function storeOf(
  prisma: PrismaClient,
  url: string,
  mode: RelationalStoreMode,
  closeDatabase: () => Promise<void>,
): RelationalStore {
  let closing: Promise<void> | undefined;
  return {
    prisma,
    url,
    mode,
    ping: async () => {
      // Prisma reconnects lazily after $disconnect, so a closed store must refuse by itself.
      if (closing) throw new Error('The relational store is closed');
      await prisma.$queryRaw`SELECT 1`;
    },
    close: () => {
      closing ??= (async () => {
        try {
          await prisma.$disconnect();
        } finally {
          await closeDatabase();
        }
      })();
      return closing;
    },
  };
}
