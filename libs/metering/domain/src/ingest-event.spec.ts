import { createHash } from 'node:crypto';
import { accessLogEventSchema } from '@tollgate/access-log';
import {
  deterministicUuid,
  eventTimeIssue,
  ingestDedupKey,
  ingestRecordId,
  MAX_INGEST_CLOCK_SKEW_MS,
  toIngestedRecord,
  validateIngestEvent,
} from './ingest-event';

const now = Date.parse('2026-11-28T10:00:00.000Z');
const day = 86_400_000;
const window = { nowMs: now, maxAgeMs: 35 * day };

const valid = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/billing/sms',
  type: 'sms.sent',
  subject: 'cons_1',
  time: '2026-11-28T09:30:00.250Z',
  data: { usage: { parts: 2 }, to: '+15550100' },
};

function fieldsOf(value: unknown): string[] {
  const result = validateIngestEvent(value, window);
  return result.ok ? [] : result.errors.map((error) => error.field);
}

describe('validateIngestEvent', () => {
  it('accepts a CloudEvent and resolves its time to epoch ms', () => {
    const result = validateIngestEvent(valid, window);
    expect(result).toMatchObject({ ok: true, tsMs: Date.parse('2026-11-28T09:30:00.250Z') });
  });

  it('takes the time of receipt when the event has no time, and honours offsets', () => {
    const { time: _time, ...untimed } = valid;
    expect(validateIngestEvent(untimed, window)).toMatchObject({ ok: true, tsMs: now });
    expect(validateIngestEvent({ ...valid, time: '2026-11-28T11:15:00+02:00' }, window)).toMatchObject({
      ok: true,
      tsMs: Date.parse('2026-11-28T09:15:00Z'),
    });
  });

  it('accepts extension attributes and data without usage', () => {
    expect(fieldsOf({ ...valid, traceparent: '00-abc', data: { order: 42 } })).toEqual([]);
    const { data: _data, ...bare } = valid;
    expect(fieldsOf(bare)).toEqual([]);
  });

  it.each([
    [{ ...valid, specversion: '0.3' }, 'specversion'],
    [{ ...valid, id: '' }, 'id'],
    [{ ...valid, source: 'has space' }, 'source'],
    [{ ...valid, type: 'SMS Sent' }, 'type'],
    [{ ...valid, type: 'gateway' }, 'type'],
    [{ ...valid, subject: undefined }, 'subject'],
    [{ ...valid, time: 'yesterday' }, 'time'],
    [{ ...valid, time: '2026-11-28T09:30:00' }, 'time'],
    [{ ...valid, time: '2026-02-30T09:30:00Z' }, 'time'],
    [{ ...valid, data: 'text' }, 'data'],
    [{ ...valid, data: { usage: { parts: -1 } } }, 'data.usage.parts'],
    [{ ...valid, data: { usage: { Parts: 1 } } }, 'data.usage.Parts'],
    [{ ...valid, data: { usage: { parts: '2' } } }, 'data.usage.parts'],
    [{ ...valid, datacontenttype: 'text/plain' }, 'datacontenttype'],
    [{ ...valid, data_base64: 'AAAA' }, 'data_base64'],
  ])('names the invalid field of %j: %s', (event, field) => {
    expect(fieldsOf(event)).toEqual([field]);
  });

  it('names every invalid field at once', () => {
    expect(fieldsOf({ specversion: '1.0', id: 'x', source: '/s' })).toEqual(['type', 'subject']);
  });

  it('refuses what is not an object', () => {
    for (const value of [null, 3, 'event', [valid]]) expect(fieldsOf(value)).toEqual(['(event)']);
  });

  it('refuses more than 50 usage keys', () => {
    const usage = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 1]));
    expect(fieldsOf({ ...valid, data: { usage } })).toEqual(['data.usage']);
  });

  it('accepts events up to the maximum age and a few minutes ahead, and refuses the rest on time', () => {
    const at = (ms: number) => ({ ...valid, time: new Date(ms).toISOString() });
    expect(fieldsOf(at(now - 35 * day))).toEqual([]);
    expect(fieldsOf(at(now + MAX_INGEST_CLOCK_SKEW_MS))).toEqual([]);
    const old = validateIngestEvent(at(now - 35 * day - 1), window);
    expect(old).toEqual({
      ok: false,
      errors: [{ field: 'time', message: expect.stringContaining('Older than the accepted 35 days') }],
    });
    expect(fieldsOf(at(now + MAX_INGEST_CLOCK_SKEW_MS + 1))).toEqual(['time']);
    expect(eventTimeIssue(now - 90_000, { nowMs: now, maxAgeMs: 60_000 })).toContain('1 minute');
    expect(eventTimeIssue(now - 1500, { nowMs: now, maxAgeMs: 1001 })).toContain('1001 ms');
  });
});

