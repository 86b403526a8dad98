import { ValidationError } from '@tollgate/errors';
import { parseInput } from './input-validation';
import {
  applyPlanPatch,
  definitionFromCreate,
  definitionsDiffer,
  planDefinition,
  planDefinitionColumns,
  storedPlanDefinition,
} from './plan-definition';
import { planCreateSchema, planPatchSchema } from './plan.schema';

const starter = definitionFromCreate(
  parseInput(planCreateSchema, {
    name: 'Starter',
    quota: { limit: 50000, period: 'month' },
    rateLimit: { perSecond: 10, burst: 20 },
    overage: { bufferPercent: 10, unitPriceMinor: 1, currency: 'usd' },
    prices: [{ type: 'flat', amountMinor: 4900, currency: 'usd' }],
    allowedEndpoints: ['POST /v1/orders', 'GET /v1/orders/:id'],
  }),
);

const patched = (patch: unknown) => applyPlanPatch(starter, parseInput(planPatchSchema, patch));

describe('plan definitions', () => {
  it('round-trips through the storage columns', () => {
    expect(planDefinition(planDefinitionColumns(starter))).toEqual(starter);
  });

  it('resolves the currency from the prices when not given', () => {
    expect(starter.currency).toBe('usd');
    const free = definitionFromCreate(
      parseInput(planCreateSchema, { name: 'Free', quota: { limit: 1, period: 'day' } }),
    );
    expect(free.currency).toBe('usd');
  });

  it('does not differ for presentation changes, key order or endpoint order', () => {
    const reordered = { ...starter, allowedEndpoints: [...starter.allowedEndpoints].reverse() };
    expect(definitionsDiffer(starter, reordered)).toBe(false);
    expect(definitionsDiffer(starter, patched({ name: 'Renamed', description: 'x', isPublic: false }))).toBe(
      false,
    );
    expect(definitionsDiffer(starter, patched({ quota: { limit: 50000 } }))).toBe(false);
  });

  it('differs for every change a subscriber would notice', () => {
    const changes: unknown[] = [
      { quota: { limit: 60000 } },
      { quota: { period: 'day' } },
      { rateLimit: null },
      { rateLimit: { perSecond: 10, burst: 30 } },
      { concurrency: 3 },
      { overage: null },
      { alertThresholds: [50, 100] },
      { countPolicy: { count5xx: true } },
      { prices: [] },
      { trialDays: 14 },
      { allowedEndpoints: [] },
    ];
    for (const change of changes)
      expect([change, definitionsDiffer(starter, patched(change))]).toEqual([change, true]);
  });

  it('merges quota and count policy field by field', () => {
    const next = patched({ quota: { limit: 1 }, countPolicy: { count4xx: false } });
    expect(next.quota).toEqual({ limit: 1, period: 'month' });
    expect(next.countPolicy).toEqual({ count4xx: false, count5xx: false });
  });

  it('moves the currency with new prices and reports a stale overage currency', () => {
    let caught: unknown;
    try {
      patched({ prices: [{ type: 'flat', amountMinor: 4500, currency: 'eur' }] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).issues).toEqual([
      { field: 'overage.currency', message: "Must be eur, the plan's currency" },
    ]);
    const euro = patched({
      prices: [{ type: 'flat', amountMinor: 4500, currency: 'eur' }],
      overage: { bufferPercent: 5, unitPriceMinor: 1, currency: 'eur' },
    });
    expect(euro.currency).toBe('eur');
  });

  it('versions the counters-unavailable policy and the meters, and reads older versions with their defaults', () => {
    expect(definitionsDiffer(starter, patched({ countersUnavailable: 'local_limit' }))).toBe(true);
    const metered = patched({ meters: [{ slug: 'sms', aggregation: 'sum', valueKey: 'sms' }] });
    expect(definitionsDiffer(starter, metered)).toBe(true);
    expect(planDefinition(planDefinitionColumns(metered))).toEqual(metered);
    const { countersUnavailable: _policy, meters: _meters, ...older } = starter;
    expect(storedPlanDefinition(older)).toEqual({ ...starter, countersUnavailable: 'reject', meters: [] });
  });
});
