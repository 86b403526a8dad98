import { type Logger } from 'pino';

/**
 * Runs the given steps in order on SIGINT/SIGTERM (drain, flush, close), then exits. A second
 * signal, or steps that take longer than the grace period, force the exit.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<void>>, graceMs = 15_000): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period exceeded: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          logger.error({ err: error }, 'shutdown step failed');
        }
      }
      logger.info('stopped');
      logger.flush?.();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
