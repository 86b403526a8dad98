import { describe, expect, it } from '@jest/globals';
import { type ApiKey } from '../portal-types';
import { keyStatus } from './key-status';

const now = Date.parse('2026-11-28T12:00:00.000Z');
const earlier = '2026-11-28T11:00:00.000Z';
const later = '2026-11-29T12:00:00.000Z';

function key(changes: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'key_1',
    consumerId: 'con_1',
    prefix: 'tg_live_abc',
    name: 'Server',
    scopes: [],
    expiresAt: null,
    revokedAt: null,
    replacedById: null,
    createdAt: '2026-11-01T00:00:00.000Z',
    ...changes,
  };
}

describe('keyStatus', () => {
  it('labels each state of a developer key', () => {
    expect(keyStatus(key(), now)).toEqual({ label: 'Active', color: 'teal' });
    expect(keyStatus(key({ expiresAt: later }), now).label).toBe('Active');
    expect(keyStatus(key({ replacedById: 'key_2', expiresAt: later }), now)).toEqual({
      label: 'Rotating out',
      color: 'yellow',
    });
    expect(keyStatus(key({ replacedById: 'key_2', expiresAt: earlier }), now).label).toBe('Expired');
    expect(keyStatus(key({ revokedAt: later }), now).label).toBe('Rotating out');
    expect(keyStatus(key({ revokedAt: earlier }), now)).toEqual({ label: 'Revoked', color: 'gray' });
  });
});
