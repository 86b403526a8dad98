import { listOutbox, outboxDirectory, readOutboxMessage } from '@tollgate/mail';
import { type UsageSummary } from '@tollgate/metering-domain';
import { type DemoInfo } from '@tollgate/plans-data';
import { type EmbeddedPlatform, startEmbeddedPlatform, eventually } from './support/app-process';

jest.setTimeout(300_000);

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}
interface KeyView {
  id: string;
  consumerId: string;
  key?: string;
  revokedAt?: string | null;
}
interface Profile {
  developer: { id: string; email: string; emailVerified: boolean };
  consumer: { id: string } | null;
  plan: { slug: string } | null;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
}

const password = 'correct horse battery staple';

/**
 * The developer portal against the real embedded platform: signup with the mail outbox, sessions,
 * own keys through the gateway, and the BOLA suite (a developer never reaches another's data).
 */
describe('developer portal (/api/portal, embedded platform)', () => {
  let dataDirectory: string;
  let demo: DemoInfo;
  const signupCount = { value: 0 };

  const portal = (path: string, init: RequestInit & { cookie?: string; json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set('cookie', init.cookie);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${demo.apiUrl}/api/portal${path}`, {
      ...init,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  };

  /** The newest outbox mail to `email` whose subject matches, decoded. */
  const mailTo = (email: string, subject: RegExp) =>
    eventually(
      async () => {
        const directory = outboxDirectory({ TOLLGATE_DATA_DIR: dataDirectory });
        const entry = (await listOutbox(directory)).find(
          (candidate) => candidate.to.includes(email) && subject.test(candidate.subject),
        );
        return entry ? readOutboxMessage(directory, entry.file) : undefined;
      },
      (mail) => mail !== undefined,
      10_000,
      `mail to ${email}`,
    ).then((mail) => mail!);

  const linkIn = (text: string | undefined, pattern: RegExp): string => {
    const match = pattern.exec(text ?? '');
    if (!match) throw new Error(`no link matching ${pattern} in ${text}`);
    return match[0];
  };

  const signup = async (email: string, name: string) => {
    signupCount.value += 1;
    return portal('/signup', { method: 'POST', json: { email, password, name } });
  };

  const login = async (email: string, secret = password): Promise<string> => {
    const response = await portal('/login', { method: 'POST', json: { email, password: secret } });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    return setCookie.split(';')[0];
  };

  /** Signs up, follows the mailed link, logs in: the developer's cookie. */
  const verifiedDeveloper = async (email: string, name: string): Promise<string> => {
    expect((await signup(email, name)).status).toBe(201);
    const mail = await mailTo(email, /Verify your email/);
    expect((await fetch(linkIn(mail.text, /http\S+\/api\/portal\/verify\?token=\S+/))).status).toBe(200);
    return login(email);
  };

  let embedded: EmbeddedPlatform;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('portal');
    ({ demo, dataDirectory } = embedded);
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  let cookieA = '';
  let cookieB = '';

  it('signs up with a mailed, signed link that fails when tampered; login waits for verification', async () => {
    const created = await signup('  Alice@Example.com ', 'Alice');
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      email: 'alice@example.com',
      name: 'Alice',
      emailVerified: false,
    });

    const duplicate = await signup('alice@example.com', 'Alice again');
    expect(duplicate.status).toBe(409);
    expect(((await duplicate.json()) as Problem).detail).toBe('An account with this email already exists');

    const early = await portal('/login', { method: 'POST', json: { email: 'alice@example.com', password } });
    expect(early.status).toBe(403);
    expect(((await early.json()) as Problem).detail).toMatch(/verify your email first/i);

    const mail = await mailTo('alice@example.com', /^Verify your email for Tollgate$/);
    const link = linkIn(mail.text, /http\S+\/api\/portal\/verify\?token=\S+/);
    expect(link.startsWith(`${demo.apiUrl}/api/portal/verify?token=`)).toBe(true);
    const token = decodeURIComponent(new URL(link).searchParams.get('token') ?? '');
    const [payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), exp: 4_102_444_800 }),
    ).toString('base64url');
    for (const tampered of [
      `${payload}.${signature.slice(0, -2)}xx`,
      `${forgedPayload}.${signature}`,
      'garbage',
    ]) {
      const refused = await portal(`/verify?token=${encodeURIComponent(tampered)}`);
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await portal('/verify', { method: 'POST', json: {} })).status).toBe(400);

    const verified = await fetch(link);
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({
      developer: { email: 'alice@example.com', emailVerified: true },
    });

    const response = await portal('/login', {
      method: 'POST',
      json: { email: 'ALICE@example.com', password },
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^tg_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('Max-Age=604800');
    expect(setCookie).not.toContain('Secure'); // http://127.0.0.1
    cookieA = setCookie.split(';')[0];
    const me = (await (await portal('/me', { cookie: cookieA })).json()) as Profile;
    expect(me).toMatchObject({ developer: { email: 'alice@example.com' }, plan: { slug: 'free' } });
  });

  it('answers a wrong password and an unknown email with identical 401 bodies', async () => {
    const wrong = await portal('/login', {
      method: 'POST',
      json: { email: 'alice@example.com', password: 'wrong password!' },
    });
    const unknown = await portal('/login', {
      method: 'POST',
      json: { email: 'nobody@example.com', password },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toBe(await unknown.text());
  });

  it('keeps every developer to their own keys, profile and usage (BOLA)', async () => {
    cookieB = await verifiedDeveloper('bob@example.com', 'Bob');
    const meA = (await (await portal('/me', { cookie: cookieA })).json()) as Profile;
    const meB = (await (await portal('/me', { cookie: cookieB })).json()) as Profile;
    expect(meB.developer.email).toBe('bob@example.com');
    expect(meB.consumer?.id).toBeDefined();
    expect(meB.consumer?.id).not.toBe(meA.consumer?.id);

    const createdA = await portal('/keys', { method: 'POST', cookie: cookieA, json: { name: 'alice-ci' } });
    expect(createdA.status).toBe(201);
    const keyA = (await createdA.json()) as KeyView;
    expect(keyA.key).toMatch(/^tg_live_/);
    expect(keyA.consumerId).toBe(meA.consumer?.id);

    for (const [method, path] of [
      ['DELETE', `/keys/${keyA.id}`],
      ['POST', `/keys/${keyA.id}/rotate`],
    ] as const) {
      const response = await portal(path, { method, cookie: cookieB });
      expect(response.status).toBe(404);
      const text = await response.text();
      expect(text).not.toContain(meA.consumer!.id);
      expect(text).not.toContain('alice');
    }
    // A's key is untouched and B's lists never show it.
    const keysA = (await (await portal('/keys', { cookie: cookieA })).json()) as KeyView[];
    expect(keysA).toEqual([expect.objectContaining({ id: keyA.id, revokedAt: null })]);
    expect(keysA[0]).not.toHaveProperty('key');
    const createdB = (await (await portal('/keys', { method: 'POST', cookie: cookieB })).json()) as KeyView;
    const keysB = (await (await portal('/keys', { cookie: cookieB })).json()) as KeyView[];
    expect(keysB.map((key) => key.id)).toEqual([createdB.id]);
    expect(keysB.every((key) => key.consumerId === meB.consumer?.id)).toBe(true);

    const usageB = (await (await portal('/usage', { cookie: cookieB })).json()) as UsageSummary;
    expect(usageB.consumerId).toBe(meB.consumer?.id);
    expect(usageB.quota).toMatchObject({ limit: 1000 });
    const usageA = (await (await portal('/usage', { cookie: cookieA })).json()) as UsageSummary;
    expect(usageA.consumerId).toBe(meA.consumer?.id);

    // B's own key operations do work.
    expect((await portal(`/keys/${createdB.id}/rotate`, { method: 'POST', cookie: cookieB })).status).toBe(
      201,
    );
    expect((await portal(`/keys/${createdB.id}`, { method: 'DELETE', cookie: cookieB })).status).toBe(200);
  });

  it('answers 401 on every non-public portal operation without a session (walks the OpenAPI document)', async () => {
    const document = (await (await fetch(`${demo.apiUrl}/api/openapi.json`)).json()) as OpenApiDocument;
    const publicOperations = new Set([
      'POST /api/portal/signup',
      'GET /api/portal/verify',
      'POST /api/portal/verify',
      'POST /api/portal/verify/resend',
      'POST /api/portal/login',
      'POST /api/portal/password-reset',
      'POST /api/portal/password-reset/confirm',
      'GET /api/portal/plans',
    ]);
    const walked: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/api/portal')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (publicOperations.has(name)) {
          expect({ name, security: operation.security }).toEqual({ name, security: undefined });
          continue;
        }
        expect({ name, security: operation.security }).toEqual({ name, security: [{ tg_session: [] }] });
        const url = path.replace(/\{[^}]+\}/g, 'key_doesnotexist000000');
        for (const cookie of [
          undefined,
          'tg_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          'other=1',
        ]) {
          const response = await fetch(`${demo.apiUrl}${url}`, {
            method: method.toUpperCase(),
            headers: {
              ...(cookie ? { cookie } : {}),
              ...(method === 'post' ? { 'content-type': 'application/json' } : {}),
            },
            body: method === 'post' ? '{}' : undefined,
          });
          expect({ name, cookie, status: response.status }).toEqual({ name, cookie, status: 401 });
          expect(response.headers.get('content-type')).toContain('application/problem+json');
        }
        walked.push(name);
      }
    }
    expect(walked.sort()).toEqual(
      expect.arrayContaining([
        'DELETE /api/portal/keys/{id}',
        'GET /api/portal/keys',
        'GET /api/portal/me',
        'GET /api/portal/usage',
        'POST /api/portal/keys',
        'POST /api/portal/keys/{id}/rotate',
        'POST /api/portal/logout',
        'POST /api/portal/plan',
      ]),
    );
    // Public ones are listed here on purpose, and each exists.
    for (const name of publicOperations) {
      const [method, path] = name.split(' ');
      expect(document.paths[path]?.[method.toLowerCase()]).toBeDefined();
    }
  });

  it('serves a portal-created key through the gateway and refuses it within 2 s of revocation', async () => {
    const created = (await (
      await portal('/keys', { method: 'POST', cookie: cookieA, json: {} })
    ).json()) as KeyView;
    const call = () =>
      fetch(`${demo.gatewayUrl}${demo.demoPath}`, { headers: { 'x-api-key': created.key! } });
    await eventually(
      async () => (await call()).status,
      (status) => status === 200,
      5_000,
      'new key admitted',
    );
    const revokedAt = Date.now();
    expect((await portal(`/keys/${created.id}`, { method: 'DELETE', cookie: cookieA })).status).toBe(200);
    await eventually(
      async () => (await call()).status,
      (status) => status === 401,
      2_000,
      'revoked key refused',
    );
    expect(Date.now() - revokedAt).toBeLessThan(2_500);
  });

  it('lists public plans without a session and switches only to free ones', async () => {
    const plans = (await (await portal('/plans')).json()) as Array<{
      id: string;
      slug: string;
      free: boolean;
    }>;
    expect(plans.map((plan) => plan.slug)).toEqual(['free', 'starter', 'pro']);
    const starter = plans.find((plan) => plan.slug === 'starter')!;
    const paid = await portal('/plan', { method: 'POST', cookie: cookieB, json: { planId: starter.id } });
    expect(paid.status).toBe(409);
    expect(((await paid.json()) as Problem).detail).toMatch(/paid plans go through checkout/i);
    const free = await portal('/plan', { method: 'POST', cookie: cookieB, json: { planId: plans[0].id } });
    expect(free.status).toBe(200);
    expect(((await free.json()) as Profile).plan?.slug).toBe('free');
    const unknown = await portal('/plan', { method: 'POST', cookie: cookieB, json: { planId: 'plan_nope' } });
    expect(unknown.status).toBe(404);
    const malformed = await portal('/plan', {
      method: 'POST',
      cookie: cookieB,
      json: { planId: 7, extra: true },
    });
    expect(malformed.status).toBe(400);
  });

  it('resets a password by mail (same 202 for unknown emails) and ends the old sessions', async () => {
    const known = await portal('/password-reset', { method: 'POST', json: { email: 'bob@example.com' } });
    const unknown = await portal('/password-reset', {
      method: 'POST',
      json: { email: 'nobody@example.com' },
    });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.text()).toBe(await unknown.text());
    const mail = await mailTo('bob@example.com', /^Reset your Tollgate password$/);
    const token = decodeURIComponent(linkIn(mail.text, /token=(\S+)/).slice('token='.length));
    const confirmed = await portal('/password-reset/confirm', {
      method: 'POST',
      json: { token, password: 'a completely new password' },
    });
    expect(confirmed.status).toBe(204);
    expect((await portal('/me', { cookie: cookieB })).status).toBe(401);
    const reused = await portal('/password-reset/confirm', {
      method: 'POST',
      json: { token, password: 'and another one!' },
    });
    expect(reused.status).toBe(400);
    cookieB = await login('bob@example.com', 'a completely new password');
    expect((await portal('/me', { cookie: cookieB })).status).toBe(200);
  });

  it('logs out: the cookie is cleared and no longer works', async () => {
    const response = await portal('/logout', { method: 'POST', cookie: cookieA });
    expect(response.status).toBe(204);
    expect(response.headers.get('set-cookie')).toMatch(/^tg_session=; .*Max-Age=0/);
    expect((await portal('/me', { cookie: cookieA })).status).toBe(401);
    expect((await portal('/keys', { cookie: cookieA })).status).toBe(401);
  });

  it('limits signups per IP (10 an hour) with a 429 problem and Retry-After', async () => {
    // Earlier tests used some of this address's allowance: fill it up with distinct emails.
    while (signupCount.value < 10) {
      expect((await signup(`filler-${signupCount.value}@example.com`, 'Filler')).status).toBe(201);
    }
    const refused = await signup('one-too-many@example.com', 'Late');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ status: 429, retryAfterSeconds: expect.any(Number) });
  });
});
