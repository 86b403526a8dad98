import { type ApiKey } from '../shared/admin-types';

/** A key's badge in the admin console. */
export function keyState(key: ApiKey, now = Date.now()): { label: string; color: string } {
  if (key.revokedAt) return { label: 'Revoked', color: 'red' };
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return { label: 'Expired', color: 'gray' };
  if (key.expiresAt) return { label: 'Expiring', color: 'yellow' };
  return { label: 'Active', color: 'teal' };
}