describe('deterministicUuid', () => {
  it('is an RFC 9562 version 8 UUID made of the first 128 bits of SHA-256 over the JSON parts', () => {
    const id = deterministicUuid(['a', 'b']);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const digest = createHash('sha256').update('["a","b"]').digest('hex');
    const hex = id.replace(/-/g, '');
    // Every bit but the version nibble and the two variant bits comes from the digest.
    expect(hex.slice(0, 12)).toBe(digest.slice(0, 12));
    expect(hex.slice(13, 16)).toBe(digest.slice(13, 16));
    expect(parseInt(hex[16], 16) & 0x3).toBe(parseInt(digest[16], 16) & 0x3);
    expect(hex.slice(17, 32)).toBe(digest.slice(17, 32));
  });

  it('is the same for the same parts and differs when any part or their split differs', () => {
    expect(deterministicUuid(['a', 'b'])).toBe(deterministicUuid(['a', 'b']));
    const ids = new Set(
      [['a', 'b'], ['a', 'c'], ['ab', ''], ['a', 'b', ''], ['a\u0000b'], ['b', 'a']].map(deterministicUuid),
    );
    expect(ids.size).toBe(6);
  });
});

describe('ingestRecordId and the dedup key', () => {
  it('depend on the API, the source and the id, and nothing else', () => {
    const id = ingestRecordId('api_1', '/billing/sms', 'evt-1');
    expect(ingestRecordId('api_1', '/billing/sms', 'evt-1')).toBe(id);
    expect(ingestRecordId('api_2', '/billing/sms', 'evt-1')).not.toBe(id);
    expect(ingestRecordId('api_1', '/billing/mms', 'evt-1')).not.toBe(id);
    expect(ingestRecordId('api_1', '/billing/sms', 'evt-2')).not.toBe(id);
    // Fixed value: a change of the derivation would re-admit every event already ingested.
    expect(id).toBe(deterministicUuid(['ingest', 'api_1', '/billing/sms', 'evt-1']));
    expect(ingestDedupKey(id)).toBe(`ingest:{${id}}`);
  });
});

describe('toIngestedRecord', () => {
  it('maps an event to a record metering accepts, with the type as its source', () => {
    const result = validateIngestEvent(valid, window);
    if (!result.ok) throw new Error('expected a valid event');
    const record = toIngestedRecord(result.event, result.tsMs, {
      apiId: 'api_1',
      consumerId: 'cons_1',
      planId: 'plan_1',
    });
    expect(record).toEqual({
      id: ingestRecordId('api_1', '/billing/sms', 'evt-1'),
      ts: Date.parse('2026-11-28T09:30:00.250Z'),
      consumerId: 'cons_1',
      planId: 'plan_1',
      apiId: 'api_1',
      endpoint: 'sms.sent',
      method: 'EVENT',
      status: 200,
      requestBytes: 0,
      responseBytes: 0,
      latencyMs: 0,
      upstreamLatencyMs: 0,
      cached: false,
      counted: false,
      usage: { parts: 2 },
      source: 'sms.sent',
    });
    expect(accessLogEventSchema.safeParse(record).success).toBe(true);
  });

  it('gives an event without usage an empty usage map', () => {
    const { data: _data, ...bare } = valid;
    const result = validateIngestEvent(bare, window);
    if (!result.ok) throw new Error('expected a valid event');
    expect(
      toIngestedRecord(result.event, result.tsMs, { apiId: 'a', consumerId: 'c', planId: 'p' }).usage,
    ).toEqual({});
  });
});
