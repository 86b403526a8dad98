import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import { type Logger } from 'pino';

/**
 * kafkajs's level for a pino logger. kafkajs logs group life-cycle chatter (joins, pauses) at INFO,
 * which is debug material for us, so kafkajs INFO is only produced when pino's debug is enabled.
 */
export function kafkaLogLevelFor(logger: Logger | undefined): logLevel {
  if (!logger) return logLevel.WARN;
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  return logLevel.WARN;
}

const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer';

/** Routes kafkajs log entries to a pino logger. */
export function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry): void => {
      // kafkajs adds its own timestamp and logger name; pino has both already.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      // Retries are bounded on purpose (a send to a dead broker must fail so the gateway spools it;
      // duplicates from a resend are removed downstream by event id), so this warning is known.
      if (message.startsWith(BOUNDED_RETRIES_WARNING)) return;
      const context = { namespace, ...fields };
      if (level === logLevel.ERROR) child.error(context, message);
      else if (level === logLevel.WARN) child.warn(context, message);
      else if (level === logLevel.INFO) child.debug(context, message);
      else child.trace(context, message);
    };
}
