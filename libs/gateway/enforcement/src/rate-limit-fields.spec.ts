import {
  formatRateLimit,
  formatRateLimitPolicy,
  quotaCeiling,
  quotaWarningLevel,
  rateWindowSeconds,
} from './rate-limit-fields';

/** A minimal RFC 8941 list parser: string items with integer parameters, as the fields use. */
function parseList(value: string): Array<{ item: string; params: Record<string, number> }> {
  const grammar = /^\s*"([^"\\]*)"((?:;[a-z*][a-z0-9_.*-]*=-?\d{1,15})*)\s*$/;
  return value.split(',').map((member) => {
    const match = grammar.exec(member);
    if (match === null) throw new SyntaxError(`not a structured-field list member: ${member}`);
    const params: Record<string, number> = {};
    for (const param of match[2].split(';').slice(1)) {
      const [name, raw] = param.split('=');
      params[name] = Number(raw);
    }
    return { item: match[1], params };
  });
}

describe('RateLimit fields', () => {
  const limits = [
    { name: 'rate', quota: 10, windowSeconds: 1, remaining: 9, resetSeconds: 1 },
    { name: 'quota', quota: 1000, windowSeconds: 2_592_000, remaining: -3, resetSeconds: 86_400 },
  ];

  it('formats RateLimit-Policy as a structured-field list', () => {
    const policy = formatRateLimitPolicy(limits);
    expect(policy).toBe('"rate";q=10;w=1, "quota";q=1000;w=2592000');
    expect(parseList(policy)).toEqual([
      { item: 'rate', params: { q: 10, w: 1 } },
      { item: 'quota', params: { q: 1000, w: 2_592_000 } },
    ]);
  });

  it('formats RateLimit with remainders clamped at zero', () => {
    expect(parseList(formatRateLimit(limits))).toEqual([
      { item: 'rate', params: { r: 9, t: 1 } },
      { item: 'quota', params: { r: 0, t: 86_400 } },
    ]);
  });

  it('warns at 80 % and 95 % of the quota', () => {
    expect(quotaWarningLevel(79, 100)).toBeNull();
    expect(quotaWarningLevel(80, 100)).toBe(80);
    expect(quotaWarningLevel(94, 100)).toBe(80);
    expect(quotaWarningLevel(95, 100)).toBe(95);
    expect(quotaWarningLevel(16, 20)).toBe(80);
    expect(quotaWarningLevel(0, 0)).toBeNull();
  });

  it('derives the rate window from the burst', () => {
    expect(rateWindowSeconds(10, 10)).toBe(1);
    expect(rateWindowSeconds(2, 5)).toBe(3);
    expect(rateWindowSeconds(100, 1)).toBe(1);
  });

  it('raises the quota to its overage ceiling', () => {
    expect(quotaCeiling(1000, 10)).toBe(1100);
    expect(quotaCeiling(20, 25)).toBe(25);
    expect(quotaCeiling(7, 10)).toBe(7);
    expect(quotaCeiling(50, null)).toBe(50);
    expect(quotaCeiling(50, undefined)).toBe(50);
  });
});
