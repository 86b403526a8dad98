import { ValidationError } from '@tollgate/errors';
import { apiCreateSchema, apiPatchSchema, routeCreateSchema } from './api.schema';
import { apiKeyCreateSchema } from './api-key.schema';
import { adminUserCreateSchema, roleSatisfies } from './admin-user.schema';
import { consumerCreateSchema, consumerPatchSchema } from './consumer.schema';
import { parseInput } from './input-validation';

function issuesOf(schema: Parameters<typeof parseInput>[0], input: unknown) {
  try {
    parseInput(schema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('input schemas', () => {
  it('reports unknown keys one by one, at their path', () => {
    expect(issuesOf(routeCreateSchema, { method: 'GET', pathTemplate: '/a', extra: 1, other: 2 })).toEqual([
      { field: 'extra', message: 'Unknown field' },
      { field: 'other', message: 'Unknown field' },
    ]);
  });

  it('defaults a consumer to UTC and lower-cases emails', () => {
    expect(parseInput(consumerCreateSchema, { name: 'A', email: 'A@B.test', planId: 'plan_1' })).toEqual({
      name: 'A',
      email: 'a@b.test',
      planId: 'plan_1',
      timeZone: 'UTC',
      billingEmails: [],
      webhookUrl: null,
      externalId: null,
    });
  });

  it('takes a consumer externalId of printable characters, and null to clear it', () => {
    const base = { name: 'A', email: 'a@b.test', planId: 'plan_1' };
    expect(parseInput(consumerCreateSchema, { ...base, externalId: 'auth0|42' }).externalId).toBe('auth0|42');
    expect(issuesOf(consumerCreateSchema, { ...base, externalId: 'has space' }).map((i) => i.field)).toEqual([
      'externalId',
    ]);
    expect(parseInput(consumerPatchSchema, { externalId: null })).toEqual({ externalId: null });
  });

  it('validates the key query parameter name and the JWT configuration of an API, with defaults', () => {
    const base = { name: 'x', pathPrefix: '/orders', upstreamUrl: 'http://orders:8080' };
    expect(parseInput(apiCreateSchema, base)).toMatchObject({ keyInQuery: null, jwt: null });
    const api = parseInput(apiCreateSchema, {
      ...base,
      keyInQuery: 'api_key',
      jwt: { jwksUrl: 'https://auth.test/jwks.json', issuer: 'https://auth.test/', audience: 'orders' },
    });
    expect(api.jwt).toEqual({
      jwksUrl: 'https://auth.test/jwks.json',
      issuer: 'https://auth.test/',
      audience: 'orders',
      consumerClaim: 'sub',
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 30,
    });
    expect(
      issuesOf(apiCreateSchema, {
        ...base,
        keyInQuery: 'api key',
        jwt: {
          jwksUrl: 'file:///etc/keys',
          issuer: '',
          audience: 'orders',
          algorithms: ['HS256'],
          clockToleranceSeconds: 301,
          extra: true,
        },
      }).map((i) => i.field),
    ).toEqual([
      'keyInQuery',
      'jwt.jwksUrl',
      'jwt.issuer',
      'jwt.algorithms.0',
      'jwt.clockToleranceSeconds',
      'jwt.extra',
    ]);
    expect(issuesOf(apiPatchSchema, { keyInQuery: 'x'.repeat(65) }).map((i) => i.field)).toEqual([
      'keyInQuery',
    ]);
    expect(parseInput(apiPatchSchema, { keyInQuery: null, jwt: null })).toEqual({
      keyInQuery: null,
      jwt: null,
    });
  });

  it('rejects an unknown time zone and a non-http webhook', () => {
    expect(
      issuesOf(consumerCreateSchema, {
        name: 'A',
        email: 'a@b.test',
        planId: 'p',
        timeZone: 'Mars/Olympus',
        webhookUrl: 'ftp://x.test',
      }).map((issue) => issue.field),
    ).toEqual(['timeZone', 'webhookUrl']);
  });

  it('ties a suspension reason to the suspended status and an effective date to a plan change', () => {
    expect(
      issuesOf(consumerPatchSchema, { suspendedReason: 'x', effectiveAt: '2030-01-01T00:00:00Z' }).map(
        (i) => i.field,
      ),
    ).toEqual(['suspendedReason', 'effectiveAt']);
    const patch = parseInput(consumerPatchSchema, {
      planId: 'plan_2',
      effectiveAt: '2030-01-01T00:00:00+02:00',
    });
    expect(patch.effectiveAt?.toISOString()).toBe('2029-12-31T22:00:00.000Z');
  });

  it('wants key expiries in the future', () => {
    expect(issuesOf(apiKeyCreateSchema, { expiresAt: '2000-01-01T00:00:00Z' }).map((i) => i.field)).toEqual([
      'expiresAt',
    ]);
    expect(parseInput(apiKeyCreateSchema, { scopes: ['orders:read'] })).toEqual({ scopes: ['orders:read'] });
  });

  it('checks API prefixes, upstream URLs, route methods and cost weights', () => {
    expect(
      issuesOf(apiCreateSchema, { name: 'x', pathPrefix: 'orders/', upstreamUrl: 'not a url' }).map(
        (i) => i.field,
      ),
    ).toEqual(['pathPrefix', 'upstreamUrl']);
    expect(parseInput(routeCreateSchema, { method: 'get', pathTemplate: '/v1/orders/:id' })).toEqual({
      method: 'GET',
      pathTemplate: '/v1/orders/:id',
      costWeight: 1,
    });
    expect(
      issuesOf(routeCreateSchema, { method: 'FETCH', pathTemplate: '/x', costWeight: 1001 }).map(
        (i) => i.field,
      ),
    ).toEqual(['method', 'costWeight']);
  });

  it('wants admin passwords of at least 10 characters', () => {
    expect(
      issuesOf(adminUserCreateSchema, { email: 'a@b.test', name: 'A', role: 'viewer', password: 'short' }),
    ).toEqual([{ field: 'password', message: 'Must be at least 10 characters' }]);
  });

  it('orders roles owner ⊃ admin ⊃ viewer', () => {
    expect(roleSatisfies('owner', 'admin')).toBe(true);
    expect(roleSatisfies('admin', 'admin')).toBe(true);
    expect(roleSatisfies('viewer', 'admin')).toBe(false);
    expect(roleSatisfies('admin', 'owner')).toBe(false);
  });
});
