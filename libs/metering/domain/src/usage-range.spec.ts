import { bucketCount, rangeBuckets, rangeSegments, type RangeSegment } from './usage-range';

const at = (iso: string) => Date.parse(iso);
const show = (segments: RangeSegment[]) =>
  segments.map(
    (segment) =>
      `${segment.source} ${new Date(segment.from).toISOString()} ${new Date(segment.to).toISOString()}`,
  );

describe('rangeSegments', () => {
  it('reads whole days from the day rollup and the edges from finer sources, raw only below a minute', () => {
    const segments = rangeSegments({
      from: at('2026-11-01T18:15:30.250Z'),
      to: at('2026-11-04T05:45:10.000Z'),
    });
    expect(show(segments)).toEqual([
      'raw 2026-11-01T18:15:30.250Z 2026-11-01T18:16:00.000Z',
      'minute 2026-11-01T18:16:00.000Z 2026-11-01T19:00:00.000Z',
      'hour 2026-11-01T19:00:00.000Z 2026-11-02T00:00:00.000Z',
      'day 2026-11-02T00:00:00.000Z 2026-11-04T00:00:00.000Z',
      'hour 2026-11-04T00:00:00.000Z 2026-11-04T05:00:00.000Z',
      'minute 2026-11-04T05:00:00.000Z 2026-11-04T05:45:00.000Z',
      'raw 2026-11-04T05:45:00.000Z 2026-11-04T05:45:10.000Z',
    ]);
  });

  it('covers the range exactly, without gaps or overlaps, for any range', () => {
    let seed = 1;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    for (let trial = 0; trial < 500; trial++) {
      const from = at('2026-01-01T00:00:00Z') + Math.floor(random() * 90 * 86_400_000);
      const to = from + Math.floor(random() ** 3 * 40 * 86_400_000);
      for (const coarsest of ['minute', 'hour', 'day'] as const) {
        const segments = rangeSegments({ from, to }, coarsest);
        let cursor = from;
        for (const segment of segments) {
          expect(segment.from).toBe(cursor);
          expect(segment.to).toBeGreaterThan(segment.from);
          if (segment.source !== 'raw') {
            const size = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[segment.source];
            expect(segment.from % size).toBe(0);
            expect(segment.to % size).toBe(0);
          } else {
            // A remainder holds no whole minute: under a minute at an edge, under two in all.
            expect(segment.to - segment.from).toBeLessThan(120_000);
          }
          cursor = segment.to;
        }
        expect(cursor).toBe(from < to ? to : from);
        expect(segments.filter((segment) => segment.source === 'raw').length).toBeLessThanOrEqual(2);
      }
    }
  });

  it('never reads coarser buckets than asked for', () => {
    const segments = rangeSegments(
      { from: at('2026-11-01T00:00:00Z'), to: at('2026-11-03T00:00:00Z') },
      'hour',
    );
    expect(show(segments)).toEqual(['hour 2026-11-01T00:00:00.000Z 2026-11-03T00:00:00.000Z']);
  });

  it('reads a range within one minute raw, and an empty range not at all', () => {
    const from = at('2026-11-01T10:00:10Z');
    expect(show(rangeSegments({ from, to: from + 30_000 }))).toEqual([
      'raw 2026-11-01T10:00:10.000Z 2026-11-01T10:00:40.000Z',
    ]);
    expect(rangeSegments({ from, to: from })).toEqual([]);
  });
});

describe('time-series buckets', () => {
  it('clips the first and last bucket to the range', () => {
    const range = { from: at('2026-11-01T10:20:00Z'), to: at('2026-11-01T12:05:00Z') };
    expect(bucketCount(range, 'hour')).toBe(3);
    expect(
      rangeBuckets(range, 'hour').map((bucket) =>
        [bucket.from, bucket.to].map((t) => new Date(t).toISOString()),
      ),
    ).toEqual([
      ['2026-11-01T10:20:00.000Z', '2026-11-01T11:00:00.000Z'],
      ['2026-11-01T11:00:00.000Z', '2026-11-01T12:00:00.000Z'],
      ['2026-11-01T12:00:00.000Z', '2026-11-01T12:05:00.000Z'],
    ]);
  });

  it('counts a month of minutes', () => {
    expect(bucketCount({ from: at('2026-11-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') }, 'minute')).toBe(
      43_200,
    );
    expect(bucketCount({ from: 5, to: 5 }, 'day')).toBe(0);
  });
});
