import { parseInput } from '@tollgate/plans-domain';
import { ValidationError } from '@tollgate/errors';
import { createPortalKeyInputSchema, loginInputSchema, signupInputSchema } from './portal-inputs';

function fieldsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((issue) => issue.field);
  }
  throw new Error('expected a ValidationError');
}

describe('portal inputs', () => {
  it('normalises the email (trim, lower case) and the name (trim)', () => {
    expect(
      parseInput(signupInputSchema, {
        email: '  Ann.Lee@Example.COM ',
        password: '0123456789',
        name: ' Ann ',
      }),
    ).toEqual({ email: 'ann.lee@example.com', password: '0123456789', name: 'Ann' });
  });

  it('names each invalid field: short password, bad email, missing name, unknown field', () => {
    expect(
      fieldsOf(() =>
        parseInput(signupInputSchema, { email: 'not-an-email', password: '123456789', admin: true }),
      ).sort(),
    ).toEqual(['admin', 'email', 'name', 'password']);
  });

  it('refuses wrong types without throwing anything but a ValidationError', () => {
    expect(fieldsOf(() => parseInput(loginInputSchema, { email: 42, password: ['x'] })).sort()).toEqual([
      'email',
      'password',
    ]);
    expect(fieldsOf(() => parseInput(loginInputSchema, 'a string body'))).toEqual(['(body)']);
  });

  it('parses a key expiry as an instant with an offset', () => {
    expect(parseInput(createPortalKeyInputSchema, { expiresAt: '2030-01-01T00:00:00Z' }).expiresAt).toEqual(
      new Date('2030-01-01T00:00:00Z'),
    );
    expect(fieldsOf(() => parseInput(createPortalKeyInputSchema, { expiresAt: 'tomorrow' }))).toEqual([
      'expiresAt',
    ]);
  });
});
