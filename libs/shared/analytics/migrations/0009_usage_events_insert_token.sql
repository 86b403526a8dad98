-- The deduplication token of the insert that stored each row. Materialized views write their
-- rollups after the raw block, as separate parts, so a metering process killed between the two
-- leaves the raw rows in and a rollup without them; resuming from the stored offsets would never
-- send them again. With the token on the rows, metering re-sends the last insert of every partition
-- it is assigned with the same token (docs/metering.md): usage_events drops it as a duplicate and
-- each rollup gets the block exactly once (deduplicate_blocks_in_dependent_materialized_views).
ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS insert_token String DEFAULT '' CODEC(ZSTD(1));
