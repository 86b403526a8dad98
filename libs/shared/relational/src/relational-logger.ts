/**
 * The slice of a pino logger this lib writes to. Structural, so any pino `Logger` (or a test
 * double) fits without this lib depending on the observability lib.
 */
export interface RelationalLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Used when the caller passes no logger: this lib stays quiet rather than printing. */
export const silentRelationalLogger: RelationalLogger = {
  info: () => undefined,
  warn: () => undefined,
};

/** The URL with any password replaced, for log lines and error messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}
