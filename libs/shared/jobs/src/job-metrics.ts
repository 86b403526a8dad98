import { type JobHandler, type Jobs } from '@tollgate/ports';
import { Counter, Histogram, type Registry } from 'prom-client';

function metricOf<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * The same jobs, with every run of a handler counted and timed per job name
 * (`tollgate_job_runs_total`, `tollgate_job_failures_total`,
 * `tollgate_job_duration_seconds`), so operators see that schedules run and how long.
 */
export function instrumentJobs(jobs: Jobs, registry: Registry): Jobs {
  const runs = metricOf(
    registry,
    'tollgate_job_runs_total',
    () =>
      new Counter({
        name: 'tollgate_job_runs_total',
        help: 'Job runs that completed, per job name',
        labelNames: ['job'],
        registers: [registry],
      }),
  );
  const failures = metricOf(
    registry,
    'tollgate_job_failures_total',
    () =>
      new Counter({
        name: 'tollgate_job_failures_total',
        help: 'Job runs that threw (each try counts), per job name',
        labelNames: ['job'],
        registers: [registry],
      }),
  );
  const duration = metricOf(
    registry,
    'tollgate_job_duration_seconds',
    () =>
      new Histogram({
        name: 'tollgate_job_duration_seconds',
        help: 'Duration of job runs, per job name',
        labelNames: ['job'],
        buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
        registers: [registry],
      }),
  );
  return {
    ...jobs,
    define<Data>(name: string, handler: JobHandler<Data>): void {
      jobs.define<Data>(name, async (data, context) => {
        const stop = duration.startTimer({ job: name });
        try {
          await handler(data, context);
          runs.inc({ job: name });
        } catch (error) {
          failures.inc({ job: name });
          throw error;
        } finally {
          stop();
        }
      });
    },
    enqueue: (name, data, options) => jobs.enqueue(name, data, options),
    schedule: (name, everyMs, data) => jobs.schedule(name, everyMs, data),
    failed: (name) => jobs.failed(name),
    start: () => jobs.start(),
    close: () => jobs.close(),
    ping: () => jobs.ping(),
  };
}
