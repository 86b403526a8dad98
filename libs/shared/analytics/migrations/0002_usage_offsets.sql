-- Highest log offset stored per (topic, partition), kept by a materialized view so the metering
-- resume query reads a few rows instead of scanning usage_events:
--   SELECT log_partition, maxMerge(max_offset) FROM usage_offsets WHERE log_topic = ? GROUP BY log_partition
-- (same answer as SELECT log_partition, max(log_offset) FROM usage_events ... GROUP BY log_partition).
CREATE TABLE IF NOT EXISTS usage_offsets (
  log_topic LowCardinality(String),
  log_partition UInt32,
  max_offset AggregateFunction(max, UInt64)
) ENGINE = AggregatingMergeTree
ORDER BY (log_topic, log_partition);

-- Qualified with the database so the view does not depend on the session's current database.
CREATE MATERIALIZED VIEW IF NOT EXISTS usage_offsets_mv TO {database}.usage_offsets AS
SELECT log_topic, log_partition, maxState(log_offset) AS max_offset
FROM {database}.usage_events
GROUP BY log_topic, log_partition;

-- Rows stored before the view existed. max() makes a re-run harmless.
INSERT INTO usage_offsets
SELECT log_topic, log_partition, maxState(log_offset) AS max_offset
FROM usage_events
GROUP BY log_topic, log_partition;
