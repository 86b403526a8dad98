import { describe, expect, it } from '@jest/globals';
import { formatCount, formatDate, formatDateTime, formatMoney, formatNumber, formatPercent } from './format';

// The formatters use the browser's locale; these expectations are built with the same locale,
// so they hold wherever the tests run.
const currency = (code: string, value: number | `${number}`) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(value);
const number = (value: number) => new Intl.NumberFormat().format(value);

describe('formatMoney', () => {
  it('divides cents by 100', () => {
    expect(formatMoney(4900, 'usd')).toBe(currency('USD', 49));
    expect(formatMoney(1, 'EUR')).toBe(currency('EUR', 0.01));
    expect(formatMoney(0, 'usd')).toBe(currency('USD', 0));
    expect(formatMoney(-250, 'usd')).toBe(currency('USD', -2.5));
  });

  it('takes zero-decimal currencies as whole units', () => {
    expect(formatMoney(500, 'jpy')).toBe(currency('JPY', 500));
    expect(formatMoney(1_234_567, 'JPY')).toBe(currency('JPY', 1_234_567));
    expect(formatMoney(50_000, 'krw')).toBe(currency('KRW', 50_000));
    expect(formatMoney(25_000, 'vnd')).toBe(currency('VND', 25_000));
    expect(formatMoney(990, 'clp')).toBe(currency('CLP', 990));
  });

  it('takes three-decimal currencies in thousandths', () => {
    expect(formatMoney(1_500, 'kwd')).toBe(currency('KWD', 1.5));
    expect(formatMoney(1, 'BHD')).toBe(currency('BHD', 0.001));
    expect(formatMoney(12_345, 'jod')).toBe(currency('JOD', 12.345));
  });

  it('uses the US dollar when no currency is given', () => {
    expect(formatMoney(100)).toBe(currency('USD', 1));
  });

  it('reads amounts sent as strings', () => {
    expect(formatMoney('4900', 'usd')).toBe(currency('USD', 49));
    expect(formatMoney(' 7 ', 'usd')).toBe(currency('USD', 0.07));
    expect(formatMoney('-5', 'usd')).toBe(currency('USD', -0.05));
  });

  it('keeps every cent of amounts beyond the float range', () => {
    const formatted = formatMoney('9007199254740993', 'usd');
    expect(formatted).toBe(currency('USD', '90071992547409.93'));
    expect(formatted).not.toBe(currency('USD', 9007199254740993 / 100));
  });

  it('formats large amounts with grouping', () => {
    expect(formatMoney(123_456_789_00, 'usd')).toBe(currency('USD', 123_456_789));
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'jpy')).toBe(currency('JPY', `${Number.MAX_SAFE_INTEGER}`));
  });

  it('formats fractional minor amounts without losing them', () => {
    expect(formatMoney(0.5, 'usd')).toBe(currency('USD', 0.005));
  });

  it('shows a dash for a missing or unreadable amount', () => {
    expect(formatMoney(null, 'usd')).toBe('—');
    expect(formatMoney(undefined)).toBe('—');
    expect(formatMoney('abc', 'usd')).toBe('—');
    expect(formatMoney(Number.NaN, 'usd')).toBe('—');
    expect(formatMoney(Number.POSITIVE_INFINITY, 'usd')).toBe('—');
  });

  it('falls back to the amount and code for a code Intl does not accept', () => {
    expect(formatMoney(1234, 'us')).toBe('12.34 US');
    expect(formatMoney('1234', 'us')).toBe('12.34 US');
  });
});

describe('formatNumber and formatCount', () => {
  it('groups large numbers and shows a dash when there is none', () => {
    expect(formatNumber(1_234_567)).toBe(number(1_234_567));
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
  });

  it('says one request and two requests', () => {
    expect(formatCount(1, 'request')).toBe('1 request');
    expect(formatCount(0, 'request')).toBe('0 requests');
    expect(formatCount(12_000, 'entry', 'entries')).toBe(`${number(12_000)} entries`);
  });
});

describe('formatPercent', () => {
  it('turns a ratio into percent', () => {
    expect(formatPercent(0.8)).toBe('80 %');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(1.25)).toBe('125 %');
    expect(formatPercent(0.1234, 1)).toBe('12.3 %');
    expect(formatPercent(undefined)).toBe('—');
    expect(formatPercent(Number.NaN)).toBe('—');
  });
});

describe('formatDate and formatDateTime', () => {
  const instant = '2026-11-28T09:30:00.000Z';

  it('formats instants, epoch numbers and dates alike', () => {
    const expected = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(instant));
    expect(formatDate(instant)).toBe(expected);
    expect(formatDate(Date.parse(instant))).toBe(expected);
    expect(formatDate(new Date(instant))).toBe(expected);
    expect(formatDateTime(instant)).toBe(
      new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
        new Date(instant),
      ),
    );
  });

  it('shows a dash for a missing or invalid date', () => {
    expect(formatDate(null)).toBe('—');
    expect(formatDate('not a date')).toBe('—');
    expect(formatDateTime(undefined)).toBe('—');
    expect(formatDateTime('2026-13-45')).toBe('—');
  });
});
