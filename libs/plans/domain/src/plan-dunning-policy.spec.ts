import { ValidationError } from '@tollgate/errors';
import { parseInput } from './input-validation';
import { planCreateSchema, planPatchSchema } from './plan.schema';

describe('plan dunning policy fields', () => {
  const base = { name: 'Pro', quota: { limit: 100, period: 'month' } };

  it('defaults to a 3-day grace period and the downgrade policy', () => {
    expect(parseInput(planCreateSchema, base)).toMatchObject({
      gracePeriodDays: 3,
      pastDuePolicy: 'downgrade',
    });
  });

  it('accepts 0 to 90 days and either policy', () => {
    expect(
      parseInput(planCreateSchema, { ...base, gracePeriodDays: 0, pastDuePolicy: 'suspend' }),
    ).toMatchObject({
      gracePeriodDays: 0,
      pastDuePolicy: 'suspend',
    });
    expect(parseInput(planPatchSchema, { gracePeriodDays: 90 })).toEqual({ gracePeriodDays: 90 });
  });

  it.each([
    [{ gracePeriodDays: 91 }, 'gracePeriodDays'],
    [{ gracePeriodDays: -1 }, 'gracePeriodDays'],
    [{ gracePeriodDays: 1.5 }, 'gracePeriodDays'],
    [{ pastDuePolicy: 'cancel' }, 'pastDuePolicy'],
  ])('refuses %p naming the field', (body, field) => {
    let caught: unknown;
    try {
      parseInput(planPatchSchema, body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).issues.map((issue) => issue.field)).toEqual([field]);
  });
});
