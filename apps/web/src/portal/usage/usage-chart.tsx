import { AreaChart } from '@mantine/charts';
import { formatNumber } from '../../shared';
import { type UsageTimeseries } from '../portal-types';

export interface UsageChartProps {
  series: UsageTimeseries;
  quotaLimit: number;
}

function bucketLabel(start: string, granularity: UsageTimeseries['granularity']): string {
  const date = new Date(start);
  return granularity === 'day'
    ? new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' }).format(date)
    : new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(date);
}

/** Cumulative counted requests over the period against the quota line. */
export function UsageChart({ series, quotaLimit }: UsageChartProps) {
  let total = 0;
  const now = Date.now();
  // The whole period on the x axis; buckets still ahead have no value yet.
  const data = series.points.map((point) => {
    const started = new Date(point.start).getTime() <= now;
    if (started) total += point.requests;
    return { bucket: bucketLabel(point.start, series.granularity), used: started ? total : null };
  });
  return (
    <AreaChart
      h={260}
      data={data}
      dataKey="bucket"
      series={[{ name: 'used', label: 'Counted requests (cumulative)', color: 'indigo.6' }]}
      curveType="monotone"
      connectNulls={false}
      gridAxis="y"
      valueFormatter={(value) => formatNumber(value)}
      yAxisProps={{ domain: [0, Math.max(quotaLimit, total) * 1.1 || 1] }}
      referenceLines={[{ y: quotaLimit, label: `Quota ${formatNumber(quotaLimit)}`, color: 'red.6' }]}
      role="figure"
      aria-label="Counted requests this period against the quota"
    />
  );
}
