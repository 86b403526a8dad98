import { createInProcessJobs } from '@tollgate/jobs';
import { createLogger } from '@tollgate/observability';
import { defineStripeJobs, stripeSyncJobName, usagePushJobName } from './stripe-jobs';

describe('defineStripeJobs', () => {
  it('runs the sync and the push (closing periods) on their schedules', async () => {
    const jobs = createInProcessJobs({ logger: createLogger({ app: 'jobs-test', level: 'silent' }) });
    const runs: string[] = [];
    await defineStripeJobs(
      jobs,
      {
        sync: { syncAll: async () => runs.push('sync') },
        push: { run: async (options) => runs.push(`push:${String(options?.closePeriods)}`) },
      },
      { syncIntervalMs: 20, pushIntervalMs: 20 },
    );
    await jobs.start();
    const deadline = Date.now() + 5_000;
    while ((!runs.includes('sync') || !runs.includes('push:true')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await jobs.close();
    expect(runs).toContain('sync');
    expect(runs).toContain('push:true');
    expect([stripeSyncJobName, usagePushJobName]).toEqual(['billing.stripe-sync', 'billing.usage-push']);
  });
});
