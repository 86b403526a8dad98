import { type AccessLogEvent, accessLogEventSchema } from '@tollgate/access-log';
import { z } from 'zod';

/** Name of the system an event came from (`gateway`, `ingest`, an integration's name). */
const SOURCE = /^[a-z][a-z0-9_.-]{0,62}$/;

/**
 * What metering accepts from its topics: an access-log event, optionally naming its `source`.
 * Business events from the ingest topic have the same shape. The reference definition: the hand
 * written `parseMeteredEvent` below must accept exactly what this schema accepts (property-tested).
 */
export const meteredEventSchema = accessLogEventSchema.extend({
  source: z.string().regex(SOURCE).optional(),
});

export type MeteredEvent = AccessLogEvent & { source?: string };

// The same rules as the zod schemas, in plain code: zod costs about 3 µs per event, which is a
// third of what metering spends on an event besides the insert.
const UUID =
  /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/;
const USAGE_NAME = /^[a-z*][a-z0-9_\-.*]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isUsage(value: unknown): value is Record<string, number> {
  if (!isRecord(value)) return false;
  for (const name in value) {
    // zod skips a `__proto__` key in records (parseMeteredEvent drops it), and so does this.
    if (!Object.prototype.hasOwnProperty.call(value, name) || name === '__proto__') continue;
    if (!USAGE_NAME.test(name) || !isAmount(value[name])) return false;
  }
  return true;
}

/** True when `value` (a JSON.parse result) is a metered event by the rules of `meteredEventSchema`. */
export function isMeteredEvent(value: unknown): value is MeteredEvent {
  if (!isRecord(value)) return false;
  const { status, overage, source } = value;
  return (
    typeof value['id'] === 'string' &&
    UUID.test(value['id']) &&
    isCount(value['ts']) &&
    isText(value['consumerId']) &&
    isText(value['planId']) &&
    isText(value['apiId']) &&
    isText(value['endpoint']) &&
    isText(value['method']) &&
    typeof status === 'number' &&
    Number.isSafeInteger(status) &&
    status >= 100 &&
    status <= 599 &&
    isCount(value['requestBytes']) &&
    isCount(value['responseBytes']) &&
    isAmount(value['latencyMs']) &&
    isAmount(value['upstreamLatencyMs']) &&
    typeof value['cached'] === 'boolean' &&
    typeof value['counted'] === 'boolean' &&
    (overage === undefined || typeof overage === 'boolean') &&
    isUsage(value['usage']) &&
    (source === undefined || (typeof source === 'string' && SOURCE.test(source)))
  );
}

/** Parses a record value; null when it is not JSON or not a metered event. */
export function parseMeteredEvent(text: string): MeteredEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isMeteredEvent(value)) return null;
  // As zod's output would: a `__proto__` usage name is not a unit, and must not reach ClickHouse.
  if (Object.prototype.hasOwnProperty.call(value.usage, '__proto__')) {
    value.usage = Object.fromEntries(Object.entries(value.usage).filter(([name]) => name !== '__proto__'));
  }
  return value;
}

/** The last instant a ClickHouse DateTime64 holds (2299-12-31 23:59:59.999 UTC). */
const LAST_STORABLE_TS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
/** Matches a lone surrogate: with the `u` flag a well-formed pair is one code point, not two. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why ClickHouse would refuse this (schema-valid) event, or null. Metering rejects such events
 * instead of inserting them: an insert ClickHouse refuses is retried, and would hold its partition.
 */
export function unstorableReason(event: MeteredEvent): string | null {
  if (event.ts > LAST_STORABLE_TS) return 'ts is after 2299-12-31, the end of ClickHouse DateTime64';
  // JSON allows lone surrogates ("\ud800"); ClickHouse's JSON parser refuses them.
  for (const field of ['consumerId', 'planId', 'apiId', 'endpoint', 'method'] as const) {
    if (LONE_SURROGATE.test(event[field])) return `${field} is not well-formed Unicode (a lone surrogate)`;
  }
  return null;
}

/** Why a record value was refused, for the log (slow path: zod's issues, only for rejects). */
export function describeRejection(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [{ message: `not JSON: ${(error as Error).message}` }];
  }
  return meteredEventSchema.safeParse(value).error?.issues.slice(0, 5) ?? [];
}
