import { type AccessLogEvent } from '@tollgate/access-log';

/** A row of ClickHouse `usage_events`, as written by the metering pipeline. */
export interface UsageEventRow {
  id: string;
  /** `YYYY-MM-DD hh:mm:ss.sss` in UTC: the DateTime64(3, 'UTC') text form both chDB and a server accept. */
  ts: string;
  consumer_id: string;
  plan_id: string;
  api_id: string;
  endpoint: string;
  method: string;
  status: number;
  request_bytes: number;
  response_bytes: number;
  latency_ms: number;
  upstream_latency_ms: number;
  cached: boolean;
  counted: boolean;
  usage: Record<string, number>;
  source: string;
  log_topic: string;
  log_partition: number;
  /** Decimal string: offsets are 64-bit. */
  log_offset: string;
  /** Deduplication token of the insert that stored the row (set by the metering processor). */
  insert_token?: string;
}

export interface LogPosition {
  topic: string;
  partition: number;
  offset: string;
}

export function toClickHouseDateTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

export function toUsageEventRow(
  event: AccessLogEvent,
  position: LogPosition,
  source = 'gateway',
): UsageEventRow {
  return {
    id: event.id,
    ts: toClickHouseDateTime(event.ts),
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
    log_topic: position.topic,
    log_partition: position.partition,
    log_offset: position.offset,
  };
}
