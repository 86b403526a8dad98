import { emissionIntervalUs, gcraStep } from './gcra';

describe('gcraStep', () => {
  const interval = emissionIntervalUs(10); // 100 ms

  it('admits a full burst at once, then refuses until one interval has passed', () => {
    let tat = 0;
    const now = 1_000_000_000;
    const allowed: boolean[] = [];
    for (let index = 0; index < 4; index += 1) {
      const step = gcraStep(tat, now, interval, 3, 1);
      allowed.push(step.allowed);
      tat = step.tatUs;
    }
    expect(allowed).toEqual([true, true, true, false]);
    const refused = gcraStep(tat, now, interval, 3, 1);
    expect(refused.retryAfterUs).toBe(100_000);
    expect(refused.remaining).toBe(0);
    expect(gcraStep(tat, now + 100_000, interval, 3, 1).allowed).toBe(true);
  });

  it('reports the remainder and the time to a full bucket', () => {
    const step = gcraStep(0, 5_000_000, interval, 5, 2);
    expect(step).toEqual({
      allowed: true,
      tatUs: 5_200_000,
      retryAfterUs: 0,
      remaining: 3,
      resetUs: 200_000,
    });
  });

  it('refuses a cost larger than the burst', () => {
    expect(gcraStep(0, 5_000_000, interval, 2, 3).allowed).toBe(false);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => emissionIntervalUs(0)).toThrow(RangeError);
  });
});
