import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  app: string;
  level: string;
  /** Extra paths to redact, e.g. secret config variable names. */
  redact?: string[];
}

/** Headers and fields that must never reach a log line. */
const alwaysRedacted = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.adminToken',
  '*.demoKey',
];

/** JSON logs (pino), one line per event, with the app name on every line. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    name: options.app,
    level: options.level,
    base: { app: options.app, pid: process.pid },
    redact: {
      paths: [...alwaysRedacted, ...(options.redact ?? []).map((name) => `config.${name}`)],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
