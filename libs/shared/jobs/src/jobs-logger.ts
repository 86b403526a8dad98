import { type Logger } from '@tollgate/observability';

/** The part of the app's pino logger the job runners use (tests pass a silent one). */
export type JobsLogger = Pick<Logger, 'info' | 'warn' | 'error'>;
