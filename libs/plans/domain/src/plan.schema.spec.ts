import { ValidationError } from '@tollgate/errors';
import { parseInput } from './input-validation';
import { planCreateSchema, planPatchSchema } from './plan.schema';

/** The documented example body of `POST /api/admin/plans`, verbatim. */
const issueBody = {
  name: 'Starter',
  quota: { limit: 50000, period: 'month' },
  rateLimit: { perSecond: 10, burst: 20 },
  concurrency: 5,
  overage: { bufferPercent: 10, unitPriceMinor: 1, currency: 'usd' },
  alertThresholds: [80, 95, 100],
  countPolicy: { count4xx: true, count5xx: false },
  prices: [{ type: 'flat', amountMinor: 4900, currency: 'usd' }],
};

function fieldsOf(
  input: unknown,
  schema: typeof planCreateSchema | typeof planPatchSchema = planCreateSchema,
) {
  try {
    parseInput(schema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => issue.field);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('planCreateSchema', () => {
  it('accepts the issue body as is', () => {
    expect(parseInput(planCreateSchema, issueBody)).toMatchObject({
      ...issueBody,
      tier: 'subscription',
      trialDays: 0,
      allowedEndpoints: [],
      isPublic: true,
    });
  });

  it('fills the defaults when only name and quota are given', () => {
    const plan = parseInput(planCreateSchema, { name: 'Free', quota: { limit: 1000, period: 'day' } });
    expect(plan).toEqual({
      name: 'Free',
      tier: 'subscription',
      description: null,
      isPublic: true,
      quota: { limit: 1000, period: 'day' },
      rateLimit: null,
      concurrency: null,
      overage: null,
      alertThresholds: [80, 95, 100],
      countPolicy: { count4xx: true, count5xx: false },
      prices: [],
      trialDays: 0,
      allowedEndpoints: [],
      countersUnavailable: 'reject',
      meters: [],
      gracePeriodDays: 3,
      pastDuePolicy: 'downgrade',
    });
  });

  it('takes the counters-unavailable policy and meter definitions, naming each invalid field', () => {
    const plan = parseInput(planCreateSchema, {
      name: 'Metered',
      quota: { limit: 10, period: 'month' },
      countersUnavailable: 'local_limit',
      meters: [{ slug: 'sms', aggregation: 'sum', valueKey: 'sms' }],
    });
    expect(plan.countersUnavailable).toBe('local_limit');
    expect(plan.meters).toEqual([
      { slug: 'sms', aggregation: 'sum', valueKey: 'sms', countedOnly: true, filters: {} },
    ]);
    expect(
      fieldsOf({
        name: 'Bad',
        quota: { limit: 10, period: 'month' },
        countersUnavailable: 'fail_open',
        meters: [
          { slug: 'sms', aggregation: 'sum' },
          { slug: 'Bad Slug', aggregation: 'count' },
        ],
      }),
    ).toEqual(['countersUnavailable', 'meters.0.valueKey', 'meters.1.slug']);
    expect(
      fieldsOf(
        {
          meters: [
            { slug: 'calls', aggregation: 'count' },
            { slug: 'calls', aggregation: 'count' },
          ],
        },
        planPatchSchema,
      ),
    ).toEqual(['meters.1.slug']);
  });

  it('defaults the burst to the rate and a partial count policy field by field', () => {
    const plan = parseInput(planCreateSchema, {
      name: 'P',
      quota: { limit: 1, period: 'month' },
      rateLimit: { perSecond: 7 },
      countPolicy: { count5xx: true },
    });
    expect(plan.rateLimit).toEqual({ perSecond: 7, burst: 7 });
    expect(plan.countPolicy).toEqual({ count4xx: true, count5xx: true });
  });

  it('names every invalid field with its dotted path', () => {
    expect(
      fieldsOf({
        name: '',
        quota: { limit: -1, period: 'week' },
        rateLimit: { perSecond: 10, burst: 5 },
        alertThresholds: [95, 80],
        prices: [{ type: 'flat', amountMinor: 1.5, currency: 'usd' }],
        colour: 'red',
      }).sort(),
    ).toEqual(
      [
        'name',
        'quota.limit',
        'quota.period',
        'rateLimit.burst',
        'alertThresholds',
        'prices.0.amountMinor',
        'colour',
      ].sort(),
    );
  });

  it('rejects thresholds outside 1–1000 and unknown price types', () => {
    expect(fieldsOf({ ...issueBody, alertThresholds: [0, 1001] })).toEqual([
      'alertThresholds.0',
      'alertThresholds.1',
    ]);
    expect(fieldsOf({ ...issueBody, prices: [{ type: 'barter', currency: 'usd' }] })).toEqual([
      'prices.0.type',
    ]);
  });

  it('accepts every price component type', () => {
    const tiers = [
      { upTo: 1000, unitAmountMinor: 0 },
      { upTo: null, unitAmountMinor: 2, flatAmountMinor: 100 },
    ];
    const plan = parseInput(planCreateSchema, {
      name: 'Everything',
      quota: { limit: 10, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 100, currency: 'EUR' },
        { type: 'per_unit', unitAmountMinor: 1, currency: 'eur', meter: 'sms' },
        { type: 'graduated', tiers, currency: 'eur' },
        { type: 'volume', tiers, currency: 'eur' },
        { type: 'package', packageSize: 1000, amountMinor: 500, currency: 'eur' },
        {
          type: 'percentage',
          percentBasisPoints: 290,
          fixedAmountMinor: 30,
          currency: 'eur',
          meter: 'txn_value',
        },
        { type: 'per_event', eventType: 'invoice.paid', amountMinor: 5, currency: 'eur' },
      ],
    });
    expect(plan.prices.map((price) => price.type)).toEqual([
      'flat',
      'per_unit',
      'graduated',
      'volume',
      'package',
      'percentage',
      'per_event',
    ]);
    expect(plan.prices.every((price) => price.currency === 'eur')).toBe(true);
  });

  it('requires ascending tiers that end open-ended', () => {
    expect(
      fieldsOf({
        ...issueBody,
        prices: [
          {
            type: 'graduated',
            currency: 'usd',
            tiers: [
              { upTo: 100, unitAmountMinor: 1 },
              { upTo: 50, unitAmountMinor: 1 },
              { upTo: 200, unitAmountMinor: 1 },
            ],
          },
        ],
      }),
    ).toEqual(['prices.0.tiers.1.upTo', 'prices.0.tiers.2.upTo']);
  });

  it('requires every price and the overage in the plan currency', () => {
    expect(
      fieldsOf({
        ...issueBody,
        prices: [
          { type: 'flat', amountMinor: 4900, currency: 'usd' },
          { type: 'per_unit', unitAmountMinor: 1, currency: 'eur' },
        ],
        overage: { bufferPercent: 10, unitPriceMinor: 1, currency: 'gbp' },
      }),
    ).toEqual(['prices.1.currency', 'overage.currency']);
    expect(fieldsOf({ ...issueBody, currency: 'eur' })).toEqual(['prices.0.currency', 'overage.currency']);
  });

  it('checks the endpoint access list format', () => {
    expect(
      parseInput(planCreateSchema, { ...issueBody, allowedEndpoints: ['GET /v1/orders/:id'] })
        .allowedEndpoints,
    ).toEqual(['GET /v1/orders/:id']);
    expect(fieldsOf({ ...issueBody, allowedEndpoints: ['/v1/orders'] })).toEqual(['allowedEndpoints.0']);
  });
});

describe('planPatchSchema', () => {
  it('applies no defaults, so an empty patch changes nothing', () => {
    expect(parseInput(planPatchSchema, {})).toEqual({});
  });

  it('accepts null to remove optional limits and validates what is given', () => {
    expect(parseInput(planPatchSchema, { rateLimit: null, overage: null, concurrency: null })).toEqual({
      rateLimit: null,
      overage: null,
      concurrency: null,
    });
    expect(fieldsOf({ quota: { limit: -5 }, trialDays: 400 }, planPatchSchema)).toEqual([
      'quota.limit',
      'trialDays',
    ]);
  });
});
