import { type Jobs } from '@tollgate/ports';
import { createBullmqJobs } from './bullmq-jobs.adapter';
import { createInProcessJobs } from './in-process-jobs.adapter';
import { type JobsLogger } from './jobs-logger';

export interface JobsConfig {
  REDIS_URL?: string;
  JOBS_QUEUE_PREFIX: string;
}

/** BullMQ when REDIS_URL is set (distributed), otherwise the in-process scheduler (embedded). */
export function createJobs(config: JobsConfig, logger?: JobsLogger): Jobs {
  return config.REDIS_URL
    ? createBullmqJobs({ connection: config.REDIS_URL, prefix: config.JOBS_QUEUE_PREFIX, logger })
    : createInProcessJobs({ logger });
}
