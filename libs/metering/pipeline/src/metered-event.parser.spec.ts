import fc from 'fast-check';
import { isMeteredEvent, meteredEventSchema, parseMeteredEvent } from './metered-event.parser';

const validEvent = {
  id: '0190a8d4-7e2f-7b3c-8a1d-3c4e5f607182',
  ts: 1_764_300_000_000,
  consumerId: 'cons_1',
  planId: 'plan_1',
  apiId: 'api_1',
  endpoint: 'GET /v1/orders/:id',
  method: 'GET',
  status: 200,
  requestBytes: 120,
  responseBytes: 2048,
  latencyMs: 3.25,
  upstreamLatencyMs: 2.5,
  cached: false,
  counted: true,
  usage: { sms: 1, txn_value: 12550 },
};

const oddValues = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    '',
    'x',
    0,
    -0,
    -1,
    1.5,
    99,
    100,
    599,
    600,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    1e308,
    -1e-9,
    [],
    {},
  ),
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.uuid(),
  fc.jsonValue({ maxDepth: 2 }),
);

const uuidLike = fc.oneof(
  fc.uuid(),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '0190a8d4-7e2f-0b3c-8a1d-3c4e5f607182',
    '0190a8d4-7e2f-9b3c-8a1d-3c4e5f607182',
    '0190a8d4-7e2f-7b3c-ca1d-3c4e5f607182',
    '0190a8d4-7e2f-7b3c-8a1d-3c4e5f60718',
    '0190a8d47e2f7b3c8a1d3c4e5f607182',
    '{0190a8d4-7e2f-7b3c-8a1d-3c4e5f607182}',
  ),
  fc.stringMatching(/^[0-9a-fA-F-]{36}$/),
);

const usageName = fc.oneof(
  fc.stringMatching(/^[a-z*][a-z0-9_\-.*]{0,8}$/),
  fc.constantFrom('', 'SMS', '1x', '_x', 'a b', '__proto__', 'constructor', 'sms!', 'é'),
  fc.string({ maxLength: 6 }),
);
const usage = fc.oneof(
  fc.dictionary(
    usageName,
    fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.nat(), oddValues),
    {
      maxKeys: 4,
    },
  ),
  oddValues,
);
const source = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_.-]{0,70}$/),
  fc.constantFrom('gateway', 'ingest', '', 'Ingest', '9lives', 'a'.repeat(63), 'a'.repeat(64)),
  oddValues,
);

/** Usually a valid value, sometimes one near the edge of the rules. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: edge });

const plausible = fc.record({
  id: mostly(fc.uuid(), uuidLike),
  ts: mostly(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 })),
  consumerId: mostly(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 1 })),
  planId: mostly(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 1 })),
  apiId: mostly(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 1 })),
  endpoint: mostly(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 1 })),
  method: mostly(fc.constantFrom('GET', 'POST', 'DELETE'), fc.string({ maxLength: 1 })),
  status: mostly(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 90, max: 610 })),
  requestBytes: mostly(fc.nat(), fc.integer()),
  responseBytes: mostly(fc.nat(), fc.integer()),
  latencyMs: mostly(
    fc.double({ noNaN: true, noDefaultInfinity: true, min: 0, max: 1e6 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1, max: 1 }),
  ),
  upstreamLatencyMs: mostly(
    fc.double({ noNaN: true, noDefaultInfinity: true, min: 0, max: 1e6 }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1, max: 1 }),
  ),
  cached: fc.boolean(),
  counted: fc.boolean(),
  overage: mostly(fc.oneof(fc.constant(undefined), fc.boolean()), oddValues),
  usage: mostly(
    fc.dictionary(fc.stringMatching(/^[a-z*][a-z0-9_\-.*]{0,8}$/), fc.nat(), { maxKeys: 3 }),
    usage,
  ),
  source: mostly(
    fc.oneof(fc.constant(undefined), fc.constantFrom('gateway', 'ingest', 'crm.import')),
    source,
  ),
});

const fieldNames = [...Object.keys(validEvent), 'overage', 'source', 'extra'];

/** Mostly plausible events, with up to two fields replaced by odd values or removed. */
const candidate = fc
  .tuple(
    plausible,
    fc.array(fc.tuple(fc.constantFrom(...fieldNames), fc.oneof(oddValues, fc.constant(undefined))), {
      maxLength: 2,
    }),
  )
  .map(([fields, changes]) => {
    const event: Record<string, unknown> = { ...fields };
    for (const [name, value] of changes) event[name] = value;
    return event;
  });

/** What metering actually receives: the parse of a JSON text (no undefined, no -0 distinctions lost). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

describe('isMeteredEvent', () => {
  it('accepts exactly what the zod schema accepts (events near the schema)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(candidate, (raw) => {
        const value = asJson(raw);
        const expected = meteredEventSchema.safeParse(value).success;
        if (expected) accepted += 1;
        else refused += 1;
        expect(isMeteredEvent(value)).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });

  it('accepts exactly what the zod schema accepts (any JSON value)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        expect(isMeteredEvent(value)).toBe(meteredEventSchema.safeParse(value).success);
      }),
      { numRuns: 5_000 },
    );
  });

  it('accepts a gateway event and an ingest event with a source', () => {
    expect(isMeteredEvent(validEvent)).toBe(true);
    expect(isMeteredEvent({ ...validEvent, source: 'billing-import', overage: true })).toBe(true);
    expect(isMeteredEvent({ ...validEvent, usage: {} })).toBe(true);
  });

  it.each([
    ['a v4-shaped id with a bad variant', { id: '0190a8d4-7e2f-4b3c-7a1d-3c4e5f607182' }],
    ['a fractional ts', { ts: 1.5 }],
    ['a ts beyond 2^53', { ts: 2 ** 53 + 2 }],
    ['status 99', { status: 99 }],
    ['an empty consumerId', { consumerId: '' }],
    ['a negative usage amount', { usage: { sms: -1 } }],
    ['an upper-case usage name', { usage: { SMS: 1 } }],
    ['an upper-case source', { source: 'Gateway' }],
    ['a string overage', { overage: 'yes' }],
  ])('refuses %s, as zod does', (_, change) => {
    const value = { ...validEvent, ...change };
    expect(meteredEventSchema.safeParse(value).success).toBe(false);
    expect(isMeteredEvent(value)).toBe(false);
  });
});

describe('parseMeteredEvent', () => {
  it('returns the event for valid JSON and null for anything else', () => {
    expect(parseMeteredEvent(JSON.stringify(validEvent))).toEqual(validEvent);
    expect(parseMeteredEvent('{"id": ')).toBeNull();
    expect(parseMeteredEvent('null')).toBeNull();
    expect(parseMeteredEvent(JSON.stringify([validEvent]))).toBeNull();
    const withProto = parseMeteredEvent(
      JSON.stringify(validEvent).replace('"sms":1', '"__proto__":2,"sms":1'),
    );
    expect(withProto?.usage).toEqual({ sms: 1, txn_value: 12550 });
    expect(Object.keys(withProto?.usage ?? {})).toEqual(['sms', 'txn_value']);
  });
});
