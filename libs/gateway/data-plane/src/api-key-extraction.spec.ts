import {
  extractApiKey,
  extractBearerToken,
  extractQueryParameter,
  withoutQueryParameter,
} from './api-key-extraction';

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

describe('extractBearerToken', () => {
  it('reads only the Authorization bearer token', () => {
    expect(extractBearerToken(['x-api-key', 'k', 'Authorization', 'Bearer a.b.c'])).toBe('a.b.c');
    expect(extractBearerToken(['x-api-key', 'a.b.c'])).toBeNull();
  });
});

describe('key in the query string', () => {
  it('reads the named parameter, percent-decoded, and skips empty or bare occurrences', () => {
    expect(extractQueryParameter('?api_key=tg_live_abc&x=1', 'api_key')).toBe('tg_live_abc');
    expect(extractQueryParameter('?x=1&api_key=tg%5Flive%5Fabc', 'api_key')).toBe('tg_live_abc');
    expect(extractQueryParameter('?api_key&api_key=&api_key=k2', 'api_key')).toBe('k2');
    expect(extractQueryParameter('?my_api_key=k&api_keys=k', 'api_key')).toBeNull();
    expect(extractQueryParameter('?x=api_key=k', 'api_key')).toBeNull();
    expect(extractQueryParameter('?api_key=%E0%A4%A', 'api_key')).toBeNull();
    expect(extractQueryParameter('', 'api_key')).toBeNull();
  });

  it('removes every occurrence of the parameter and keeps the rest in order', () => {
    expect(withoutQueryParameter('?api_key=k&x=1&y=2', 'api_key')).toBe('?x=1&y=2');
    expect(withoutQueryParameter('?x=1&api_key=k&api_key', 'api_key')).toBe('?x=1');
    expect(withoutQueryParameter('?api_key=k', 'api_key')).toBe('');
    expect(withoutQueryParameter('?my_api_key=k', 'api_key')).toBe('?my_api_key=k');
    expect(withoutQueryParameter('', 'api_key')).toBe('');
  });
});
