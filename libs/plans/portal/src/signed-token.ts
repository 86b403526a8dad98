import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '@tollgate/errors';

/** What a link token may be used for; a token of one purpose is refused for the other. */
export type TokenPurpose = 'verify-email' | 'password-reset';

export interface TokenClaims {
  /** The developer id. */
  sub: string;
  purpose: TokenPurpose;
  /** Expiry, epoch seconds. */
  exp: number;
  /**
   * Password-reset tokens: a fingerprint of the password hash they were issued against, so a token
   * stops working once the password has changed (single use without storing tokens).
   */
  fp?: string;
}

const version = 'v1';

function signature(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${version}.${payload}`).digest();
}

/** `<base64url JSON claims>.<base64url HMAC-SHA256>`: stateless, tamper-evident, expiring. */
export function signToken(secret: string, claims: TokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${payload}.${signature(secret, payload).toString('base64url')}`;
}

function invalid(message: string): ValidationError {
  return new ValidationError([{ field: 'token', message }]);
}

/** The claims of a genuine, unexpired token of this purpose; a ValidationError (400) otherwise. */
export function verifyToken(
  secret: string,
  token: string,
  purpose: TokenPurpose,
  nowMs: number = Date.now(),
): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 2 || parts[0].length === 0) throw invalid('the link is invalid');
  const [payload, presented] = parts;
  const expected = signature(secret, payload);
  const given = Buffer.from(presented, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('the link is invalid');
  }
  let claims: Partial<TokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<TokenClaims>;
  } catch {
    throw invalid('the link is invalid');
  }
  if (claims.purpose !== purpose || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
    throw invalid('the link is invalid');
  }
  if (claims.exp * 1000 <= nowMs) throw invalid('the link has expired');
  return claims as TokenClaims;
}
