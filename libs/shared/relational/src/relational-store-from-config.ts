import { applyMigrations } from './migration-applier';
import { type RelationalLogger } from './relational-logger';
import { createRelationalStore, type RelationalStore } from './relational-store';

export interface RelationalStoreConfig {
  DATABASE_URL?: string;
  TOLLGATE_DATA_DIR: string;
}

/** The store chosen by config (PostgreSQL when DATABASE_URL is set, else PGlite), migrated to the latest schema. */
export async function createRelationalStoreFromConfig(
  config: RelationalStoreConfig,
  logger?: RelationalLogger,
): Promise<RelationalStore> {
  const store = await createRelationalStore({
    databaseUrl: config.DATABASE_URL,
    dataDirectory: config.TOLLGATE_DATA_DIR,
    logger,
  });
  try {
    await applyMigrations(store.url, { logger, advisoryLock: store.mode === 'postgres' });
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
