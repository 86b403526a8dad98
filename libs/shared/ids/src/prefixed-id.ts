import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random base36 string of the given length (≈5.17 bits per character). */
export function randomToken(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let index = 0; out.length < length; index += 1) {
    const byte = bytes[index % bytes.length];
    if (byte < 252) out += alphabet[byte % 36]; // 252 = 7 × 36: rejection keeps it uniform
    if (index >= bytes.length - 1) bytes.set(randomBytes(bytes.length));
  }
  return out;
}

export type IdPrefix =
  'api' | 'rte' | 'plan' | 'pver' | 'cgrp' | 'cons' | 'key' | 'sub' | 'adm' | 'aud' | 'dev' | 'ses';

/** Prefixed, readable ids such as `cons_0k3…`: the prefix says what the id names. */
export function prefixedId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(20)}`;
}
