import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from './support/app-process';

jest.setTimeout(300_000);

const ISSUER = 'https://issuer.gateway-jwt.test/';
const AUDIENCE = 'https://orders.gateway-jwt.test';

interface GatewayAnswer {
  status: number;
  headers: Headers;
  // Echo replies and problem documents; each assertion reads the fields it needs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of two shapes, asserted field by field
  body: any;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The signing side of an identity provider: an RS256 key whose public half a JWKS endpoint serves. */
class IdentityProvider {
  private readonly privateKey: KeyObject;
  private readonly jwk: Record<string, unknown>;
  private server: Server | null = null;
  jwksUrl = '';

  constructor(readonly kid: string) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  }

  async start(): Promise<void> {
    this.server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      response.end(JSON.stringify({ keys: [this.jwk] }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.jwksUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const input = `${base64url({ alg: 'RS256', typ: 'JWT', kid: this.kid, ...header })}.${base64url({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-42',
      iat: now,
      exp: now + 300,
      ...claims,
    })}`;
    return `${input}.${sign('sha256', Buffer.from(input), this.privateKey).toString('base64url')}`;
  }
}

/** JWT bearer identification through the gateway of the embedded platform, against a local JWKS. */
describe('gateway JWT bearer tokens (embedded platform)', () => {
  const provider = new IdentityProvider('gateway-jwt-1');
  const stranger = new IdentityProvider('gateway-jwt-1'); // same kid, a key the JWKS does not publish
  let embedded: EmbeddedPlatform;

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${embedded.demo.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${embedded.demo.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- admin API JSON, read field by field
    const json = (await response.json()) as any;
    expect([method, path, response.status]).toEqual([method, path, method === 'POST' ? 201 : 200]);
    return json;
  };

  const viaGateway = async (path: string, headers: Record<string, string> = {}): Promise<GatewayAnswer> => {
    const response = await fetch(`${embedded.demo.gatewayUrl}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    await provider.start();
    embedded = await startEmbeddedPlatform('gateway-jwt');
  });

  afterAll(async () => {
    await embedded?.dispose();
    await provider.stop();
  });

  it('admits a valid token for the consumer it names, refuses bad ones, and counts it against the quota like a key', async () => {
    const echoApi = (
      (await admin('GET', '/api/admin/apis')) as { pathPrefix: string; upstreamUrl: string }[]
    ).find((api) => api.pathPrefix === '/echo');
    expect(echoApi).toBeDefined();
    const plan = await admin('POST', '/api/admin/plans', {
      name: 'JWT daily',
      quota: { limit: 4, period: 'day' },
    });
    const consumer = await admin('POST', '/api/admin/consumers', {
      name: 'Token holder',
      email: 'holder@gateway-jwt.test',
      planId: plan.id,
      externalId: 'user-42',
    });
    const key = await admin('POST', `/api/admin/consumers/${consumer.id as string}/keys`, {});
    await admin('POST', '/api/admin/apis', {
      name: 'Orders (JWT)',
      pathPrefix: '/jwt-orders',
      upstreamUrl: echoApi?.upstreamUrl,
      keyInQuery: 'api_key',
      jwt: { jwksUrl: provider.jwksUrl, issuer: ISSUER, audience: AUDIENCE },
    });

    // Until the gateway holds the new snapshot the path is unknown (404), which charges nothing.
    const first = await eventually(
      () => viaGateway('/jwt-orders/v1/orders?expand=items', bearer(provider.token())),
      (answer) => answer.status !== 404,
      10_000,
      'JWT API served by the gateway',
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ path: '/v1/orders', query: { expand: 'items' } });
    expect(first.headers.get('x-ratelimit-remaining')).toBe('3');

    const refusals: [string, string, string][] = [
      ['bad signature', stranger.token(), 'bad_signature'],
      ['expired', provider.token({ exp: Math.floor(Date.now() / 1000) - 3600 }), 'expired'],
      ['wrong audience', provider.token({ aud: 'https://elsewhere.test' }), 'wrong_audience'],
      ['wrong issuer', provider.token({ iss: 'https://evil.test/' }), 'wrong_issuer'],
      ['unknown consumer', provider.token({ sub: 'user-0' }), 'unknown_consumer'],
      ['HS256', provider.token({}, { alg: 'HS256' }), 'algorithm_not_allowed'],
    ];
    for (const [name, token, reason] of refusals) {
      const refused = await viaGateway('/jwt-orders/v1/orders', bearer(token));
      expect([name, refused.status, refused.body?.reason]).toEqual([name, 401, reason]);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }

    // API keys keep working on the same API: in the header, and in the query parameter it allows,
    // which is taken out of what the upstream receives.
    const byQuery = await viaGateway(`/jwt-orders/v1/orders?api_key=${key.key as string}&page=2`);
    expect(byQuery.status).toBe(200);
    expect(byQuery.body.query).toEqual({ page: '2' });
    expect(byQuery.headers.get('x-ratelimit-remaining')).toBe('2');
    const byHeader = await viaGateway('/jwt-orders/v1/orders', { 'x-api-key': key.key as string });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('x-ratelimit-remaining')).toBe('1');
    // The query parameter is only a credential where the API allows it.
    const onEcho = await viaGateway(`/echo/hello?api_key=${key.key as string}`);
    expect(onEcho.status).toBe(401);

    const last = await viaGateway('/jwt-orders/v1/orders', bearer(provider.token()));
    expect(last.status).toBe(200);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    // One quota for the consumer, however it identified itself.
    expect((await viaGateway('/jwt-orders/v1/orders', bearer(provider.token()))).status).toBe(429);
    expect((await viaGateway('/jwt-orders/v1/orders', { 'x-api-key': key.key as string })).status).toBe(429);
  });
});
