import { type ConsumerQuotaPeriod } from './consumer-quota-periods';
import {
  meteredRangeFor,
  mergeComparisons,
  type ReconciliationRow,
  reconciliationRow,
  summarizeRun,
} from './reconciliation';

const period = (consumerId: string): ConsumerQuotaPeriod => ({
  consumerId,
  planId: 'plan_a',
  planVersion: 1,
  status: 'active',
  quotaLimit: 100,
  periodStart: 1000,
  periodEnd: 5000,
  counterKey: `q:{${consumerId}}:1000`,
});

const row = (
  consumerId: string,
  gatewayCount: number,
  meteredCount: number,
  checks: 1 | 2 = 1,
): ReconciliationRow =>
  reconciliationRow(period(consumerId), { gatewayCount, meteredCount, readAt: 2000 }, checks);

describe('reconciliation', () => {
  it('meters the period up to the counter read, never past the period end', () => {
    expect(meteredRangeFor(period('a'), 2500)).toEqual({ from: 1000, to: 2500 });
    expect(meteredRangeFor(period('a'), 9000)).toEqual({ from: 1000, to: 5000 });
    expect(meteredRangeFor(period('a'), 500)).toEqual({ from: 1000, to: 1000 });
  });

  it('computes drift as gateway minus metered', () => {
    expect(row('a', 7, 4)).toMatchObject({ drift: 3, gatewayCount: 7, meteredCount: 4, periodStart: 1000 });
    expect(row('a', 4, 7).drift).toBe(-3);
  });

  it('keeps the first comparison where it agreed and the recheck where it did not, largest drift first', () => {
    const merged = mergeComparisons(
      [row('agree', 5, 5), row('transient', 6, 5), row('small', 3, 2), row('large', 1, 9)],
      [row('transient', 6, 6, 2), row('small', 3, 2, 2), row('large', 1, 9, 2)],
    );
    expect(merged.map((entry) => [entry.consumerId, entry.drift, entry.checks])).toEqual([
      ['large', -8, 2],
      ['small', 1, 2],
      ['agree', 0, 1],
      ['transient', 0, 2],
    ]);
  });

  it('summarizes a run: consumers, drifting consumers and the sum of |drift|', () => {
    expect(
      summarizeRun([row('a', 1, 9), row('b', 3, 2), row('c', 2, 2)], {
        runId: 'r',
        runAt: 1,
        finishedAt: 2,
        skipped: 1,
      }),
    ).toEqual({ runId: 'r', runAt: 1, finishedAt: 2, skipped: 1, consumers: 3, drifting: 2, driftUnits: 9 });
  });
});
