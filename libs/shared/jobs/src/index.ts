export * from './bullmq-jobs.adapter';
export * from './in-process-jobs.adapter';
export * from './jobs-logger';
export * from './jobs.factory';
export * from './jobs-board';
export * from './job-metrics';
