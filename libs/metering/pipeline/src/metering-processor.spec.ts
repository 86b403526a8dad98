import { type UsageEventRow } from '@tollgate/metering-domain';
import { monthRuns } from './metering-processor';

const row = (offset: number, ts: string) => ({ log_offset: String(offset), ts }) as UsageEventRow;

describe('monthRuns', () => {
  it('keeps a batch within one month as one run', () => {
    expect(monthRuns([row(1, '2026-11-01 00:00:00.000'), row(2, '2026-11-30 23:59:59.999')])).toHaveLength(1);
  });

  it('splits at every change of month, keeping offset order', () => {
    const runs = monthRuns([
      row(1, '2026-10-31 23:59:59.999'),
      row(2, '2026-11-01 00:00:00.000'),
      row(3, '2026-10-31 23:59:59.000'),
      row(4, '2026-10-31 23:59:59.500'),
    ]);
    expect(runs.map((run) => run.map((r) => r.log_offset))).toEqual([['1'], ['2'], ['3', '4']]);
  });

  it('returns no run for no rows', () => {
    expect(monthRuns([])).toEqual([]);
  });
});
