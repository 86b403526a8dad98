import { join } from 'node:path';
import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from '@clickhouse/client';
import { type Logger } from '@tollgate/observability';
import { type AnalyticsStore, type InsertOptions, type QueryParams } from '@tollgate/ports';
import { AnalyticsStoreError, wrapInsertError, wrapStatementError } from './analytics-store.error';
import { openChdbConnection } from './chdb-engine';

export type AnalyticsLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export type AnalyticsAdapter = 'clickhouse-server' | 'chdb';

/** The port plus which adapter is behind it (for logs, readiness and test titles). */
export interface ClickHouseAnalyticsStore extends AnalyticsStore {
  readonly adapter: AnalyticsAdapter;
}

export interface AnalyticsStoreOptions {
  /** ClickHouse HTTP URL. Set: a server. Unset: chDB in this process under `${dataDirectory}/chdb`. */
  url?: string;
  database: string;
  username?: string;
  password?: string;
  dataDirectory: string;
  logger?: AnalyticsLogger;
}

/**
 * The client's own console logger is off: every failure reaches the caller as an
 * AnalyticsStoreError, and the client would print engine messages that can quote inserted rows.
 */
const clientLog = { level: ClickHouseLogLevel.OFF };

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const tableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * Sent with every statement, never left to defaults. chDB keeps per-request settings on its
 * session (they are `SET` statements there), so anything set once would leak into every later
 * statement — a stale `insert_deduplication_token` silently drops the next insert. Sending the
 * full set each time makes the server and chDB behave the same. 64-bit integers are quoted so
 * both return UInt64/Int64 as strings (a server quotes by default, chDB does not).
 */
function statementSettings(deduplicationToken = ''): ClickHouseSettings {
  return {
    output_format_json_quote_64bit_integers: 1,
    insert_deduplication_token: deduplicationToken,
    // A retried insert must reach the rollup views once: checked against each rollup's own
    // deduplication window instead of being skipped (or, on newer servers, pushed again).
    deduplicate_blocks_in_dependent_materialized_views: 1,
  };
}

class ClickHouseClientAnalyticsStore implements ClickHouseAnalyticsStore {
  #closed = false;

  constructor(
    readonly adapter: AnalyticsAdapter,
    readonly database: string,
    private readonly client: ClickHouseClient,
    private readonly afterClose: () => void,
  ) {}

  async query<Row>(sql: string, params?: QueryParams): Promise<Row[]> {
    this.assertOpen('query');
    try {
      const result = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        query_params: params,
        clickhouse_settings: statementSettings(),
      });
      return await result.json<Row>();
    } catch (error) {
      throw wrapStatementError('query', sql, error);
    }
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    this.assertOpen('command');
    try {
      await this.client.command({
        query: sql,
        query_params: params,
        clickhouse_settings: statementSettings(),
      });
    } catch (error) {
      throw wrapStatementError('command', sql, error);
    }
  }

  async insert<Row extends object>(table: string, rows: Row[], options: InsertOptions = {}): Promise<void> {
    this.assertOpen('insert');
    if (!tableNamePattern.test(table)) {
      throw new AnalyticsStoreError(
        `ClickHouse insert refused: ${JSON.stringify(table)} is not a table name`,
        {
          operation: 'insert',
        },
      );
    }
    if (rows.length === 0) return;
    try {
      await this.client.insert({
        table,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: statementSettings(options.deduplicationToken),
      });
    } catch (error) {
      throw wrapInsertError(table, rows.length, error);
    }
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
    const result = await this.client.ping();
    if (!result.success) {
      throw new AnalyticsStoreError(
        `ClickHouse ping failed (${this.adapter}): ${result.error.message}`,
        { operation: 'ping' },
        { cause: result.error },
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.client.close();
    } finally {
      this.afterClose();
    }
  }

  /** Checked here so both adapters fail the same way (the HTTP client would reopen sockets). */
  private assertOpen(operation: 'query' | 'command' | 'insert' | 'ping'): void {
    if (this.#closed) {
      throw new AnalyticsStoreError(`ClickHouse ${operation} refused: the analytics store is closed`, {
        operation,
      });
    }
  }
}

function quoteIdentifier(name: string): string {
  return `\`${name}\``;
}

async function openServerStore(
  options: AnalyticsStoreOptions & { url: string },
): Promise<ClickHouseAnalyticsStore> {
  const credentials = { url: options.url, username: options.username, password: options.password };
  // The HTTP interface resolves `database` on every request, so it must exist before a client uses it.
  const bootstrap = createClient({ ...credentials, application: 'tollgate', log: clientLog });
  try {
    await bootstrap.command({
      query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}`,
      clickhouse_settings: statementSettings(),
    });
  } catch (error) {
    throw wrapStatementError('command', `CREATE DATABASE ${options.database}`, error);
  } finally {
    await bootstrap.close();
  }
  const client = createClient({
    ...credentials,
    database: options.database,
    application: 'tollgate',
    log: clientLog,
  });
  return new ClickHouseClientAnalyticsStore('clickhouse-server', options.database, client, () => undefined);
}

async function openChdbStore(options: AnalyticsStoreOptions): Promise<ClickHouseAnalyticsStore> {
  const lease = openChdbConnection(join(options.dataDirectory, 'chdb'));
  // chDB ignores the client's `database` option; `USE` holds for this connection only.
  const client = createClient({ connection: lease.connection, log: clientLog });
  const store = new ClickHouseClientAnalyticsStore('chdb', options.database, client, lease.release);
  try {
    await store.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}`);
    await store.command(`USE ${quoteIdentifier(options.database)}`);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Opens the analytics store: a ClickHouse server when `url` is set, else chDB in this process.
 * Creates the database if it is missing. UInt64/Int64 values come back as decimal strings.
 *
 * chDB: one data directory per process (see chdb-engine.ts); every store opened here gets its own
 * connection to it, so stores for different databases do not share `USE` or settings.
 */
export async function createAnalyticsStore(
  options: AnalyticsStoreOptions,
): Promise<ClickHouseAnalyticsStore> {
  if (!identifierPattern.test(options.database)) {
    throw new AnalyticsStoreError(
      `ClickHouse database name ${JSON.stringify(options.database)} must be letters, digits and underscores`,
      { operation: 'connect' },
    );
  }
  const store = options.url
    ? await openServerStore({ ...options, url: options.url })
    : await openChdbStore(options);
  options.logger?.debug(
    {
      adapter: store.adapter,
      database: store.database,
      ...(options.url ? {} : { dataDirectory: options.dataDirectory }),
    },
    'analytics store opened',
  );
  return store;
}

export interface AnalyticsConfig {
  CLICKHOUSE_URL?: string;
  CLICKHOUSE_DATABASE: string;
  CLICKHOUSE_USER: string;
  CLICKHOUSE_PASSWORD?: string;
  TOLLGATE_DATA_DIR: string;
}

/** The adapter is chosen by the config: `CLICKHOUSE_URL` set selects the server. */
export function createAnalyticsStoreFromConfig(
  config: AnalyticsConfig,
  logger?: AnalyticsLogger,
): Promise<ClickHouseAnalyticsStore> {
  return createAnalyticsStore({
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    dataDirectory: config.TOLLGATE_DATA_DIR,
    logger,
  });
}
