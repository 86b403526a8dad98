import { describe, expect, it } from '@jest/globals';
import { type UseFormReturnType } from '@mantine/form';
import { planCreateSchema } from '@tollgate/plans-domain';
import { z } from 'zod';
import { ApiError } from './api-client';
import { showRequestError, zodValidate } from './forms';

/** The one part of a @mantine/form form that showRequestError uses. */
function formRecordingErrors() {
  const placed: Record<string, string>[] = [];
  const form = {
    setErrors: (errors: Record<string, string>) => placed.push(errors),
  } as unknown as UseFormReturnType<unknown>;
  return { form, placed };
}

describe('zodValidate', () => {
  const validatePlan = zodValidate<unknown>(planCreateSchema);

  it('finds no errors in valid values', () => {
    expect(validatePlan({ name: 'Starter', quota: { limit: 100, period: 'month' } })).toEqual({});
  });

  it('names nested fields with dotted paths, first message per field', () => {
    const errors = validatePlan({
      name: 'Starter',
      quota: { limit: 100, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 100, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 1.5, currency: 'usd' },
      ],
    });
    expect(errors).toEqual({ 'prices.1.unitAmountMinor': 'Must be an integer amount in minor units' });
  });

  it('puts an error about the whole value under `(body)`', () => {
    expect(Object.keys(zodValidate<unknown>(z.object({ a: z.string() }))(null))).toEqual(['(body)']);
  });
});

describe('showRequestError', () => {
  it('places the field errors of a problem on the form', () => {
    const { form, placed } = formRecordingErrors();
    const error = new ApiError(400, {
      detail: 'invalid',
      errors: [{ field: 'billingEmails.1', message: 'Must be an email address' }],
    });
    expect(showRequestError(form, error)).toBe(true);
    expect(placed).toEqual([{ 'billingEmails.1': 'Must be an email address' }]);
  });

  it('leaves the form alone for a problem without fields', () => {
    const { form, placed } = formRecordingErrors();
    expect(showRequestError(form, new ApiError(503, { title: 'Service unavailable' }))).toBe(false);
    expect(placed).toEqual([]);
  });
});
