import { ValidationError } from '@tollgate/errors';
import {
  resolveUsageRange,
  usageBreakdownQuerySchema,
  usageTimeseriesQuerySchema,
} from './usage-query-input';

const period = { from: Date.parse('2026-11-01T10:00:00.500Z'), to: Date.parse('2026-12-01T10:00:00.500Z') };

const issuesOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => issue.field);
    throw error;
  }
  return [];
};

describe('usage query parameters', () => {
  it('default to a day series over the billing period', () => {
    const query = usageTimeseriesQuerySchema.parse({});
    expect(query).toEqual({ granularity: 'day' });
    expect(resolveUsageRange(query, period)).toEqual(period);
  });

  it('take ISO 8601 instants with an offset', () => {
    const query = usageTimeseriesQuerySchema.parse({
      granularity: 'minute',
      from: '2026-11-02T00:00:00+01:00',
      to: '2026-11-02T00:30:00Z',
    });
    expect(resolveUsageRange(query, period)).toEqual({
      from: Date.parse('2026-11-01T23:00:00Z'),
      to: Date.parse('2026-11-02T00:30:00Z'),
    });
  });

  it.each([
    [{ granularity: 'week' }, 'granularity'],
    [{ from: 'yesterday' }, 'from'],
    [{ to: '2026-11-02' }, 'to'],
    [{ from: ['2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'] }, 'from'],
  ])('reject %j naming the parameter', (input, field) => {
    const result = usageTimeseriesQuerySchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([field]);
  });

  it('require by for a breakdown', () => {
    expect(
      usageBreakdownQuerySchema.safeParse({}).error?.issues.map((issue) => issue.path.join('.')),
    ).toEqual(['by']);
    expect(usageBreakdownQuerySchema.parse({ by: 'status' })).toEqual({ by: 'status' });
  });

  it('refuse a range that ends before it starts', () => {
    expect(issuesOf(() => resolveUsageRange({ from: period.from, to: period.from }, period))).toEqual(['to']);
    expect(issuesOf(() => resolveUsageRange({ from: period.to + 1 }, period))).toEqual(['from']);
  });

  it('bound a time series to 1,500 points', () => {
    expect(issuesOf(() => resolveUsageRange({ granularity: 'minute' }, period))).toEqual(['granularity']);
    expect(issuesOf(() => resolveUsageRange({ granularity: 'hour' }, period))).toEqual([]);
    const edge = { from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-11-02T01:00:00Z') };
    expect(issuesOf(() => resolveUsageRange({ granularity: 'minute' }, edge))).toEqual([]);
    expect(
      issuesOf(() => resolveUsageRange({ granularity: 'minute' }, { ...edge, to: edge.to + 1 })),
    ).toEqual(['granularity']);
  });
});
