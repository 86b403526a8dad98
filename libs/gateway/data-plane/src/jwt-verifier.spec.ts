import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type SnapshotApiJwt } from '@tollgate/gateway-snapshot';
import { identifyJwtConsumer } from './jwt-identification';
import { cacheControlMaxAge, JwksCache, parseJwks } from './jwt-jwks-cache';
import { jwtSettings, JwtVerifier, looksLikeJwt } from './jwt-verifier';
import { SnapshotStore } from './snapshot-store';
import { apiFixture, consumerFixture, planFixture, snapshotFixture } from './testing';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'https://api.test';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

function signingKey(kid: string, alg: SigningKey['alg']): SigningKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    alg,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig' },
  };
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function signToken(
  key: SigningKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${base64url({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })}.${base64url(claims)}`;
  const data = Buffer.from(input);
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'PS256'
        ? sign('sha256', data, { key: key.privateKey, padding: 6 /* PSS */, saltLength: 32 })
        : key.alg === 'EdDSA'
          ? sign(null, data, key.privateKey)
          : sign('sha256', data, key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** A JWKS endpoint whose keys and Cache-Control the test changes as it goes; it counts fetches. */
class JwksServer {
  keys: SigningKey[] = [];
  cacheControl: string | null = 'max-age=600';
  status = 200;
  fetches = 0;
  url = '';
  private server: Server | null = null;

  async start(): Promise<void> {
    this.server = createServer((_request, response) => {
      this.fetches += 1;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.cacheControl !== null) headers['cache-control'] = this.cacheControl;
      response.writeHead(this.status, headers);
      response.end(JSON.stringify({ keys: this.keys.map((key) => key.jwk) }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('JWT verification against a JWKS served over HTTP', () => {
  const server = new JwksServer();
  const rsa = signingKey('rsa-1', 'RS256');
  const ec = signingKey('ec-1', 'ES256');
  const rotated = signingKey('rsa-2', 'RS256');
  const ed = signingKey('ed-1', 'EdDSA');
  const pss = signingKey('pss-1', 'PS256');
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const seconds = () => Math.floor(clock / 1000);

  const config = (overrides: Partial<SnapshotApiJwt> = {}): SnapshotApiJwt => ({
    jwksUrl: server.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    consumerClaim: 'sub',
    algorithms: ['RS256', 'ES256'],
    clockToleranceSeconds: 30,
    ...overrides,
  });

  const verifierFor = (overrides: Partial<SnapshotApiJwt> = {}, cache?: JwksCache) => {
    const settings = jwtSettings(config(overrides));
    if (typeof settings === 'string') throw new Error(settings);
    return new JwtVerifier(settings, cache ?? new JwksCache({ now: () => clock }));
  };

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-42',
    iat: seconds() - 10,
    exp: seconds() + 300,
    ...overrides,
  });

  beforeAll(async () => {
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(() => {
    server.keys = [rsa, ec, ed, pss];
    server.cacheControl = 'max-age=600';
    server.status = 200;
    server.fetches = 0;
  });

  it('accepts RS256 and ES256 tokens and names the consumer by the configured claim', async () => {
    const verifier = verifierFor();
    await expect(verifier.verify(signToken(rsa, claims()), clock)).resolves.toMatchObject({
      ok: true,
      consumerRef: 'user-42',
    });
    await expect(verifier.verify(signToken(ec, claims()), clock)).resolves.toMatchObject({
      ok: true,
      consumerRef: 'user-42',
    });
    const byClient = verifierFor({ consumerClaim: 'client_id' });
    await expect(
      byClient.verify(signToken(rsa, claims({ client_id: 'app-7' })), clock),
    ).resolves.toMatchObject({ ok: true, consumerRef: 'app-7' });
    await expect(byClient.verify(signToken(rsa, claims()), clock)).resolves.toMatchObject({
      ok: false,
      reason: 'missing_consumer_claim',
    });
    // One fetch served every verification above (two verifiers, two caches).
    expect(server.fetches).toBe(2);
  });

  it('accepts PS256 and EdDSA only where the API lists them', async () => {
    const strict = verifierFor();
    await expect(strict.verify(signToken(ed, claims()), clock)).resolves.toMatchObject({
      ok: false,
      reason: 'algorithm_not_allowed',
    });
    const open = verifierFor({ algorithms: ['PS256', 'EdDSA'] });
    await expect(open.verify(signToken(ed, claims()), clock)).resolves.toMatchObject({ ok: true });
    await expect(open.verify(signToken(pss, claims()), clock)).resolves.toMatchObject({ ok: true });
    await expect(open.verify(signToken(rsa, claims()), clock)).resolves.toMatchObject({
      ok: false,
      reason: 'algorithm_not_allowed',
    });
  });

  it('refuses a token whose signature does not match its content', async () => {
    const verifier = verifierFor();
    const token = signToken(rsa, claims());
    const [header, , signature] = token.split('.');
    const forged = `${header}.${base64url(claims({ sub: 'someone-else' }))}.${signature}`;
    await expect(verifier.verify(forged, clock)).resolves.toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    // Signed by a key that is not in the set, under a kid that is.
    const impostor = signingKey('rsa-1', 'RS256');
    await expect(verifier.verify(signToken(impostor, claims()), clock)).resolves.toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('checks exp, nbf and iat with the clock tolerance', async () => {
    const verifier = verifierFor();
    const verify = (overrides: Record<string, unknown>) =>
      verifier.verify(signToken(rsa, claims(overrides)), clock);
    await expect(verify({ exp: seconds() - 31 })).resolves.toMatchObject({ ok: false, reason: 'expired' });
    await expect(verify({ exp: seconds() - 20 })).resolves.toMatchObject({ ok: true });
    await expect(verify({ exp: undefined })).resolves.toMatchObject({ ok: false, reason: 'missing_expiry' });
    await expect(verify({ exp: 'tomorrow' })).resolves.toMatchObject({ ok: false, reason: 'malformed' });
    await expect(verify({ nbf: seconds() + 60 })).resolves.toMatchObject({
      ok: false,
      reason: 'not_yet_valid',
    });
    await expect(verify({ nbf: seconds() + 20 })).resolves.toMatchObject({ ok: true });
    await expect(verify({ iat: seconds() + 60 })).resolves.toMatchObject({
      ok: false,
      reason: 'issued_in_future',
    });
    const exact = verifierFor({ clockToleranceSeconds: 0 });
    await expect(exact.verify(signToken(rsa, claims({ exp: seconds() })), clock)).resolves.toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });

  it('requires the configured issuer and audience (a string or one entry of an array)', async () => {
    const verifier = verifierFor();
    const verify = (overrides: Record<string, unknown>) =>
      verifier.verify(signToken(rsa, claims(overrides)), clock);
    await expect(verify({ iss: 'https://evil.test/' })).resolves.toMatchObject({
      ok: false,
      reason: 'wrong_issuer',
    });
    await expect(verify({ aud: 'https://other.test' })).resolves.toMatchObject({
      ok: false,
      reason: 'wrong_audience',
    });
    await expect(verify({ aud: undefined })).resolves.toMatchObject({ ok: false, reason: 'wrong_audience' });
    await expect(verify({ aud: ['https://other.test', AUDIENCE] })).resolves.toMatchObject({ ok: true });
  });

  it('refuses algorithm confusion: HS256 keyed with the public key, none, and a key of another type', async () => {
    const verifier = verifierFor();
    const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const hsInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' })}.${base64url(claims())}`;
    const hsToken = `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`;
    await expect(verifier.verify(hsToken, clock)).resolves.toMatchObject({
      ok: false,
      reason: 'algorithm_not_allowed',
    });
    const noneInput = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}`;
    await expect(verifier.verify(`${noneInput}.`, clock)).resolves.toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    await expect(verifier.verify(`${noneInput}.AAAA`, clock)).resolves.toMatchObject({
      ok: false,
      reason: 'algorithm_not_allowed',
    });
    // An ES256 header naming the RSA key's kid: the key does not fit the algorithm.
    const mismatched = signToken({ ...ec, kid: 'rsa-1' }, claims());
    await expect(verifier.verify(mismatched, clock)).resolves.toMatchObject({
      ok: false,
      reason: 'algorithm_not_allowed',
    });
    const critical = signToken(rsa, claims(), { crit: ['exp'] });
    await expect(verifier.verify(critical, clock)).resolves.toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refetches the set for an unknown kid (signing keys rotate), at most once per 30 s', async () => {
    const cache = new JwksCache({ now: () => clock });
    const verifier = verifierFor({}, cache);
    server.keys = [rsa];
    await expect(verifier.verify(signToken(rsa, claims()), clock)).resolves.toMatchObject({ ok: true });
    expect(server.fetches).toBe(1);

    // The issuer starts signing with a new key and publishes it.
    server.keys = [rsa, rotated];
    await expect(verifier.verify(signToken(rotated, claims()), clock)).resolves.toMatchObject({ ok: true });
    expect(server.fetches).toBe(2);

    // Made-up kids within 30 s do not reach the issuer again.
    for (const kid of ['nope-1', 'nope-2', 'nope-3']) {
      await expect(verifier.verify(signToken({ ...rotated, kid }, claims()), clock)).resolves.toMatchObject({
        ok: false,
        reason: 'unknown_key',
      });
    }
    expect(server.fetches).toBe(2);

    clock += 31_000;
    const third = signingKey('rsa-3', 'RS256');
    server.keys = [rotated, third];
    await expect(verifier.verify(signToken(third, claims()), clock)).resolves.toMatchObject({ ok: true });
    expect(server.fetches).toBe(3);
    // The retired key is gone from the set now.
    await expect(verifier.verify(signToken(rsa, claims()), clock)).resolves.toMatchObject({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('keeps the set for its Cache-Control max-age (10 min without one) and serves stale keys when the issuer is down', async () => {
    const cache = new JwksCache({ now: () => clock });
    const verifier = verifierFor({}, cache);
    server.cacheControl = 'public, max-age=120';
    const token = () => signToken(rsa, claims());
    await verifier.verify(token(), clock);
    clock += 119_000;
    await verifier.verify(token(), clock);
    expect(server.fetches).toBe(1);
    clock += 2_000;
    server.cacheControl = null;
    await verifier.verify(token(), clock);
    expect(server.fetches).toBe(2);
    clock += 599_000;
    await verifier.verify(token(), clock);
    expect(server.fetches).toBe(2);
    clock += 2_000;
    server.status = 500;
    await expect(verifier.verify(token(), clock)).resolves.toMatchObject({ ok: true });
    expect(server.fetches).toBe(3);
  });

  it('reports unavailable keys when the set was never fetched, and backs off', async () => {
    server.status = 503;
    const verifier = verifierFor();
    const token = signToken(rsa, claims());
    await expect(verifier.verify(token, clock)).resolves.toMatchObject({
      ok: false,
      reason: 'keys_unavailable',
    });
    await expect(verifier.verify(token, clock)).resolves.toMatchObject({ reason: 'keys_unavailable' });
    expect(server.fetches).toBe(1);
    server.status = 200;
    clock += 5_000;
    await expect(verifier.verify(token, clock)).resolves.toMatchObject({ ok: true });
  });

  it('identifies the consumer whose externalId is the claim, and refuses an unknown one', async () => {
    const store = new SnapshotStore({ jwks: new JwksCache({ now: () => clock }) });
    const snapshot = store.replace(
      snapshotFixture({
        apis: [apiFixture({ id: 'orders', upstreamUrl: 'http://127.0.0.1:9', jwt: config() })],
        plans: [planFixture({ id: 'plan_a' })],
        consumers: [consumerFixture({ id: 'cons_a', planId: 'plan_a', externalId: 'user-42' })],
      }),
    );
    const api = snapshot.apis[0];
    const known = await identifyJwtConsumer(snapshot, api, signToken(rsa, claims()), clock);
    expect(known.consumer?.record.id).toBe('cons_a');
    const unknown = await identifyJwtConsumer(snapshot, api, signToken(rsa, claims({ sub: 'x' })), clock);
    expect(unknown).toMatchObject({
      consumer: null,
      problem: { status: 401, reason: 'unknown_consumer' },
      headers: ['www-authenticate', expect.stringContaining('error="invalid_token"')],
    });
  });
});

describe('JWT helpers', () => {
  it('recognises the compact serialization', () => {
    expect(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe(true);
    expect(looksLikeJwt('tg_live_0123456789abcdefghijklmnopqrstuv')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt('a..c')).toBe(false);
    expect(looksLikeJwt('a.b.c.d')).toBe(false);
    expect(looksLikeJwt('a.b+.c')).toBe(false);
  });

  it('reads Cache-Control max-age', () => {
    expect(cacheControlMaxAge('public, max-age=300')).toBe(300);
    expect(cacheControlMaxAge('no-store')).toBe(0);
    expect(cacheControlMaxAge('public')).toBeNull();
    expect(cacheControlMaxAge(null)).toBeNull();
  });

  it('keeps only public signature keys of a set', () => {
    const rsa = signingKey('ok', 'RS256');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const keys = parseJwks({
      keys: [
        rsa.jwk,
        { ...weak, kid: 'weak' },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
        { ...rsa.jwk, kid: 'enc', use: 'enc' },
        'garbage',
      ],
    });
    expect(keys.all.map((key) => key.kid)).toEqual(['ok']);
    expect(() => parseJwks({ nokeys: [] })).toThrow(/JSON Web Key Set/);
  });

  it('refuses a configuration it cannot use', () => {
    const base = {
      jwksUrl: 'https://issuer.test/jwks',
      issuer: ISSUER,
      audience: AUDIENCE,
      consumerClaim: 'sub',
      algorithms: ['RS256'],
      clockToleranceSeconds: 30,
    };
    expect(typeof jwtSettings(base)).toBe('object');
    expect(jwtSettings({ ...base, jwksUrl: 'ftp://issuer.test/jwks' })).toMatch(/http/);
    expect(jwtSettings({ ...base, algorithms: ['HS256', 'none'] })).toMatch(/no supported algorithm/);
  });
});
