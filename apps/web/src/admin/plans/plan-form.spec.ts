import { describe, expect, it } from '@jest/globals';
import { planCreateSchema, planPatchSchema } from '@tollgate/plans-domain';
import { type Plan } from '../shared/admin-types';
import { validate } from '../shared/field-errors';
import {
  emptyPlanForm,
  formToCreateBody,
  formToPatchBody,
  parseMeters,
  placedPlanFields,
  planToForm,
  type PlanFormValues,
} from './plan-form';

/** A plan with every field away from its default, as `GET /api/admin/plans/{id}` answers it. */
function fullPlan(): Plan {
  return {
    id: 'plan_1',
    slug: 'scale-jp',
    name: 'Scale (Japan)',
    tier: 'enterprise',
    description: 'For large teams',
    isPublic: false,
    archivedAt: null,
    version: 3,
    groupId: 'grp_1',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-02-01T00:00:00.000Z',
    quota: { limit: 2_000_000_000, period: 'day' },
    rateLimit: { perSecond: 50, burst: 120 },
    concurrency: 8,
    allowedEndpoints: ['GET /v1/orders', 'POST /v1/orders'],
    countPolicy: { count4xx: false, count5xx: true },
    alertThresholds: [50, 90, 100],
    overage: { bufferPercent: 25, unitPriceMinor: 3, currency: 'jpy' },
    currency: 'jpy',
    prices: [
      { type: 'flat', amountMinor: 50_000, currency: 'jpy' },
      { type: 'per_unit', unitAmountMinor: 2, currency: 'jpy', meter: 'sms' },
      {
        type: 'graduated',
        currency: 'jpy',
        tiers: [
          { upTo: 1000, unitAmountMinor: 0, flatAmountMinor: 100 },
          { upTo: null, unitAmountMinor: 1 },
        ],
      },
      {
        type: 'volume',
        currency: 'jpy',
        meter: 'sms',
        tiers: [
          { upTo: 10, unitAmountMinor: 5 },
          { upTo: null, unitAmountMinor: 4 },
        ],
      },
      { type: 'package', packageSize: 500, amountMinor: 300, currency: 'jpy', meter: 'sms' },
      { type: 'percentage', percentBasisPoints: 250, fixedAmountMinor: 30, currency: 'jpy', meter: 'amount' },
      { type: 'per_event', eventType: 'order.created', amountMinor: 7, currency: 'jpy' },
    ],
    trialDays: 14,
    countersUnavailable: 'local_limit',
    meters: [
      { slug: 'sms', aggregation: 'sum', valueKey: 'sms', countedOnly: true, filters: {} },
      {
        slug: 'amount',
        aggregation: 'sum',
        valueKey: 'amount',
        countedOnly: false,
        filters: { endpoints: ['POST /v1/orders'], methods: ['POST'], statuses: ['2xx', 201] },
      },
    ],
    gracePeriodDays: 10,
    pastDuePolicy: 'suspend',
  };
}

/** The fields the admin API stores for a plan (what create and patch set). */
function definitionOf(plan: Plan) {
  return {
    name: plan.name,
    slug: plan.slug,
    tier: plan.tier,
    description: plan.description,
    isPublic: plan.isPublic,
    quota: plan.quota,
    rateLimit: plan.rateLimit,
    concurrency: plan.concurrency,
    allowedEndpoints: plan.allowedEndpoints,
    countPolicy: plan.countPolicy,
    alertThresholds: plan.alertThresholds,
    overage: plan.overage,
    currency: plan.currency,
    prices: plan.prices,
    trialDays: plan.trialDays,
    countersUnavailable: plan.countersUnavailable,
    meters: plan.meters,
    gracePeriodDays: plan.gracePeriodDays,
    pastDuePolicy: plan.pastDuePolicy,
  };
}

function edited(changes: Partial<PlanFormValues>): PlanFormValues {
  return { ...planToForm(fullPlan()), ...changes };
}

