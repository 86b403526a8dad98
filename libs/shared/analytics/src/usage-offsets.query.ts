import { type AnalyticsStore } from '@tollgate/ports';

/**
 * Where metering resumes for `topic`: per partition, the NEXT offset to read (highest stored
 * offset + 1) as a decimal string. Reads usage_offsets (migration 0002), which a materialized
 * view keeps at max(log_offset) of usage_events per (topic, partition). Partitions with no stored
 * row are absent.
 */
export async function lastConsumedOffsets(
  store: AnalyticsStore,
  topic: string,
): Promise<Map<number, string>> {
  const rows = await store.query<{ log_partition: number; next_offset: string }>(
    'SELECT log_partition, toString(maxMerge(max_offset) + 1) AS next_offset FROM usage_offsets ' +
      'WHERE log_topic = {topic:String} GROUP BY log_partition ORDER BY log_partition',
    { topic },
  );
  return new Map(rows.map((row) => [row.log_partition, row.next_offset]));
}
