import {
  consumptionHistogram,
  hourlyAnomalies,
  median,
  medianAbsoluteDeviation,
  nearestRankPercentile,
  percentiles,
  percentOfQuota,
} from './analytics-statistics';

/** Deterministic pseudo-random numbers in [0, 1), so a failure reproduces. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Hourly counts around `rate` with roughly Poisson noise (normal approximation, ±√rate). */
function noisySeries(hours: number, rate: (hour: number) => number, seed = 7): number[] {
  const random = generator(seed);
  return Array.from({ length: hours }, (_, hour) => {
    const mean = rate(hour);
    // Sum of 12 uniforms − 6 ≈ standard normal.
    let normal = -6;
    for (let draw = 0; draw < 12; draw += 1) normal += random();
    return Math.max(0, Math.round(mean + normal * Math.sqrt(mean)));
  });
}

describe('percentiles', () => {
  it('takes the nearest rank, never interpolating', () => {
    const values = [15, 20, 35, 40, 50];
    expect(nearestRankPercentile(values, 30)).toBe(20);
    expect(nearestRankPercentile(values, 40)).toBe(20);
    expect(nearestRankPercentile(values, 50)).toBe(35);
    expect(nearestRankPercentile(values, 100)).toBe(50);
    expect(nearestRankPercentile([3, 1, 2], 50)).toBe(2);
    expect(nearestRankPercentile([], 50)).toBeNull();
    expect(() => nearestRankPercentile(values, 0)).toThrow(RangeError);
  });

  it('gives p50, p90 and p99 of 1..100 as 50, 90 and 99', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(percentiles(values)).toEqual({ p50: 50, p90: 90, p99: 99 });
    expect(percentiles([7])).toEqual({ p50: 7, p90: 7, p99: 7 });
    expect(percentiles([])).toEqual({ p50: null, p90: null, p99: null });
  });
});

describe('consumptionHistogram', () => {
  it('puts each consumer in its tenth of the quota, 100 % in 90–100 and beyond it in >100', () => {
    const histogram = consumptionHistogram([0, 5, 9.99, 10, 55, 89.9, 90, 100, 100.01, 250, -1]);
    expect(histogram.map((bucket) => [bucket.label, bucket.consumers])).toEqual([
      ['0-10', 4],
      ['10-20', 1],
      ['20-30', 0],
      ['30-40', 0],
      ['40-50', 0],
      ['50-60', 1],
      ['60-70', 0],
      ['70-80', 0],
      ['80-90', 1],
      ['90-100', 2],
      ['>100', 2],
    ]);
    expect(histogram[10]).toMatchObject({ fromPercent: 100, toPercent: null });
    expect(histogram[0]).toMatchObject({ fromPercent: 0, toPercent: 10 });
  });

  it('counts a used zero quota as beyond it', () => {
    expect(percentOfQuota(5, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(percentOfQuota(0, 0)).toBe(0);
    expect(percentOfQuota(50, 200)).toBe(25);
    expect(consumptionHistogram([percentOfQuota(5, 0)])[10].consumers).toBe(1);
  });
});

describe('median and MAD', () => {
  it('are the middle value and the middle absolute deviation', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
    // deviations from 2: 1 1 0 0 2 4 7 → 1
    expect(medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9])).toBe(1);
  });
});

