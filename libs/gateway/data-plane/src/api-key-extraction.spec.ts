import { extractApiKey } from './api-key-extraction';

describe('extractApiKey', () => {
  it('reads a Bearer token, whatever the case of the scheme and header name', () => {
    expect(extractApiKey(['Authorization', 'Bearer tg_live_abc'])).toBe('tg_live_abc');
    expect(extractApiKey(['authorization', 'bearer   tg_live_abc  '])).toBe('tg_live_abc');
  });

  it('reads X-API-Key', () => {
    expect(extractApiKey(['Host', 'x', 'X-API-Key', ' tg_live_def '])).toBe('tg_live_def');
  });

  it('prefers the Bearer token when both are sent', () => {
    expect(extractApiKey(['x-api-key', 'from-header', 'authorization', 'Bearer from-bearer'])).toBe(
      'from-bearer',
    );
  });

  it('ignores other schemes and empty values', () => {
    expect(extractApiKey(['authorization', 'Basic dXNlcjpwYXNz'])).toBeNull();
    expect(extractApiKey(['authorization', 'Bearer '])).toBeNull();
    expect(extractApiKey(['x-api-key', '  '])).toBeNull();
    expect(extractApiKey(['authorization', 'Basic abc', 'x-api-key', 'k'])).toBe('k');
  });

  it('returns null when no credential is present', () => {
    expect(extractApiKey(['host', 'example.com'])).toBeNull();
  });
});
