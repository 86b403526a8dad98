import { describe, expect, it } from '@jest/globals';
import { formatQuotaPercent, plural, usageColor } from './format';

describe('formatQuotaPercent', () => {
  it('shows whole percent by default, rounded down', () => {
    expect(formatQuotaPercent(83.3)).toBe('83 %');
    expect(formatQuotaPercent(79.9)).toBe('79 %');
    expect(formatQuotaPercent(99.6)).toBe('99 %');
    expect(formatQuotaPercent(100)).toBe('100 %');
    expect(formatQuotaPercent(0)).toBe('0 %');
  });

  it('shows overage above 100 %', () => {
    expect(formatQuotaPercent(250.4)).toBe('250 %');
  });

  it('keeps the digits asked for without binary noise', () => {
    expect(formatQuotaPercent(83.35, 1)).toBe('83.3 %');
    expect(formatQuotaPercent(0.29, 2)).toBe('0.29 %');
    expect(formatQuotaPercent(57, 1)).toBe('57.0 %');
  });

  it('shows a dash without a figure', () => {
    expect(formatQuotaPercent(null)).toBe('—');
    expect(formatQuotaPercent(undefined)).toBe('—');
    expect(formatQuotaPercent(Number.NaN)).toBe('—');
  });
});

describe('usageColor', () => {
  it.each([
    [0, 'teal'],
    [79.9, 'teal'],
    [80, 'orange'],
    [99.9, 'orange'],
    [100, 'red'],
    [140, 'red'],
  ])('%p %% is %s', (percent, color) => {
    expect(usageColor(percent)).toBe(color);
  });
});

describe('plural', () => {
  it('adds an s unless there is exactly one', () => {
    expect(plural(1, 'subscriber')).toBe('1 subscriber');
    expect(plural(0, 'subscriber')).toBe('0 subscribers');
    expect(plural(12_000, 'subscription')).toBe(`${new Intl.NumberFormat().format(12_000)} subscriptions`);
  });
});
