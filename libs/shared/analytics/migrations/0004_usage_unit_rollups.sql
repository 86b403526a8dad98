-- Business-unit rollups (Tollgate-Usage keys) by minute, hour and day (UTC buckets), one row per
-- consumer × usage key × api × endpoint × method × status × counted × source and bucket. Each row
-- keeps what every meter aggregation needs, so a period's value never scans raw events:
--   events         rows that reported the key              (sum)
--   amount_sum     sum of the reported amounts              (sum meters)
--   amount_max     largest amount                           (max meters)
--   amount_latest  argMax state by (ts, id)                 (latest meters)
--   amount_unique  uniqExact state of the amounts           (unique_count meters)
-- Deduplication and backfill work as in 0003.

CREATE TABLE IF NOT EXISTS usage_units_minute (
  bucket DateTime('UTC'),
  consumer_id LowCardinality(String),
  usage_key LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  counted Bool,
  source LowCardinality(String),
  events SimpleAggregateFunction(sum, UInt64),
  amount_sum SimpleAggregateFunction(sum, Float64),
  amount_max SimpleAggregateFunction(max, Float64),
  amount_latest AggregateFunction(argMax, Float64, Tuple(DateTime64(3, 'UTC'), UUID)),
  amount_unique AggregateFunction(uniqExact, Float64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (consumer_id, usage_key, bucket, api_id, endpoint, method, status, counted, source)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS usage_units_hour (
  bucket DateTime('UTC'),
  consumer_id LowCardinality(String),
  usage_key LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  counted Bool,
  source LowCardinality(String),
  events SimpleAggregateFunction(sum, UInt64),
  amount_sum SimpleAggregateFunction(sum, Float64),
  amount_max SimpleAggregateFunction(max, Float64),
  amount_latest AggregateFunction(argMax, Float64, Tuple(DateTime64(3, 'UTC'), UUID)),
  amount_unique AggregateFunction(uniqExact, Float64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (consumer_id, usage_key, bucket, api_id, endpoint, method, status, counted, source)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS usage_units_day (
  bucket DateTime('UTC'),
  consumer_id LowCardinality(String),
  usage_key LowCardinality(String),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  counted Bool,
  source LowCardinality(String),
  events SimpleAggregateFunction(sum, UInt64),
  amount_sum SimpleAggregateFunction(sum, Float64),
  amount_max SimpleAggregateFunction(max, Float64),
  amount_latest AggregateFunction(argMax, Float64, Tuple(DateTime64(3, 'UTC'), UUID)),
  amount_unique AggregateFunction(uniqExact, Float64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (consumer_id, usage_key, bucket, api_id, endpoint, method, status, counted, source)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_units_minute_mv TO {database}.usage_units_minute AS
SELECT
  toStartOfMinute(ts) AS bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source,
  count() AS events, sum(amount) AS amount_sum, max(amount) AS amount_max,
  argMaxState(amount, (ts, id)) AS amount_latest, uniqExactState(amount) AS amount_unique
FROM {database}.usage_events
ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount
GROUP BY bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_units_hour_mv TO {database}.usage_units_hour AS
SELECT
  toStartOfHour(ts) AS bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source,
  count() AS events, sum(amount) AS amount_sum, max(amount) AS amount_max,
  argMaxState(amount, (ts, id)) AS amount_latest, uniqExactState(amount) AS amount_unique
FROM {database}.usage_events
ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount
GROUP BY bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_units_day_mv TO {database}.usage_units_day AS
SELECT
  toStartOfDay(ts) AS bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source,
  count() AS events, sum(amount) AS amount_sum, max(amount) AS amount_max,
  argMaxState(amount, (ts, id)) AS amount_latest, uniqExactState(amount) AS amount_unique
FROM {database}.usage_events
ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount
GROUP BY bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source;

-- Rows stored before the views existed; only into an empty rollup (see 0003).
INSERT INTO usage_units_minute
SELECT
  toStartOfMinute(ts) AS bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source,
  count() AS events, sum(amount) AS amount_sum, max(amount) AS amount_max,
  argMaxState(amount, (ts, id)) AS amount_latest, uniqExactState(amount) AS amount_unique
FROM usage_events
ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount
WHERE (SELECT count() FROM usage_units_minute) = 0
GROUP BY bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source;

INSERT INTO usage_units_hour
SELECT
  toStartOfHour(ts) AS bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source,
  count() AS events, sum(amount) AS amount_sum, max(amount) AS amount_max,
  argMaxState(amount, (ts, id)) AS amount_latest, uniqExactState(amount) AS amount_unique
FROM usage_events
ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount
WHERE (SELECT count() FROM usage_units_hour) = 0
GROUP BY bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source;

INSERT INTO usage_units_day
SELECT
  toStartOfDay(ts) AS bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source,
  count() AS events, sum(amount) AS amount_sum, max(amount) AS amount_max,
  argMaxState(amount, (ts, id)) AS amount_latest, uniqExactState(amount) AS amount_unique
FROM usage_events
ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount
WHERE (SELECT count() FROM usage_units_day) = 0
GROUP BY bucket, consumer_id, usage_key, api_id, endpoint, method, status, counted, source;
