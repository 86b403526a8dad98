import { type Logger } from '@tollgate/observability';

/** The part of the app's pino logger the mailers use. */
export type MailLogger = Pick<Logger, 'info' | 'warn'>;
