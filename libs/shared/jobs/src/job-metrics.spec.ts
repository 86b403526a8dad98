import { createInProcessJobs } from './in-process-jobs.adapter';
import { createLogger } from '@tollgate/observability';
import { Registry } from 'prom-client';
import { instrumentJobs } from './job-metrics';

describe('instrumentJobs', () => {
  it('counts completed and failed runs per job name', async () => {
    const registry = new Registry();
    const jobs = instrumentJobs(
      createInProcessJobs({ logger: createLogger({ app: 'test', level: 'silent' }) }),
      registry,
    );
    let calls = 0;
    jobs.define('report.ok', async () => {
      calls += 1;
    });
    jobs.define('report.broken', async () => {
      throw new Error('broken');
    });
    await jobs.start();
    await jobs.enqueue('report.ok', {});
    await jobs.enqueue('report.ok', {});
    await jobs.enqueue('report.broken', {}, { attempts: 1 });
    const deadline = Date.now() + 5000;
    while (calls < 2 || (await jobs.failed('report.broken')).length === 0) {
      if (Date.now() > deadline) throw new Error('jobs did not run');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await jobs.close();
    const text = await registry.metrics();
    expect(text).toContain('tollgate_job_runs_total{job="report.ok"} 2');
    expect(text).toContain('tollgate_job_failures_total{job="report.broken"} 1');
    expect(text).not.toContain('tollgate_job_runs_total{job="report.broken"}');
  });
});
