import { describe, expect, it } from '@jest/globals';
import { formatDate } from '../../shared/format';
import { type PortalAlert, type UsageSummary } from '../portal-types';
import { alertQuotaStatus, billingAlerts, quotaBannerContent, quotaStatus } from './quota-status';

function usage(used: number, limit: number): UsageSummary {
  return {
    consumerId: 'con_1',
    periodStart: '2026-11-01T00:00:00.000Z',
    periodEnd: '2026-12-01T00:00:00.000Z',
    requests: used,
    totalRequests: used,
    units: {},
    quota: { limit, used, remaining: Math.max(0, limit - used), overage: Math.max(0, used - limit) },
  };
}

function alert(kind: string, fields: Partial<PortalAlert> = {}): PortalAlert {
  return {
    id: `alr_${kind}`,
    kind,
    threshold: null,
    usedUnits: null,
    limitUnits: null,
    createdAt: '2026-11-20T10:00:00.000Z',
    ...fields,
  };
}

describe('quotaStatus', () => {
  it.each([
    [0, 100, undefined],
    [79, 100, undefined],
    [799, 1000, undefined],
    [80, 100, 80],
    [94, 100, 80],
    [95, 100, 95],
    [99, 100, 95],
    [100, 100, 100],
    [130, 100, 100],
  ])('%i of %i reaches threshold %p', (used, limit, threshold) => {
    expect(quotaStatus(used, limit)?.threshold).toBe(threshold);
  });

  it('rounds the percent down, so 79.9 % is not yet 80 %', () => {
    expect(quotaStatus(7_999, 10_000)).toBeUndefined();
    expect(quotaStatus(8_000, 10_000)).toEqual({ percent: 80, threshold: 80, used: 8_000, limit: 10_000 });
  });

  it('reaches the exact thresholds of large quotas', () => {
    expect(quotaStatus(1_600_000_000, 2_000_000_000)?.percent).toBe(80);
    expect(quotaStatus(1_899_999_999, 2_000_000_000)?.threshold).toBe(80);
    expect(quotaStatus(1_900_000_000, 2_000_000_000)?.threshold).toBe(95);
  });

  it('reports the overage percent above 100 %', () => {
    expect(quotaStatus(150, 100)).toEqual({ percent: 150, threshold: 100, used: 150, limit: 100 });
  });

  it('has no status without a positive limit', () => {
    expect(quotaStatus(5, 0)).toBeUndefined();
    expect(quotaStatus(5, Number.NaN)).toBeUndefined();
  });
});

describe('alertQuotaStatus', () => {
  it('reads a threshold alert from its units, else from its threshold', () => {
    expect(alertQuotaStatus(alert('quota_threshold', { usedUnits: 960, limitUnits: 1000 }))?.percent).toBe(
      96,
    );
    expect(alertQuotaStatus(alert('quota_threshold', { threshold: 95 }))?.threshold).toBe(95);
    expect(alertQuotaStatus(alert('quota_threshold'))).toBeUndefined();
  });

  it('treats an exhausted quota as 100 %, even for a zero quota', () => {
    expect(alertQuotaStatus(alert('quota_exhausted', { limitUnits: 500 }))).toMatchObject({
      percent: 100,
      threshold: 100,
    });
    expect(alertQuotaStatus(alert('quota_exhausted', { limitUnits: 0 }))?.threshold).toBe(100);
    expect(alertQuotaStatus(alert('quota_exhausted'))?.threshold).toBe(100);
  });

  it('ignores billing alerts', () => {
    expect(alertQuotaStatus(alert('payment_failed'))).toBeUndefined();
  });
});

describe('quotaBannerContent', () => {
  const resets = `The quota resets on ${formatDate('2026-12-01T00:00:00.000Z')}.`;

  it('shows nothing at 79 %', () => {
    expect(quotaBannerContent(usage(79, 100), [], 'month')).toBeUndefined();
  });

  it('warns at 80 % with the figures and the reset date', () => {
    const banner = quotaBannerContent(usage(4, 5), [], 'month');
    expect(banner).toMatchObject({ color: 'yellow', title: 'Quota warning', fromUsage: true });
    expect(banner?.text).toBe(
      `You have used 80 % of your monthly quota (4 of 5 requests). Consider upgrading before you reach the limit. ${resets}`,
    );
  });

  it('turns orange at 95 % and speaks of a daily quota for daily plans', () => {
    const banner = quotaBannerContent(usage(95, 100), [], 'day');
    expect(banner?.color).toBe('orange');
    expect(banner?.text).toMatch(/^You have used 95 % of your daily quota \(95 of 100 requests\)\./);
  });

  it('says the quota is used up at 100 %', () => {
    const banner = quotaBannerContent(usage(100, 100), [], 'month');
    expect(banner).toMatchObject({ color: 'red', title: 'Quota used up' });
    expect(banner?.text).toContain('Requests beyond the quota are refused or billed as overage');
  });

  it('shows the overage percent with formatted figures', () => {
    const banner = quotaBannerContent(usage(1_250_000, 1_000_000), [], 'month');
    expect(banner?.status.percent).toBe(125);
    expect(banner?.text).toContain(
      `You have used 125 % of your monthly quota (${(1_250_000).toLocaleString()} of ${(1_000_000).toLocaleString()} requests).`,
    );
  });

  it('takes a higher platform alert over the figures, without quoting figures', () => {
    const banner = quotaBannerContent(usage(80, 100), [alert('quota_threshold', { threshold: 95 })], 'month');
    expect(banner).toMatchObject({ fromUsage: false, color: 'orange' });
    expect(banner?.text).toBe(
      `You have used 95 % of your monthly quota. Consider upgrading before you reach the limit. ${resets}`,
    );
  });

  it('keeps the figures when they are at least as high as the alerts', () => {
    const banner = quotaBannerContent(
      usage(96, 100),
      [alert('quota_threshold', { threshold: 80 }), alert('quota_threshold', { threshold: 95 })],
      'month',
    );
    expect(banner).toMatchObject({ fromUsage: true, status: { percent: 96 } });
  });

  it('picks the highest of several alerts when there are no figures yet', () => {
    const banner = quotaBannerContent(
      undefined,
      [alert('quota_threshold', { threshold: 80 }), alert('quota_exhausted', { limitUnits: 100 })],
      undefined,
    );
    expect(banner).toMatchObject({ color: 'red', title: 'Quota used up' });
    expect(banner?.text).toBe(
      'You have used 100 % of your monthly quota. Requests beyond the quota are refused or billed as overage, depending on your plan.',
    );
  });
});

describe('billingAlerts', () => {
  it('keeps the billing alerts in order and nothing else', () => {
    const alerts = [
      alert('quota_threshold', { threshold: 80 }),
      alert('payment_failed'),
      alert('constructor'),
      alert('spend_cap'),
    ];
    expect(billingAlerts(alerts).map((each) => each.kind)).toEqual(['payment_failed', 'spend_cap']);
  });
});
