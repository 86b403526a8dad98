/**
 * Analytics port: ClickHouse. Production talks to a server over HTTP, embedded runs chDB in process;
 * both through the same client and the same SQL. 64-bit integers always come back as strings.
 */

export type QueryParams = Record<string, unknown>;

export interface InsertOptions {
  /**
   * Deduplication token for this insert. A retry of the same rows with the same token is dropped by
   * the server (needs `non_replicated_deduplication_window` on the table). Always reset per insert.
   */
  deduplicationToken?: string;
}

export interface AnalyticsStore {
  /** Runs a SELECT with `{name:Type}` placeholders; rows as JSON objects. */
  query<Row>(sql: string, params?: QueryParams): Promise<Row[]>;
  /** Runs DDL or another statement that returns no rows. */
  command(sql: string, params?: QueryParams): Promise<void>;
  insert<Row extends object>(table: string, rows: Row[], options?: InsertOptions): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The database every unqualified table name refers to. */
  readonly database: string;
}
