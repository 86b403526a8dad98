import { createHash } from 'node:crypto';
import { type AccessLogEvent } from '@tollgate/access-log';
import { z } from 'zod';

/**
 * Business events from the ingest API (`POST /api/events`, docs/ingest.md): CloudEvents 1.0 in the
 * structured JSON format, each mapped to one metered record on the ingest topic. Metering stores it
 * in `usage_events` like an access-log event, with the event's `type` as the row's `source`, which
 * is what a meter's `eventType` selects.
 */

/** Events in one batch request, at most. */
export const MAX_INGEST_BATCH = 1000;

/** How far ahead of the receiving clock an event's `time` may be (producers' clocks drift). */
export const MAX_INGEST_CLOCK_SKEW_MS = 5 * 60_000;

/** The `source` of rows from the gateway: no business event may take it. */
const GATEWAY_SOURCE = 'gateway';

/**
 * An event type: it becomes the row's `source`, so it follows metering's rules for a source name
 * (lower case, at most 63 characters), e.g. `sms.sent` or `invoice_paid`.
 */
export const ingestEventTypeSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_.-]{0,62}$/,
    'Must be 1 to 63 lower-case letters, digits, ".", "_" or "-", starting with a letter, e.g. "sms.sent"',
  )
  .refine((type) => type !== GATEWAY_SOURCE, {
    message: '"gateway" is reserved for requests through the gateway',
  });

/** A usage key of `data.usage`: the same names a meter's `valueKey` takes. */
const usageKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'Must be a usage key such as "sms" or "tokens.input"');

/** `data.usage`: business units of the event, key → finite non-negative amount. */
export const ingestUsageSchema = z
  .record(usageKeySchema, z.number().finite().nonnegative())
  .refine((usage) => Object.keys(usage).length <= 50, { message: 'At most 50 usage keys' });

/**
 * `data`: a JSON object. `data.usage` is the only part that is metered; other members are allowed
 * (the event can carry what the producer already sends) and are not stored.
 */
export const ingestDataSchema = z.looseObject({ usage: ingestUsageSchema.optional() });

/**
 * One CloudEvent (spec 1.0, JSON format). Extension attributes are accepted and ignored; binary data
 * (`data_base64`) is refused because nothing in it could be metered.
 */
export const ingestCloudEventSchema = z.looseObject({
  specversion: z.literal('1.0', { error: 'Must be "1.0"' }),
  /** Unique per `source`: (API, source, id) is the deduplication key. */
  id: z.string().min(1).max(256),
  /** The producer, a URI reference such as `/billing/sms` or `https://example.com/orders`. */
  source: z.string().min(1).max(512).regex(/^\S+$/, 'Must be a URI reference (no whitespace)'),
  type: ingestEventTypeSchema,
  /** The consumer: its Tollgate id (`cons_…`) or its `externalId`. */
  subject: z.string().min(1).max(200),
  /** When it happened, RFC 3339 with an offset; the time of receipt when absent. */
  time: z.iso.datetime({ offset: true, error: 'Must be an RFC 3339 timestamp with an offset' }).optional(),
  datacontenttype: z
    .string()
    .regex(/^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i, 'Must be a JSON media type')
    .optional(),
  dataschema: z.string().min(1).max(2048).optional(),
  data: ingestDataSchema.optional(),
  data_base64: z.never({ error: 'Binary data is not supported: send data as a JSON object' }).optional(),
});

export type IngestCloudEvent = z.output<typeof ingestCloudEventSchema>;

export interface IngestFieldError {
  /** Dotted path within the event, e.g. `time` or `data.usage.sms`. */
  field: string;
  message: string;
}

export type IngestEventValidation =
  { ok: true; event: IngestCloudEvent; tsMs: number } | { ok: false; errors: IngestFieldError[] };

export interface IngestTimeWindow {
  /** The receiving clock, epoch ms. */
  nowMs: number;
  /** Events older than this are refused (`INGEST_MAX_AGE_MS`). */
  maxAgeMs: number;
}

