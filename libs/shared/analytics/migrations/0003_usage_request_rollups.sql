-- Request rollups by minute, hour and day (UTC buckets), one row per
-- consumer × api × endpoint × method × status × counted × source and bucket, kept by materialized
-- views on usage_events. Usage reads add the rollups of the whole buckets in a range and read raw
-- rows only for the sub-minute edges of a range (docs/usage.md).
--
-- Exactly once: usage_events never receives the same row twice (metering resumes from the stored
-- offsets) and a retried batch carries the same insert deduplication token. The store sends
-- deduplicate_blocks_in_dependent_materialized_views = 1 with every statement, so the views'
-- inserts are deduplicated against each rollup's own window too: a retry whose raw insert had
-- landed but whose view insert had not fills the rollup once, and a second retry adds nothing.

CREATE TABLE IF NOT EXISTS usage_requests_minute (
  bucket DateTime('UTC'),
  consumer_id LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  counted Bool,
  source LowCardinality(String),
  requests UInt64,
  request_bytes UInt64,
  response_bytes UInt64
) ENGINE = SummingMergeTree((requests, request_bytes, response_bytes))
PARTITION BY toYYYYMM(bucket)
ORDER BY (consumer_id, bucket, api_id, endpoint, method, status, counted, source)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS usage_requests_hour (
  bucket DateTime('UTC'),
  consumer_id LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  counted Bool,
  source LowCardinality(String),
  requests UInt64,
  request_bytes UInt64,
  response_bytes UInt64
) ENGINE = SummingMergeTree((requests, request_bytes, response_bytes))
PARTITION BY toYYYYMM(bucket)
ORDER BY (consumer_id, bucket, api_id, endpoint, method, status, counted, source)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS usage_requests_day (
  bucket DateTime('UTC'),
  consumer_id LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  counted Bool,
  source LowCardinality(String),
  requests UInt64,
  request_bytes UInt64,
  response_bytes UInt64
) ENGINE = SummingMergeTree((requests, request_bytes, response_bytes))
PARTITION BY toYYYYMM(bucket)
ORDER BY (consumer_id, bucket, api_id, endpoint, method, status, counted, source)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_requests_minute_mv TO {database}.usage_requests_minute AS
SELECT
  toStartOfMinute(ts) AS bucket, consumer_id, api_id, endpoint, method, status, counted, source,
  count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {database}.usage_events
GROUP BY bucket, consumer_id, api_id, endpoint, method, status, counted, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_requests_hour_mv TO {database}.usage_requests_hour AS
SELECT
  toStartOfHour(ts) AS bucket, consumer_id, api_id, endpoint, method, status, counted, source,
  count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {database}.usage_events
GROUP BY bucket, consumer_id, api_id, endpoint, method, status, counted, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_requests_day_mv TO {database}.usage_requests_day AS
SELECT
  toStartOfDay(ts) AS bucket, consumer_id, api_id, endpoint, method, status, counted, source,
  count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM {database}.usage_events
GROUP BY bucket, consumer_id, api_id, endpoint, method, status, counted, source;

-- Rows stored before the views existed. Only into an empty rollup, so running this file again
-- (ClickHouse DDL is not transactional: a failed file is re-run from the top) never doubles a
-- bucket. Apply with metering stopped, as the apps do (they migrate before they consume): rows
-- that arrive between a view's creation and its backfill would make the rollup non-empty and
-- skip the backfill; docs/usage.md says how to rebuild a rollup.
INSERT INTO usage_requests_minute
SELECT
  toStartOfMinute(ts) AS bucket, consumer_id, api_id, endpoint, method, status, counted, source,
  count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM usage_events
WHERE (SELECT count() FROM usage_requests_minute) = 0
GROUP BY bucket, consumer_id, api_id, endpoint, method, status, counted, source;

INSERT INTO usage_requests_hour
SELECT
  toStartOfHour(ts) AS bucket, consumer_id, api_id, endpoint, method, status, counted, source,
  count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM usage_events
WHERE (SELECT count() FROM usage_requests_hour) = 0
GROUP BY bucket, consumer_id, api_id, endpoint, method, status, counted, source;

INSERT INTO usage_requests_day
SELECT
  toStartOfDay(ts) AS bucket, consumer_id, api_id, endpoint, method, status, counted, source,
  count() AS requests, sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes
FROM usage_events
WHERE (SELECT count() FROM usage_requests_day) = 0
GROUP BY bucket, consumer_id, api_id, endpoint, method, status, counted, source;
