import { type Jobs } from '@tollgate/ports';
import { type UsagePushRunOptions } from '../usage-push/usage-push';

export const stripeSyncJobName = 'billing.stripe-sync';
export const usagePushJobName = 'billing.usage-push';

/** What the Stripe jobs call (`StripeSync` and `UsagePush` fit). */
export interface StripeJobTargets {
  sync: { syncAll(): Promise<unknown> };
  push: { run(options?: UsagePushRunOptions): Promise<unknown> };
}

export interface StripeJobIntervals {
  /** BILLING_SYNC_INTERVAL_MS */
  syncIntervalMs: number;
  /** BILLING_PUSH_INTERVAL_MS */
  pushIntervalMs: number;
}

/**
 * Defines and schedules the Stripe sync and the usage push; call before `jobs.start()`. Every push
 * also closes the periods that ended and settled, so period close needs no schedule of its own.
 */
export async function defineStripeJobs(
  jobs: Jobs,
  targets: StripeJobTargets,
  intervals: StripeJobIntervals,
): Promise<void> {
  jobs.define(stripeSyncJobName, async () => {
    await targets.sync.syncAll();
  });
  jobs.define(usagePushJobName, async () => {
    await targets.push.run({ closePeriods: true });
  });
  await jobs.schedule(stripeSyncJobName, intervals.syncIntervalMs, {});
  await jobs.schedule(usagePushJobName, intervals.pushIntervalMs, {});
}