function fieldErrors(error: z.ZodError): IngestFieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(event)',
    message: issue.message,
  }));
}

/**
 * Checks one event (any JSON value) and resolves its timestamp: `time`, or the time of receipt.
 * Events older than `maxAgeMs` or more than 5 minutes ahead are refused on `time`.
 */
export function validateIngestEvent(value: unknown, window: IngestTimeWindow): IngestEventValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [{ field: '(event)', message: 'Must be a JSON object (a CloudEvent)' }] };
  }
  const parsed = ingestCloudEventSchema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const event = parsed.data;
  const tsMs = event.time === undefined ? window.nowMs : Date.parse(event.time);
  const timeIssue = eventTimeIssue(tsMs, window);
  if (timeIssue !== null) return { ok: false, errors: [{ field: 'time', message: timeIssue }] };
  return { ok: true, event, tsMs };
}

/** Why an event time is outside what is accepted, or null. */
export function eventTimeIssue(tsMs: number, window: IngestTimeWindow): string | null {
  if (!Number.isFinite(tsMs) || tsMs < 0) return 'Must be an instant after 1970-01-01T00:00:00Z';
  if (tsMs < window.nowMs - window.maxAgeMs) {
    return `Older than the accepted ${formatDuration(window.maxAgeMs)} (events older than that are refused)`;
  }
  if (tsMs > window.nowMs + MAX_INGEST_CLOCK_SKEW_MS) {
    return `More than ${formatDuration(MAX_INGEST_CLOCK_SKEW_MS)} in the future`;
  }
  return null;
}

function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}

const hex: string[] = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, '0'));

/**
 * A UUID determined by `parts`: the first 128 bits of SHA-256 over their JSON array form (so no two
 * lists of strings share an input), laid out as an RFC 9562 version 8 UUID (version nibble 8,
 * variant bits 10).
 */
export function deterministicUuid(parts: readonly string[]): string {
  const bytes = createHash('sha256').update(JSON.stringify(parts), 'utf8').digest();
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  let text = '';
  for (let index = 0; index < 16; index += 1) {
    if (index === 4 || index === 6 || index === 8 || index === 10) text += '-';
    text += hex[bytes[index]];
  }
  return text;
}

/**
 * The id of the metered record of a business event: the same (API, source, id) always gives the
 * same UUID, so a record produced twice can be recognised downstream.
 */
export function ingestRecordId(apiId: string, source: string, eventId: string): string {
  return deterministicUuid(['ingest', apiId, source, eventId]);
}

/** The counters key that marks (API, source, id) as ingested; hash-tagged by the record id. */
export function ingestDedupKey(recordId: string): string {
  return `ingest:{${recordId}}`;
}

/** What metering reads from the ingest topic: an access-log-shaped event whose `source` is its type. */
export type IngestedRecord = AccessLogEvent & { source: string };

/** Where the event was resolved to: the API of the ingest token, the consumer and its plan. */
export interface IngestContext {
  apiId: string;
  consumerId: string;
  planId: string;
}

/**
 * The metered record of a valid event. Request-only fields get neutral values: `endpoint` is the
 * event type, `method` is `EVENT`, `status` 200, sizes and latencies 0, and `counted` false
 * (`counted` is what the gateway charged against the request quota; business events are metered by
 * `eventType` meters, which do not read it).
 */
export function toIngestedRecord(
  event: IngestCloudEvent,
  tsMs: number,
  context: IngestContext,
): IngestedRecord {
  return {
    id: ingestRecordId(context.apiId, event.source, event.id),
    ts: tsMs,
    consumerId: context.consumerId,
    planId: context.planId,
    apiId: context.apiId,
    endpoint: event.type,
    method: 'EVENT',
    status: 200,
    requestBytes: 0,
    responseBytes: 0,
    latencyMs: 0,
    upstreamLatencyMs: 0,
    cached: false,
    counted: false,
    usage: { ...(event.data?.usage ?? {}) },
    source: event.type,
  };
}
