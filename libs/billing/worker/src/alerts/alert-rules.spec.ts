import { crossedThresholds, type QuotaEvent } from '@tollgate/access-log';
import {
  alertForQuotaEvent,
  reachedQuotaThresholds,
  reachedSpendCapThresholds,
  usageNoticeKind,
} from './alert-rules';

/** The quota events the gateway emits for `requests` requests against a quota (as its handler does). */
function gatewayEvents(
  limit: number,
  bufferPercent: number | null,
  requests: number,
): Pick<QuotaEvent, 'type' | 'threshold'>[] {
  const ceiling = bufferPercent === null ? limit : Math.floor((limit * (100 + bufferPercent)) / 100);
  const events: (Pick<QuotaEvent, 'type' | 'threshold'> & { at: number })[] = [];
  let used = 0;
  let refused = false;
  for (let request = 1; request <= requests; request += 1) {
    if (used >= ceiling) {
      if (!refused)
        events.push({ type: 'quota.exhausted', threshold: 100 + (bufferPercent ?? 0), at: request });
      refused = true;
      continue;
    }
    for (const threshold of crossedThresholds(limit, [80, 95, 100], used, used + 1)) {
      events.push({ type: 'quota.threshold_crossed', threshold, at: request });
    }
    used += 1;
  }
  return events;
}

describe('alert rules', () => {
  it('quota 20 without overage, 25 requests: three alerts, at the 16th, 19th and 20th request', () => {
    const events = gatewayEvents(20, null, 25);
    expect(events).toEqual([
      { type: 'quota.threshold_crossed', threshold: 80, at: 16 },
      { type: 'quota.threshold_crossed', threshold: 95, at: 19 },
      { type: 'quota.threshold_crossed', threshold: 100, at: 20 },
      { type: 'quota.exhausted', threshold: 100, at: 21 },
    ]);
    const alerts = events.map((event) => alertForQuotaEvent(event, false)).filter((alert) => alert !== null);
    expect(alerts).toEqual([
      { kind: 'quota_threshold', threshold: 80 },
      { kind: 'quota_threshold', threshold: 95 },
      { kind: 'quota_threshold', threshold: 100 },
    ]);
    expect(alerts.map((alert) => usageNoticeKind(alert.kind, alert.threshold, false))).toEqual([
      'threshold',
      'threshold',
      'hard_stop',
    ]);
  });

  it('with an overage buffer, 100 % is the overage notice and exhaustion is its own hard stop', () => {
    const events = gatewayEvents(20, 10, 25);
    const alerts = events.map((event) => alertForQuotaEvent(event, true)).filter((alert) => alert !== null);
    expect(alerts).toEqual([
      { kind: 'quota_threshold', threshold: 80 },
      { kind: 'quota_threshold', threshold: 95 },
      { kind: 'quota_threshold', threshold: 100 },
      { kind: 'quota_exhausted', threshold: 110 },
    ]);
    expect(alerts.map((alert) => usageNoticeKind(alert.kind, alert.threshold, true))).toEqual([
      'threshold',
      'threshold',
      'overage',
      'hard_stop',
    ]);
  });

  it('the recheck finds the thresholds usage has reached, as the gateway rounds them', () => {
    expect(reachedQuotaThresholds(15, 20, [80, 95, 100])).toEqual([]);
    expect(reachedQuotaThresholds(16, 20, [80, 95, 100])).toEqual([80]);
    expect(reachedQuotaThresholds(19, 20, [80, 95, 100])).toEqual([80, 95]);
    expect(reachedQuotaThresholds(25, 20, [80, 95, 100])).toEqual([80, 95, 100]);
    // ceil(3 × 0.8) = 3: on a quota of 3, 80 % is reached with the third unit.
    expect(reachedQuotaThresholds(2, 3, [80])).toEqual([]);
    expect(reachedQuotaThresholds(100, 0, [80])).toEqual([]);
  });

  it('spend-cap thresholds compare exactly in integers', () => {
    expect(reachedSpendCapThresholds(3_999, 5_000, [80, 95, 100])).toEqual([]);
    expect(reachedSpendCapThresholds(4_000, 5_000, [80, 95, 100])).toEqual([80]);
    expect(reachedSpendCapThresholds(5_000, 5_000, [80, 95, 100])).toEqual([80, 95, 100]);
    expect(reachedSpendCapThresholds(1, 0, [80])).toEqual([]);
  });
});
