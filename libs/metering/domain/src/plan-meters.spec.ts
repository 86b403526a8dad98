import { meterDefinitionSchema, requestsMeter } from './meter-definition';
import { allRequestsMeter, planMeters } from './plan-meters';
import { usageFigures } from './usage-summary';

describe('planMeters', () => {
  it('is requests alone for a plan without metered prices', () => {
    expect(planMeters([])).toEqual([requestsMeter]);
    expect(planMeters([{ meter: undefined }, { meter: 'requests' }])).toEqual([requestsMeter]);
  });

  it('adds one sum meter per usage key the prices meter, once each, in price order', () => {
    const meters = planMeters([{ meter: 'sms' }, { meter: 'txn_value' }, { meter: 'sms' }]);
    expect(meters.map((meter) => [meter.slug, meter.aggregation, meter.valueKey])).toEqual([
      ['requests', 'count', undefined],
      ['sms', 'sum', 'sms'],
      ['txn_value', 'sum', 'txn_value'],
    ]);
    expect(meters[1]).toMatchObject({ countedOnly: true, filters: {} });
  });

  it('lets the plan’s own definitions replace derived ones by slug and adds the others', () => {
    const explicit = [
      meterDefinitionSchema.parse({ slug: 'sms', aggregation: 'max', valueKey: 'sms' }),
      meterDefinitionSchema.parse({ slug: 'requests', aggregation: 'count', filters: { statuses: ['2xx'] } }),
      meterDefinitionSchema.parse({ slug: 'seats', aggregation: 'latest', valueKey: 'seats' }),
    ];
    const meters = planMeters([{ meter: 'sms' }], explicit);
    expect(meters.map((meter) => meter.slug)).toEqual(['requests', 'sms', 'seats']);
    expect(meters[0].filters).toEqual({ statuses: ['2xx'] });
    expect(meters[1].aggregation).toBe('max');
  });
});

describe('usageFigures', () => {
  const meters = [
    requestsMeter,
    meterDefinitionSchema.parse({ slug: 'messages', aggregation: 'sum', valueKey: 'sms' }),
    meterDefinitionSchema.parse({ slug: 'peak', aggregation: 'max', valueKey: 'load' }),
    allRequestsMeter,
  ];

  it('names requests, total requests and every other meter as a unit, 0 when nothing was measured', () => {
    expect(usageFigures(meters, 3, { meterValues: [10, 4], reported: new Map() })).toEqual({
      requests: 10,
      totalRequests: 0,
      units: { messages: 4, peak: 0 },
    });
  });

  it('adds reported usage keys that no meter names by slug or value key, sorted', () => {
    const reported = new Map([
      ['sms', 4],
      ['load', 7],
      ['zeta', 1],
      ['alpha', 2],
    ]);
    expect(usageFigures(meters, 3, { meterValues: [10, 4, 9, 12], reported })).toEqual({
      requests: 10,
      totalRequests: 12,
      units: { messages: 4, peak: 9, alpha: 2, zeta: 1 },
    });
  });
});