describe('plan form ⇄ admin API bodies', () => {
  it('round-trips every plan field through the create body', () => {
    const plan = fullPlan();
    const result = validate(planCreateSchema, formToCreateBody(planToForm(plan)));
    expect(result).toEqual({ ok: true, value: definitionOf(plan) });
  });

  it('round-trips every plan field through the patch body', () => {
    const plan = fullPlan();
    const result = validate(planPatchSchema, formToPatchBody(planToForm(plan)));
    expect(result).toEqual({ ok: true, value: definitionOf(plan) });
  });

  it('round-trips the bodies back to the same form', () => {
    const plan = fullPlan();
    const body = planCreateSchema.parse(formToCreateBody(planToForm(plan)));
    const saved: Plan = {
      ...plan,
      ...body,
      slug: body.slug ?? plan.slug,
      currency: body.currency ?? plan.currency,
    };
    expect(planToForm(saved)).toEqual(planToForm(plan));
  });

  it('does not share the price objects with the plan it was read from', () => {
    const plan = fullPlan();
    const form = planToForm(plan);
    (form.prices[0] as { amountMinor: number }).amountMinor = 1;
    expect(plan.prices[0]).toEqual({ type: 'flat', amountMinor: 50_000, currency: 'jpy' });
  });

  it('turns a plan without optional limits into an unticked form and back to nulls', () => {
    const plan: Plan = {
      ...fullPlan(),
      description: null,
      rateLimit: null,
      concurrency: null,
      overage: null,
      prices: [],
      meters: [],
    };
    const form = planToForm(plan);
    expect(form).toMatchObject({
      description: '',
      rateLimited: false,
      burst: '',
      concurrency: '',
      overageEnabled: false,
      metersJson: '[]',
    });
    const result = validate(planPatchSchema, formToPatchBody(form));
    expect(result).toEqual({ ok: true, value: definitionOf(plan) });
  });

  it('fills the dunning fields with their defaults for a server that does not send them', () => {
    const { gracePeriodDays: _grace, pastDuePolicy: _policy, ...plan } = fullPlan();
    expect(planToForm(plan)).toMatchObject({ gracePeriodDays: 3, pastDuePolicy: 'downgrade' });
  });

  it('makes a valid create body from a new form with only a name', () => {
    const result = validate(planCreateSchema, formToCreateBody({ ...emptyPlanForm(), name: 'Starter' }));
    expect(result.ok).toBe(true);
    const body = formToCreateBody({ ...emptyPlanForm(), name: 'Starter' });
    expect(body).not.toHaveProperty('slug');
    expect(body).toMatchObject({ quota: { limit: 1000, period: 'month' }, alertThresholds: [80, 95, 100] });
  });

  it('trims the slug and sends a blank description as null', () => {
    const body = formToCreateBody(edited({ slug: '  scale  ', description: '   ' }));
    expect(body).toMatchObject({ slug: 'scale', description: null });
  });

  it('sends the plan currency on every price and on the overage', () => {
    const body = formToCreateBody(edited({ currency: 'eur' }));
    expect(body.prices?.every((price) => price.currency === 'eur')).toBe(true);
    expect(body.overage).toMatchObject({ currency: 'eur' });
    expect(planCreateSchema.safeParse(body).success).toBe(true);
  });

  it('leaves an empty burst to the API, which uses perSecond', () => {
    const result = validate(planCreateSchema, formToCreateBody(edited({ burst: '' })));
    expect(result).toMatchObject({ ok: true, value: { rateLimit: { perSecond: 50, burst: 50 } } });
  });
});

describe('plan form errors at the form fields', () => {
  it('reports a blank required number at its field instead of sending 0', () => {
    const result = validate(
      planCreateSchema,
      formToCreateBody(edited({ quotaLimit: '', perSecond: '', overageUnitPriceMinor: '' })),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual([
      'overage.unitPriceMinor',
      'quota.limit',
      'rateLimit.perSecond',
    ]);
  });

  it('names a price component field by its index', () => {
    const prices = planToForm(fullPlan()).prices.map((price, index) =>
      index === 1 ? { ...price, unitAmountMinor: 1.5 } : price,
    );
    const result = validate(planCreateSchema, formToCreateBody(edited({ prices })));
    expect(result).toEqual({
      ok: false,
      errors: { 'prices.1.unitAmountMinor': 'Must be an integer amount in minor units' },
    });
  });

  it('names a tier of a tiered component', () => {
    const prices = planToForm(fullPlan()).prices.map((price) =>
      price.type === 'graduated'
        ? {
            ...price,
            tiers: [
              { upTo: null, unitAmountMinor: 0 },
              { upTo: null, unitAmountMinor: 1 },
            ],
          }
        : price,
    );
    const result = validate(planCreateSchema, formToCreateBody(edited({ prices })));
    expect(result).toEqual({
      ok: false,
      errors: { 'prices.2.tiers.0.upTo': 'Only the last tier may be open-ended' },
    });
  });

  it('keeps a threshold that is not a number so the schema names it', () => {
    const result = validate(
      planCreateSchema,
      formToCreateBody(edited({ alertThresholds: ['80', 'ninety'] })),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors)).toEqual(['alertThresholds.1']);
  });

  it('reads threshold tags with spaces as numbers', () => {
    const body = formToCreateBody(edited({ alertThresholds: [' 70 ', '90'] }));
    expect(body.alertThresholds).toEqual([70, 90]);
  });

  it('reports meters that are not JSON at `meters`', () => {
    const result = validate(planPatchSchema, formToPatchBody(edited({ metersJson: '[{"slug": ' })));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors)).toEqual(['meters']);
  });

  it('places every top-level field the create body has', () => {
    const body = formToCreateBody(planToForm(fullPlan()));
    expect(Object.keys(body).sort()).toEqual([...placedPlanFields].sort());
  });
});

describe('parseMeters', () => {
  it('parses JSON, reads blank text as no meters and keeps anything else as text', () => {
    expect(parseMeters('[{"slug":"sms"}]')).toEqual([{ slug: 'sms' }]);
    expect(parseMeters('  ')).toEqual([]);
    expect(parseMeters('not json')).toBe('not json');
  });
});
