-- Raw events are kept 400 days after they were stored (a year of billing periods plus a month of
-- late corrections). The rollups and usage_offsets are separate tables that this TTL never
-- touches, so usage figures and the metering resume point outlive the raw rows. The TTL runs on
-- ingested_at rather than ts so that a late or replayed event is stored (and rolled up) like any
-- other instead of being dropped on arrival, and whole parts are dropped rather than rewritten.
-- To keep raw events for another length of time, run on the database (docs/usage.md):
--   ALTER TABLE usage_events MODIFY TTL toDateTime(ingested_at) + INTERVAL 730 DAY
-- Both statements below set the same values again when repeated.
ALTER TABLE usage_events MODIFY SETTING ttl_only_drop_parts = 1;

ALTER TABLE usage_events MODIFY TTL toDateTime(ingested_at) + INTERVAL 400 DAY;
