import { toClickHouseDateTime, toUsageEventRow } from './usage-event-row';

describe('toUsageEventRow', () => {
  it('maps every access-log field and the log position', () => {
    const row = toUsageEventRow(
      {
        id: '0190a6e4-3a1b-7c2d-8e9f-0123456789ab',
        ts: Date.parse('2026-11-28T10:11:12.345Z'),
        consumerId: 'cons_1',
        planId: 'plan_1',
        apiId: 'api_1',
        endpoint: 'GET /v1/orders/:id',
        method: 'GET',
        status: 200,
        requestBytes: 10,
        responseBytes: 20,
        latencyMs: 1.5,
        upstreamLatencyMs: 1.2,
        cached: false,
        counted: true,
        usage: { sms: 2 },
      },
      { topic: 't', partition: 3, offset: '9007199254740993' },
    );
    expect(row).toMatchObject({
      ts: '2026-11-28 10:11:12.345',
      consumer_id: 'cons_1',
      endpoint: 'GET /v1/orders/:id',
      counted: true,
      usage: { sms: 2 },
      log_partition: 3,
      log_offset: '9007199254740993',
      source: 'gateway',
    });
  });

  it('formats instants as UTC DateTime64(3) text', () => {
    expect(toClickHouseDateTime(0)).toBe('1970-01-01 00:00:00.000');
  });
});
