import { ValidationError } from '@tollgate/errors';
import { signToken, verifyToken } from './signed-token';

const secret = 'test-secret-0123456789';
const now = Date.UTC(2026, 0, 1);
const inOneHour = now / 1000 + 3600;

function issues(action: () => unknown): Array<{ field: string; message: string }> {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('signed link tokens', () => {
  const token = signToken(secret, { sub: 'dev_1', purpose: 'verify-email', exp: inOneHour });

  it('round-trips the claims of a genuine token', () => {
    expect(verifyToken(secret, token, 'verify-email', now)).toEqual({
      sub: 'dev_1',
      purpose: 'verify-email',
      exp: inOneHour,
    });
  });

  it('refuses a token whose payload was changed, even to a well-formed one', () => {
    const [, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'dev_2', purpose: 'verify-email', exp: inOneHour }),
    ).toString('base64url');
    expect(issues(() => verifyToken(secret, `${forged}.${signature}`, 'verify-email', now))).toEqual([
      { field: 'token', message: 'the link is invalid' },
    ]);
  });

  it('refuses a changed signature, another secret, and garbage', () => {
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const candidate of [flipped, token.split('.')[0], '', '.', 'a.b.c', '%%%.###']) {
      expect(issues(() => verifyToken(secret, candidate, 'verify-email', now))[0].field).toBe('token');
    }
    expect(() => verifyToken('another-secret', token, 'verify-email', now)).toThrow(ValidationError);
  });

  it('refuses a token used for another purpose', () => {
    expect(() => verifyToken(secret, token, 'password-reset', now)).toThrow(ValidationError);
  });

  it('refuses an expired token and says so', () => {
    expect(issues(() => verifyToken(secret, token, 'verify-email', inOneHour * 1000))).toEqual([
      { field: 'token', message: 'the link has expired' },
    ]);
  });
});
