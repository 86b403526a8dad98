import { type Jobs } from '@tollgate/ports';
import { type Dunning } from '../dunning/dunning';
import { type Alerts } from './alerts';

export const alertRecheckJobName = 'billing.alert-recheck';
export const dunningJobName = 'billing.dunning';

export interface AlertJobIntervals {
  /** ALERT_RECHECK_INTERVAL_MS. */
  recheckIntervalMs: number;
  /** DUNNING_INTERVAL_MS. */
  dunningIntervalMs: number;
}

/**
 * Registers and schedules the alert recheck and the dunning run. Schedules never overlap a running
 * iteration, and both jobs are idempotent, so any number of workers may run them.
 */
export async function defineAlertJobs(
  jobs: Jobs,
  handlers: { alerts: Pick<Alerts, 'recheck'>; dunning: Pick<Dunning, 'run'> },
  intervals: AlertJobIntervals,
): Promise<void> {
  jobs.define(alertRecheckJobName, async () => {
    await handlers.alerts.recheck();
  });
  jobs.define(dunningJobName, async () => {
    await handlers.dunning.run();
  });
  await jobs.schedule(alertRecheckJobName, intervals.recheckIntervalMs, {});
  await jobs.schedule(dunningJobName, intervals.dunningIntervalMs, {});
}
