import { describe, expect, it } from '@jest/globals';
import { type ApiKey } from '../shared/admin-types';
import { keyState } from './key-state';

const now = Date.parse('2026-11-28T12:00:00.000Z');

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

describe('keyState', () => {
  it('labels each state of a consumer key', () => {
    expect(keyState(key(), now)).toEqual({ label: 'Active', color: 'teal' });
    expect(keyState(key({ expiresAt: '2026-11-29T12:00:00.000Z', replacedById: 'key_2' }), now)).toEqual({
      label: 'Expiring',
      color: 'yellow',
    });
    expect(keyState(key({ expiresAt: '2026-11-28T11:59:59.000Z' }), now)).toEqual({
      label: 'Expired',
      color: 'gray',
    });
    expect(keyState(key({ revokedAt: '2026-11-20T00:00:00.000Z' }), now)).toEqual({
      label: 'Revoked',
      color: 'red',
    });
  });
});
