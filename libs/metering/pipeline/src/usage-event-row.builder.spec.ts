import { toClickHouseDateTime, toUsageEventRow } from '@tollgate/metering-domain';
import fc from 'fast-check';
import { type MeteredEvent } from './metered-event.parser';
import { buildUsageEventRow, clickHouseDateTime } from './usage-event-row.builder';

const lastStorable = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

describe('clickHouseDateTime', () => {
  it('formats like toClickHouseDateTime for every accepted ts, in any order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: lastStorable }),
            fc.integer({ min: 1_764_300_000_000, max: 1_764_300_005_000 }),
            fc.constantFrom(0, 1, 999, 1000, 1001, 59_999, 60_000, lastStorable),
          ),
          { minLength: 1, maxLength: 20 },
        ),
        (timestamps) => {
          for (const ts of timestamps) expect(clickHouseDateTime(ts)).toBe(toClickHouseDateTime(ts));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('buildUsageEventRow', () => {
  it('builds the same row as toUsageEventRow', () => {
    const event = fc.record({
      id: fc.uuid(),
      ts: fc.integer({ min: 0, max: lastStorable }),
      consumerId: fc.string({ minLength: 1 }),
      planId: fc.string({ minLength: 1 }),
      apiId: fc.string({ minLength: 1 }),
      endpoint: fc.string({ minLength: 1 }),
      method: fc.string({ minLength: 1 }),
      status: fc.integer({ min: 100, max: 599 }),
      requestBytes: fc.nat(),
      responseBytes: fc.nat(),
      latencyMs: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      upstreamLatencyMs: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      cached: fc.boolean(),
      counted: fc.boolean(),
      usage: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fc.nat()),
    });
    fc.assert(
      fc.property(
        event,
        fc.nat({ max: 63 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        fc.constantFrom('gateway', 'ingest'),
        (value, partition, offset, source) => {
          const record = {
            topic: 'tollgate.access-log.v1',
            partition,
            offset: offset.toString(),
            key: value.consumerId,
            value: '',
            headers: {},
            timestamp: 0,
          };
          const position = { topic: record.topic, partition, offset: record.offset };
          expect(buildUsageEventRow(value as MeteredEvent, record, source)).toEqual(
            toUsageEventRow(value, position, source),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
