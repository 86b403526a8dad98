-- Gateway latency per API endpoint and UTC hour, as t-digest states, kept by a materialized view on
-- usage_events: the admin endpoint analytics read p50/p90/p99 of any range of whole hours with
-- quantilesTDigestMerge(0.5, 0.9, 0.99)(latency_ms) instead of scanning raw events. Estimates
-- (a t-digest is approximate, within a few percent at the median and better at the tails).
-- Only gateway rows: business events carry no latency. Deduplication works as in 0003.

CREATE TABLE IF NOT EXISTS usage_latency_hour (
  bucket DateTime('UTC'),
  api_id LowCardinality(String),
  endpoint LowCardinality(String),
  latency_ms AggregateFunction(quantilesTDigest(0.5, 0.9, 0.99), Float32)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, api_id, endpoint)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_latency_hour_mv TO {database}.usage_latency_hour AS
SELECT
  toStartOfHour(ts) AS bucket, api_id, endpoint,
  quantilesTDigestState(0.5, 0.9, 0.99)(latency_ms) AS latency_ms
FROM {database}.usage_events
WHERE source = 'gateway'
GROUP BY bucket, api_id, endpoint;

-- Rows stored before the view existed; only into an empty rollup (see 0003).
INSERT INTO usage_latency_hour
SELECT
  toStartOfHour(ts) AS bucket, api_id, endpoint,
  quantilesTDigestState(0.5, 0.9, 0.99)(latency_ms) AS latency_ms
FROM usage_events
WHERE source = 'gateway' AND (SELECT count() FROM usage_latency_hour) = 0
GROUP BY bucket, api_id, endpoint;
