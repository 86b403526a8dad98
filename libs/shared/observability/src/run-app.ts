import { loadConfigOrExit, secretVariables } from '@tollgate/config';
import { type Registry } from 'prom-client';
import { type z } from 'zod';
import { createLogger, type Logger } from './logger';
import { createMetricsRegistry } from './metrics';
import { onShutdown } from './shutdown';

export interface AppContext<Config> {
  config: Config;
  logger: Logger;
  registry: Registry;
}

/** What an app does on SIGINT/SIGTERM, in order (drain, flush, close). */
export type ShutdownSteps = Array<() => Promise<void>>;

/**
 * The boot sequence every app shares: parse the config (exit 78 naming the bad variable), create the
 * logger (secrets redacted) and the metrics registry, run `start`, then shut down gracefully on a
 * signal with the steps it returned. A failure to start is printed and exits 1.
 */
export function runApp<Schema extends z.ZodObject>(
  app: string,
  schema: Schema,
  start: (context: AppContext<z.infer<Schema>>) => Promise<ShutdownSteps>,
): void {
  const config = loadConfigOrExit(app, schema);
  const logger = createLogger({
    app,
    level: String(config['LOG_LEVEL'] ?? 'info'),
    redact: secretVariables(schema),
  });
  const registry = createMetricsRegistry(app);
  start({ config, logger, registry })
    .then((steps) => onShutdown(logger, steps))
    .catch((error: unknown) => {
      process.stderr.write(
        `${app} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
