export * from './analytics-store.port';
export * from './counters.port';
export * from './event-log.port';
export * from './jobs.port';
export * from './mailer.port';
