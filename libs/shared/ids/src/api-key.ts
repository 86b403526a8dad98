import { createHash, timingSafeEqual } from 'node:crypto';
import { randomToken } from './prefixed-id';

export interface GeneratedApiKey {
  /** Shown to the developer once, never stored. */
  secret: string;
  /** SHA-256 hex of the secret: what is stored and looked up. */
  hash: string;
  /** The first characters, safe to display (`tg_live_ab12…`). */
  displayPrefix: string;
}

/** 32 base36 characters ≈ 165 bits of entropy, after a readable prefix. */
export function generateApiKey(prefix = 'tg_live_'): GeneratedApiKey {
  const secret = `${prefix}${randomToken(32)}`;
  return { secret, hash: hashApiKey(secret), displayPrefix: secret.slice(0, prefix.length + 4) };
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(left: string, right: string): boolean {
  const a = Buffer.from(left, 'hex');
  const b = Buffer.from(right, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
