import { ValidationError } from '@tollgate/errors';
import {
  analyticsUsageQuerySchema,
  anomaliesQuerySchema,
  reconciliationQuerySchema,
  resolveAnalyticsRange,
  topConsumersQuerySchema,
} from './analytics-query-input';

const fieldsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => issue.field);
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('analytics query input', () => {
  const now = Date.parse('2026-03-20T12:34:56.789Z');
  const options = {
    now,
    size: 'hour' as const,
    defaultSpanMs: 86_400_000,
    maxBuckets: 48,
    overflowField: 'granularity',
    overflowMessage: 'Too many',
  };

  it('widens from and to to whole UTC buckets and fills the defaults', () => {
    expect(resolveAnalyticsRange({}, options)).toEqual({
      from: Date.parse('2026-03-19T13:00:00Z'),
      to: Date.parse('2026-03-20T13:00:00Z'),
    });
    expect(
      resolveAnalyticsRange(
        { from: Date.parse('2026-03-01T10:30:00Z'), to: Date.parse('2026-03-02T09:00:00Z') },
        { ...options, size: 'day' },
      ),
    ).toEqual({ from: Date.parse('2026-03-01T00:00:00Z'), to: Date.parse('2026-03-03T00:00:00Z') });
  });

  it('refuses an empty or reversed range naming to, and too many buckets naming the given field', () => {
    expect(
      fieldsOf(() =>
        resolveAnalyticsRange(
          { from: Date.parse('2026-03-02T00:00:00Z'), to: Date.parse('2026-03-01T00:00:00Z') },
          options,
        ),
      ),
    ).toEqual(['to']);
    expect(fieldsOf(() => resolveAnalyticsRange({ from: now + 10 * 86_400_000 }, options))).toEqual(['from']);
    expect(fieldsOf(() => resolveAnalyticsRange({ from: now - 3 * 86_400_000 }, options))).toEqual([
      'granularity',
    ]);
  });

  it('parses query strings: defaults, numbers and booleans', () => {
    expect(analyticsUsageQuerySchema.parse({})).toEqual({ granularity: 'day' });
    expect(topConsumersQuerySchema.parse({ limit: '25' })).toEqual({ limit: 25 });
    expect(anomaliesQuerySchema.parse({ threshold: '4.5' })).toMatchObject({ threshold: 4.5, minCount: 100 });
    expect(reconciliationQuerySchema.parse({ onlyDrift: 'true' })).toEqual({ onlyDrift: true, limit: 1000 });
    expect(reconciliationQuerySchema.safeParse({ onlyDrift: 'yes' }).success).toBe(false);
    expect(topConsumersQuerySchema.safeParse({ limit: '1.5' }).success).toBe(false);
  });
});
