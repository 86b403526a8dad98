export type AnalyticsOperation = 'connect' | 'query' | 'command' | 'insert' | 'ping' | 'migrate';

export interface AnalyticsStoreErrorDetails {
  operation: AnalyticsOperation;
  /** What was being done, e.g. `SELECT FROM usage_events` or `INSERT INTO usage_events (3 rows)`. */
  statement?: string;
  /** ClickHouse's numeric error code, as a string (e.g. `'60'`), when the engine answered with one. */
  clickhouseCode?: string;
  /** ClickHouse's error name (e.g. `UNKNOWN_TABLE`), when the engine answered with one. */
  clickhouseType?: string;
}

/** Every failure of the analytics store: says which operation and table failed, never the row data. */
export class AnalyticsStoreError extends Error {
  readonly operation: AnalyticsOperation;
  readonly statement: string | undefined;
  readonly clickhouseCode: string | undefined;
  readonly clickhouseType: string | undefined;

  constructor(message: string, details: AnalyticsStoreErrorDetails, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnalyticsStoreError';
    this.operation = details.operation;
    this.statement = details.statement;
    this.clickhouseCode = details.clickhouseCode;
    this.clickhouseType = details.clickhouseType;
  }
}

/** Thrown by the migration runner: bad file names, edited applied migrations, failed statements. */
export class AnalyticsMigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnalyticsMigrationError';
  }
}

interface EngineError {
  message: string;
  code: string;
  type: string | undefined;
}

/**
 * The HTTP client and the chDB connection each carry their own copy of `ClickHouseError`
 * (`@clickhouse/client` bundles it, chDB imports `@clickhouse/client-common`), so `instanceof`
 * only recognises one of them: match on shape instead.
 */
function asEngineError(error: unknown): EngineError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, type } = error as Error & { code?: unknown; type?: unknown };
  if (typeof code !== 'string' || !/^\d+$/.test(code)) return undefined;
  return { message: error.message, code, type: typeof type === 'string' ? type : undefined };
}

const maxMessageLength = 300;

function firstLine(message: string): string {
  const line = message
    .split('\n')[0]
    .trim()
    .replace(/[.:\s]+$/, '');
  return line.length > maxMessageLength ? `${line.slice(0, maxMessageLength)}…` : line;
}

/** `SELECT FROM usage_events`, `CREATE TABLE usage_events`, `INSERT INTO t`, or just the keyword. */
export function describeStatement(sql: string): string {
  const withoutComments = sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .trim();
  const keyword = (/^[A-Za-z]+/.exec(withoutComments)?.[0] ?? 'statement').toUpperCase();
  const target =
    /\b(FROM|INTO|TABLE|VIEW|DATABASE|DICTIONARY)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?([`"]?[\w.]+[`"]?)/i.exec(
      withoutComments,
    );
  if (!target) return keyword;
  const [, objectWord, name] = target;
  return `${keyword} ${objectWord.toUpperCase()} ${name.replace(/[`"]/g, '')}`;
}

/** Wraps a driver failure of a query or command: the engine's message is kept (it holds no row data). */
export function wrapStatementError(
  operation: 'query' | 'command',
  sql: string,
  error: unknown,
): AnalyticsStoreError {
  const statement = describeStatement(sql);
  const engine = asEngineError(error);
  const reason = engine
    ? `${engine.type ?? 'error'} (code ${engine.code}): ${firstLine(engine.message)}`
    : firstLine(error instanceof Error ? error.message : String(error));
  return new AnalyticsStoreError(
    `ClickHouse ${operation} failed: ${statement}: ${reason}`,
    { operation, statement, clickhouseCode: engine?.code, clickhouseType: engine?.type },
    { cause: error },
  );
}

/**
 * Wraps a failed insert. ClickHouse parse errors quote the offending input (`before: '…'`,
 * `Cannot parse uuid <value>`), so for engine errors only the error name, column and row number
 * survive, and the engine error is not attached as `cause` (loggers print causes).
 */
export function wrapInsertError(table: string, rowCount: number, error: unknown): AnalyticsStoreError {
  const statement = `INSERT INTO ${table} (${rowCount} ${rowCount === 1 ? 'row' : 'rows'})`;
  const engine = asEngineError(error);
  if (!engine) {
    return new AnalyticsStoreError(
      `ClickHouse insert failed: ${statement}: ${firstLine(error instanceof Error ? error.message : String(error))}`,
      { operation: 'insert', statement },
      { cause: error },
    );
  }
  const column = /while reading the value of key ([\w.]+)/.exec(engine.message)?.[1];
  const row = /\(at row (\d+)\)/.exec(engine.message)?.[1];
  const where = [column ? `column ${column}` : undefined, row ? `row ${row}` : undefined]
    .filter(Boolean)
    .join(', ');
  // Errors about the schema (unknown table, read-only, too many parts) carry no input; keep their message.
  const aboutInput =
    where !== '' || /PARSE|INCORRECT|CANNOT_READ|MISMATCH|ILLEGAL|TOO_LARGE/.test(engine.type ?? 'PARSE');
  const reason = aboutInput ? (where ? ` at ${where}` : '') : `: ${firstLine(engine.message)}`;
  return new AnalyticsStoreError(
    `ClickHouse insert failed: ${statement}: ${engine.type ?? 'error'} (code ${engine.code})${reason}`,
    { operation: 'insert', statement, clickhouseCode: engine.code, clickhouseType: engine.type },
  );
}
