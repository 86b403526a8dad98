-- Usage reconciliation (docs/analytics.md): every run compares, per consumer and current billing
-- period, the gateway's quota counter with the quota units metered into usage_events, and stores
-- one row per consumer here plus one summary row per run (a run with no consumer still has its
-- summary, so "the latest run" is always defined). Rows of one run are inserted with the run id as
-- the deduplication token, so a retried insert stores them once. Kept 400 days.

CREATE TABLE IF NOT EXISTS usage_reconciliation (
  run_id UUID,
  run_at DateTime64(3, 'UTC'),
  consumer_id LowCardinality(String),
  plan_id LowCardinality(String),
  period_start DateTime64(3, 'UTC'),
  period_end DateTime64(3, 'UTC'),
  -- The gateway's counter and the metered units, both read as of the same instant.
  gateway_count Int64,
  metered_count Int64,
  -- gateway_count - metered_count; non-zero only when it persisted through the recheck.
  drift Int64,
  -- 1: the first comparison agreed; 2: it did not, and these figures are from the recheck.
  checks UInt8
) ENGINE = MergeTree
PARTITION BY toYYYYMM(run_at)
ORDER BY (run_at, run_id, consumer_id)
TTL toDateTime(run_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 100, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS usage_reconciliation_runs (
  run_id UUID,
  run_at DateTime64(3, 'UTC'),
  finished_at DateTime64(3, 'UTC'),
  consumers UInt32,
  drifting UInt32,
  -- Sum of |drift| over the run's consumers.
  drift_units UInt64,
  -- Consumers of the snapshot the gateway cannot place in a period either (bad anchor or zone).
  skipped UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMM(run_at)
ORDER BY (run_at, run_id)
TTL toDateTime(run_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 100, ttl_only_drop_parts = 1;