describe('hourlyAnomalies', () => {
  const week = 168;

  it('flags a tenfold spike over a noisy steady baseline, and nothing else', () => {
    const counts = noisySeries(week + 48, () => 50);
    counts[week + 20] = 500;
    const anomalies = hourlyAnomalies(counts, week, 0, { minCount: 100 });
    expect(anomalies.map((anomaly) => anomaly.index)).toEqual([week + 20]);
    const [spike] = anomalies;
    expect(spike.count).toBe(500);
    expect(spike.baselineMedian).toBeGreaterThan(40);
    expect(spike.baselineMedian).toBeLessThan(60);
    expect(spike.score).toBeGreaterThan(40);
  });

  it('does not flag ordinary noise, a 30 % busier day or a daily peak the baseline already has', () => {
    const steady = noisySeries(week + 48, () => 200, 11);
    for (let hour = week; hour < week + 24; hour += 1) steady[hour] = Math.round(steady[hour] * 1.3);
    expect(hourlyAnomalies(steady, week, 0, { minCount: 1 })).toEqual([]);
    // At 200/h a 30 % rise is several standard deviations: the ratio rule is what keeps it quiet.
    expect(hourlyAnomalies(steady, week, 0, { minCount: 1, minRatio: 1 }).length).toBeGreaterThan(0);

    // Quiet nights (20/h), busy afternoons (up to 400/h), every day.
    const diurnal = noisySeries(
      week + 72,
      (hour) => 20 + 380 * Math.max(0, Math.sin(((hour % 24) / 24) * 2 * Math.PI)),
      13,
    );
    expect(hourlyAnomalies(diurnal, week, 0, { minCount: 1 })).toEqual([]);
    // A busy night hour, and an afternoon at three times the usual peak, are flagged.
    const night = week + 24 + 18; // sin < 0 at 18:00 in this series: the 20/h floor
    const afternoon = week + 48 + 6; // sin = 1: the 400/h peak
    diurnal[night] = 300;
    diurnal[afternoon] = 1200;
    expect(hourlyAnomalies(diurnal, week, 0, { minCount: 1 }).map((anomaly) => anomaly.index)).toEqual([
      night,
      afternoon,
    ]);
  });

  it('ignores earlier spikes in the baseline (the median and MAD are robust to them)', () => {
    const counts = noisySeries(week + 24, () => 30, 17);
    // Five earlier outliers: the mean and standard deviation would swallow the new spike.
    for (const hour of [10, 40, 70, 100, 130]) counts[hour] = 3000;
    counts[week + 5] = 400;
    expect(hourlyAnomalies(counts, week, 0, { minCount: 100 }).map((anomaly) => anomaly.index)).toEqual([
      week + 5,
    ]);
  });

  it('never flags an hour below the floor, however far above a quiet baseline it is', () => {
    const counts = new Array<number>(week + 24).fill(0);
    counts[week + 3] = 80;
    expect(hourlyAnomalies(counts, week, 0, { minCount: 100 })).toEqual([]);
    expect(hourlyAnomalies(counts, week, 0, { minCount: 50 })).toEqual([
      { index: week + 3, count: 80, baselineMedian: 0, baselineSpread: 1, score: 80 },
    ]);
  });

  it('judges a new consumer only against the hours since its first traffic, and not before a day of it', () => {
    const counts = new Array<number>(week + 48).fill(0);
    const firstTraffic = week + 10;
    for (let hour = firstTraffic; hour < counts.length; hour += 1) counts[hour] = 150;
    // Its first busy hours have only zeros before them, but the consumer did not exist then.
    expect(hourlyAnomalies(counts, week, firstTraffic, { minCount: 100 })).toEqual([]);
    // A spike after a full day of steady traffic is judged against that day.
    counts[firstTraffic + 30] = 2000;
    expect(
      hourlyAnomalies(counts, week, firstTraffic, { minCount: 100 }).map((anomaly) => anomaly.index),
    ).toEqual([firstTraffic + 30]);
    // Judged from the start of the series instead, the first busy hours would all be flagged.
    expect(hourlyAnomalies(counts, week, 0, { minCount: 100 }).length).toBeGreaterThan(1);
  });

  it('does not flag a small rise over a flat baseline (the √median floor)', () => {
    const counts = new Array<number>(week + 2).fill(100);
    counts[week] = 130; // MAD 0, √100 = 10 → score 3
    counts[week + 1] = 170; // score 7
    expect(hourlyAnomalies(counts, week, 0, { minCount: 1, minRatio: 1 })).toEqual([
      { index: week + 1, count: 170, baselineMedian: 100, baselineSpread: 10, score: 7 },
    ]);
  });
});
