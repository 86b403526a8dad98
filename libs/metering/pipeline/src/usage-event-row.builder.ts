import { type UsageEventRow } from '@tollgate/metering-domain';
import { type LogRecord } from '@tollgate/ports';
import { type MeteredEvent } from './metered-event.parser';

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * `toClickHouseDateTime` (metering-domain) for the hot path: the `YYYY-MM-DD hh:mm:ss` part is
 * formatted once per second instead of once per event (Date + toISOString + two replaces cost
 * about 6 % of metering's CPU). Same output for every ts metering accepts (0 to year 2299).
 */
export function clickHouseDateTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19).replace('T', ' ');
    cachedSecond = second;
  }
  const millis = epochMs - second * 1000;
  return `${cachedPrefix}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`;
}

/** `toUsageEventRow` (metering-domain) with the faster timestamp; the unit test keeps them equal. */
export function buildUsageEventRow(event: MeteredEvent, record: LogRecord, source: string): UsageEventRow {
  return {
    id: event.id,
    ts: clickHouseDateTime(event.ts),
    consumer_id: event.consumerId,
    plan_id: event.planId,
    api_id: event.apiId,
    endpoint: event.endpoint,
    method: event.method,
    status: event.status,
    request_bytes: event.requestBytes,
    response_bytes: event.responseBytes,
    latency_ms: event.latencyMs,
    upstream_latency_ms: event.upstreamLatencyMs,
    cached: event.cached,
    counted: event.counted,
    usage: event.usage,
    source,
    log_topic: record.topic,
    log_partition: record.partition,
    log_offset: record.offset,
  };
}
