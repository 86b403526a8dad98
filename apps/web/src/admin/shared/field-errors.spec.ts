import { describe, expect, it } from '@jest/globals';
import { planCreateSchema } from '@tollgate/plans-domain';
import { z } from 'zod';
import { ApiError } from '../../shared/api-client';
import { apiFieldErrors, errorsUnder, unplacedErrors, validate, zodFieldErrors } from './field-errors';

describe('zodFieldErrors', () => {
  it('joins nested paths with dots and keeps the first message per field', () => {
    const schema = z.object({
      prices: z.array(
        z.object({ unitAmountMinor: z.number().int('Whole minor units').min(0, 'Not negative') }),
      ),
    });
    const parsed = schema.safeParse({ prices: [{ unitAmountMinor: 1 }, { unitAmountMinor: -0.5 }] });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(zodFieldErrors(parsed.error)).toEqual({ 'prices.1.unitAmountMinor': 'Whole minor units' });
  });

  it('puts an issue about the whole body under `_`', () => {
    const parsed = z.object({ name: z.string() }).safeParse('text');
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(Object.keys(zodFieldErrors(parsed.error))).toEqual(['_']);
  });
});

describe('validate with the API schema', () => {
  it('names the nested fields of a plan body', () => {
    const result = validate(planCreateSchema, {
      name: 'Starter',
      quota: { limit: -1, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 100, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 0.5, currency: 'usd' },
      ],
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        'quota.limit': expect.any(String),
        'prices.1.unitAmountMinor': 'Must be an integer amount in minor units',
      },
    });
  });

  it('names a price in another currency than the plan', () => {
    const result = validate(planCreateSchema, {
      name: 'Starter',
      currency: 'eur',
      quota: { limit: 10, period: 'month' },
      prices: [{ type: 'flat', amountMinor: 100, currency: 'usd' }],
    });
    expect(result).toEqual({
      ok: false,
      errors: { 'prices.0.currency': "Must be eur, the plan's currency" },
    });
  });

  it('returns the parsed value with the defaults applied', () => {
    const result = validate(planCreateSchema, { name: 'Starter', quota: { limit: 10, period: 'day' } });
    expect(result).toMatchObject({ ok: true, value: { tier: 'subscription', prices: [], trialDays: 0 } });
  });
});

describe('apiFieldErrors', () => {
  it('copies the field errors of a 400 problem', () => {
    const error = new ApiError(400, {
      detail: 'invalid',
      errors: [{ field: 'prices.0.tiers.1.upTo', message: 'The last tier must be open-ended (null)' }],
    });
    const errors = apiFieldErrors(error);
    expect(errors).toEqual({ 'prices.0.tiers.1.upTo': 'The last tier must be open-ended (null)' });
    errors.extra = 'changed';
    expect(error.fieldErrors).not.toHaveProperty('extra');
  });

  it('places a 409 at the field it names', () => {
    const error = new ApiError(409, { detail: 'A plan with slug "pro" already exists', field: 'slug' });
    expect(apiFieldErrors(error)).toEqual({ slug: 'A plan with slug "pro" already exists' });
  });

  it('puts any other failure under `_`', () => {
    expect(apiFieldErrors(new ApiError(403, { detail: 'Needs the admin role' }))).toEqual({
      _: 'Needs the admin role',
    });
    expect(apiFieldErrors(new TypeError('fetch failed'))).toEqual({
      _: 'The server could not be reached (fetch failed)',
    });
  });
});

describe('errorsUnder', () => {
  const errors = {
    prices: 'Too many components',
    'prices.0.amountMinor': 'Required',
    'prices.1.tiers.0.upTo': 'Only the last tier may be open-ended',
    pricesNote: 'not a price field',
    'quota.limit': 'Too small',
  };

  it('strips the prefix of nested fields and puts the field itself under `_`', () => {
    expect(errorsUnder(errors, 'prices')).toEqual({
      _: 'Too many components',
      '0.amountMinor': 'Required',
      '1.tiers.0.upTo': 'Only the last tier may be open-ended',
    });
  });

  it('goes down one component at a time', () => {
    expect(errorsUnder(errorsUnder(errors, 'prices'), '1')).toEqual({
      'tiers.0.upTo': 'Only the last tier may be open-ended',
    });
    expect(errorsUnder(errors, 'overage')).toEqual({});
  });
});

describe('unplacedErrors', () => {
  it('lists what no input shows, naming the field', () => {
    const errors = {
      _: 'Something failed',
      'quota.limit': 'Too small',
      'prices.0.amountMinor': 'Required',
      archived: 'Cannot archive the free plan',
      quotaExtra: 'not under quota',
    };
    expect(unplacedErrors(errors, ['quota', 'prices'])).toEqual([
      'Something failed',
      'archived: Cannot archive the free plan',
      'quotaExtra: not under quota',
    ]);
  });
});
