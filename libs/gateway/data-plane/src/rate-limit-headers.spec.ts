import { appendQuotaHeaders, quotaStanding, secondsUntil } from './rate-limit-headers';

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let index = 0; index < flat.length; index += 2) out.push([flat[index], flat[index + 1]]);
  return out;
}

describe('rate-limit headers', () => {
  const window = { start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 1, 1) };

  it('rounds the seconds to reset up, never below zero', () => {
    expect(secondsUntil(10_001, 0)).toBe(11);
    expect(secondsUntil(10_000, 0)).toBe(10);
    expect(secondsUntil(5, 10)).toBe(0);
  });

  it('formats the X-RateLimit trio and the IETF structured fields', () => {
    const now = window.end - 90_500;
    const headers = appendQuotaHeaders([], quotaStanding(50_000, 1234, window, now));
    expect(pairs(headers)).toEqual([
      ['x-ratelimit-limit', '50000'],
      ['x-ratelimit-remaining', '48766'],
      ['x-ratelimit-reset', '91'],
      ['ratelimit-policy', '"quota";q=50000;w=2678400'],
      ['ratelimit', '"quota";r=48766;t=91'],
    ]);
  });

  it('never reports a negative remainder', () => {
    expect(quotaStanding(3, 5, window, window.start).remaining).toBe(0);
  });
});
