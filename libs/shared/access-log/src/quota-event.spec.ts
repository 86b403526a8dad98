import { crossedThresholds, quotaEventId, quotaEventSchema, thresholdUnits } from './quota-event';

describe('quota thresholds', () => {
  it('places each threshold at the first unit that reaches it', () => {
    expect(thresholdUnits(20, 80)).toBe(16);
    expect(thresholdUnits(20, 95)).toBe(19);
    expect(thresholdUnits(20, 100)).toBe(20);
    expect(thresholdUnits(3, 80)).toBe(3); // 2.4 rounds up: 2 of 3 is only 66 %
    expect(thresholdUnits(0, 80)).toBe(1);
  });

  it('reports a threshold only for the request that reaches it', () => {
    const seen = Array.from({ length: 25 }, (_, index) =>
      crossedThresholds(20, [80, 95, 100], index, index + 1),
    );
    expect(seen.flatMap((crossed, index) => crossed.map((threshold) => [index + 1, threshold]))).toEqual([
      [16, 80],
      [19, 95],
      [20, 100],
    ]);
  });

  it('reports every threshold a weighted request jumps over', () => {
    expect(crossedThresholds(20, [80, 95, 100], 15, 20)).toEqual([80, 95, 100]);
    expect(crossedThresholds(20, [80], 16, 17)).toEqual([]);
    expect(crossedThresholds(0, [80], 0, 1)).toEqual([]);
  });

  it('derives the same id for the same crossing, and a different one per kind', () => {
    const start = Date.UTC(2026, 10, 1);
    expect(quotaEventId('cons_1', start, 'quota.threshold_crossed', 80)).toBe(
      'cons_1:2026-11-01T00:00:00.000Z:80',
    );
    expect(quotaEventId('cons_1', start, 'quota.exhausted', 120)).toBe(
      'cons_1:2026-11-01T00:00:00.000Z:exhausted',
    );
  });

  it('validates the event shape', () => {
    const event = {
      id: 'cons_1:2026-11-01T00:00:00.000Z:80',
      type: 'quota.threshold_crossed',
      ts: 1,
      consumerId: 'cons_1',
      planId: 'plan_1',
      periodStart: 0,
      periodEnd: 10,
      threshold: 80,
      limit: 20,
      used: 16,
    };
    expect(quotaEventSchema.parse(event)).toEqual(event);
    expect(quotaEventSchema.safeParse({ ...event, threshold: 0 }).success).toBe(false);
  });
});
