import { createApiClient } from '../shared';

/** Fired when any portal call answers 401: the session expired or was ended elsewhere. */
export const portalSignedOutEvent = 'tollgate:portal-signed-out';

/** The portal API; the session is the httpOnly `tg_session` cookie, which this code never reads. */
export const portalApi = createApiClient({
  basePath: '/api/portal',
  onUnauthenticated: () => window.dispatchEvent(new Event(portalSignedOutEvent)),
});

/** Lists may come bare or wrapped (`{ items }`, `{ deliveries }`, …): always an array. */
export function listOf<T>(value: unknown, ...keys: string[]): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === 'object') {
    for (const key of ['items', 'data', ...keys]) {
      const inner = (value as Record<string, unknown>)[key];
      if (Array.isArray(inner)) return inner as T[];
    }
  }
  return [];
}
