import { type PriceComponent } from '@tollgate/plans-domain';
import { chargeForUnits, type SpendCapPlan, spendCapUnits } from './spend-cap-units';

const plan = (prices: PriceComponent[], overrides: Partial<SpendCapPlan> = {}): SpendCapPlan => ({
  prices,
  overage: null,
  quota: { limit: 1_000_000, period: 'month' },
  currency: 'usd',
  ...overrides,
});

const perUnit = (unitAmountMinor: number): PriceComponent => ({
  type: 'per_unit',
  unitAmountMinor,
  currency: 'usd',
});

/** The definition, by brute force: the first number of units whose charge passes the cap, minus one. */
function bruteForce(subject: SpendCapPlan, capMinor: number, maxUnits: number): number {
  for (let units = 0; units <= maxUnits; units += 1) {
    if (chargeForUnits(subject, units) > capMinor) return Math.max(0, units - 1);
  }
  return maxUnits;
}

describe('spendCapUnits', () => {
  it('divides the cap by a per-request price, rounding down', () => {
    expect(spendCapUnits(plan([perUnit(2)]), 500)).toBe(250);
    expect(spendCapUnits(plan([perUnit(3)]), 500)).toBe(166);
    expect(chargeForUnits(plan([perUnit(3)]), 166)).toBe(498);
  });

  it('counts the flat fee first; a cap below it pays for nothing', () => {
    const subject = plan([{ type: 'flat', amountMinor: 1000, currency: 'usd' }, perUnit(1)]);
    expect(spendCapUnits(subject, 999)).toBe(0);
    expect(spendCapUnits(subject, 1000)).toBe(0);
    expect(spendCapUnits(subject, 1500)).toBe(500);
  });

  it('follows graduated tiers and started packages', () => {
    const graduated = plan([
      {
        type: 'graduated',
        currency: 'usd',
        tiers: [
          { upTo: 100, unitAmountMinor: 0 },
          { upTo: null, unitAmountMinor: 5 },
        ],
      },
    ]);
    expect(spendCapUnits(graduated, 100)).toBe(120);
    const packaged = plan([{ type: 'package', packageSize: 1000, amountMinor: 100, currency: 'usd' }]);
    expect(spendCapUnits(packaged, 250)).toBe(2000);
    expect(spendCapUnits(packaged, 99)).toBe(0);
  });

  it('stops at the first charge above the cap even where a volume tier later charges less', () => {
    const volume = plan([
      {
        type: 'volume',
        currency: 'usd',
        tiers: [
          { upTo: 100, unitAmountMinor: 10 },
          { upTo: null, unitAmountMinor: 5 },
        ],
      },
    ]);
    expect(chargeForUnits(volume, 100)).toBe(1000);
    expect(chargeForUnits(volume, 101)).toBe(505);
    expect(spendCapUnits(volume, 800)).toBe(80); // 101 units (505) would fit, but 81 do not
    expect(spendCapUnits(volume, 1000)).toBe(200);
    expect(spendCapUnits(volume, 2000)).toBe(400);
  });

  it('prices overage beyond the quota at the overage price', () => {
    const subject = plan([perUnit(1)], {
      quota: { limit: 100, period: 'month' },
      overage: { bufferPercent: 100, unitPriceMinor: 10, currency: 'usd' },
    });
    expect(chargeForUnits(subject, 150)).toBe(650);
    expect(spendCapUnits(subject, 650)).toBe(150);
    expect(spendCapUnits(subject, 659)).toBe(150);
  });

  it('returns the ceiling when the cap never binds', () => {
    expect(spendCapUnits(plan([]), 100, 5000)).toBe(5000);
    expect(spendCapUnits(plan([perUnit(1)]), 10_000, 5000)).toBe(5000);
    expect(spendCapUnits(plan([perUnit(0)]), 1)).toBe(2_147_483_647);
  });

  it('agrees with brute force on mixed volume, graduated and package prices', () => {
    let seed = 7;
    const next = (bound: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % bound;
    };
    for (let round = 0; round < 40; round += 1) {
      const first = 1 + next(40);
      const second = first + 1 + next(60);
      const subject = plan([
        {
          type: 'volume',
          currency: 'usd',
          tiers: [
            { upTo: first, unitAmountMinor: next(12), flatAmountMinor: next(30) },
            { upTo: second, unitAmountMinor: next(12) },
            { upTo: null, unitAmountMinor: next(12) },
          ],
        },
        {
          type: 'graduated',
          currency: 'usd',
          tiers: [
            { upTo: 1 + next(50), unitAmountMinor: next(4) },
            { upTo: null, unitAmountMinor: next(4) },
          ],
        },
        { type: 'package', packageSize: 1 + next(20), amountMinor: next(15), currency: 'usd' },
      ]);
      const cap = next(1500);
      expect([round, spendCapUnits(subject, cap, 300)]).toEqual([round, bruteForce(subject, cap, 300)]);
    }
  });
});
