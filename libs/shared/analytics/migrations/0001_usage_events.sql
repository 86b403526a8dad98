-- Raw metered events, one row per access-log event, written by the metering pipeline.
-- log_topic/log_partition/log_offset record where each row was read from, so the consumer can
-- resume from what ClickHouse holds; the dedup window makes a retried batch (same insert
-- deduplication token) a no-op.
CREATE TABLE IF NOT EXISTS usage_events (
  id UUID,
  ts DateTime64(3, 'UTC'),
  consumer_id LowCardinality(String),
  plan_id LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  request_bytes UInt64,
  response_bytes UInt64,
  latency_ms Float32,
  upstream_latency_ms Float32,
  cached Bool,
  counted Bool,
  usage Map(LowCardinality(String), Float64),
  source LowCardinality(String) DEFAULT 'gateway',
  log_topic LowCardinality(String),
  log_partition UInt32,
  log_offset UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (consumer_id, ts, id)
SETTINGS non_replicated_deduplication_window = 1000;
