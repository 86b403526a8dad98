-- Corrections for late events (docs/ingest.md): an event stored in usage_events more than the
-- grace (LATE_EVENT_GRACE_MS) after its own timestamp also gets one row here, so billing can adjust
-- a window it already reported instead of reporting it again. The id is derived from the event id
-- and the reason, and rows of one event share the sorting key, so a replayed event collapses into
-- one row (ReplacingMergeTree; read with FINAL, or group by event_id). Kept 400 days after they
-- were stored, like usage_events.

CREATE TABLE IF NOT EXISTS usage_corrections (
  id UUID,
  event_id UUID,
  consumer_id LowCardinality(String),
  plan_id LowCardinality(String),
  api_id LowCardinality(String),
  -- 'gateway', or the type of a business event (what a meter's eventType selects).
  source LowCardinality(String),
  endpoint LowCardinality(String),
  counted Bool,
  -- The event's own timestamp: the window the correction belongs to.
  ts DateTime64(3, 'UTC'),
  ingested_at DateTime64(3, 'UTC'),
  delay_ms UInt64,
  requests UInt32,
  units Map(LowCardinality(String), Float64),
  reason LowCardinality(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (consumer_id, ts, event_id, reason)
TTL toDateTime(ingested_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;
