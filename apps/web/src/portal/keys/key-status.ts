import { type ApiKey } from '../portal-types';

/** A key's badge: revoked or expired keys are gone; a rotated one works until its overlap ends. */
export function keyStatus(key: ApiKey, now = Date.now()): { label: string; color: string } {
  if (key.revokedAt && new Date(key.revokedAt).getTime() <= now) return { label: 'Revoked', color: 'gray' };
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return { label: 'Expired', color: 'gray' };
  if (key.replacedById || key.revokedAt) return { label: 'Rotating out', color: 'yellow' };
  return { label: 'Active', color: 'teal' };
}
