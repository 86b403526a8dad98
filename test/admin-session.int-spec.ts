import { type EmbeddedPlatform, startEmbeddedPlatform } from './support/app-process';

jest.setTimeout(300_000);

interface Answer {
  status: number;
  contentType: string;
  setCookie: string;
  cacheControl: string;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted field by field
  body: any;
}

interface CallOptions {
  body?: unknown;
  bearer?: string;
  cookie?: string;
  /** Sends `X-Requested-With: XMLHttpRequest`, as the admin console does. */
  csrfHeader?: boolean;
  headers?: Record<string, string>;
}

const owner = { email: 'owner@tollgate.test', name: 'Owner', password: 'a long owner password' };
const viewer = { email: 'viewer@tollgate.test', name: 'Viewer', password: 'a long viewer password' };
const plan = (name: string) => ({ name, quota: { limit: 10, period: 'day' } });

/** The admin console's cookie session: login, cookie auth, CSRF, logout and the bootstrap token exchange. */
describe('admin session cookie (embedded platform)', () => {
  let embedded: EmbeddedPlatform;

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.bearer) headers['authorization'] = `Bearer ${options.bearer}`;
    if (options.cookie) headers['cookie'] = options.cookie;
    if (options.csrfHeader) headers['x-requested-with'] = 'XMLHttpRequest';
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${embedded.demo.apiUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      setCookie: response.headers.get('set-cookie') ?? '',
      cacheControl: response.headers.get('cache-control') ?? '',
      text,
      body,
    };
  };

  /** `name=value` of a Set-Cookie header, as a browser sends it back. */
  const cookieOf = (answer: Answer): string => answer.setCookie.split(';')[0];

  const expectProblem = (answer: Answer, status: number) => {
    expect({ status: answer.status, body: answer.body }).toMatchObject({ status, body: { status } });
    expect(answer.contentType).toContain('application/problem+json');
  };

  const login = (user: { email: string; password: string }) =>
    call('POST', '/api/admin/session', { body: { email: user.email, password: user.password } });

  const planCount = async (): Promise<number> => {
    const list = await call('GET', '/api/admin/plans?includeArchived=true', {
      bearer: embedded.demo.adminToken,
    });
    expect(list.status).toBe(200);
    return (Array.isArray(list.body) ? list.body : list.body.items).length as number;
  };

  let ownerId = '';
  let viewerId = '';

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('admin-session');
    for (const [user, role] of [
      [owner, 'owner'],
      [viewer, 'viewer'],
    ] as const) {
      const created = await call('POST', '/api/admin/admin-users', {
        bearer: embedded.demo.adminToken,
        body: { ...user, role },
      });
      expect(created.status).toBe(201);
      if (role === 'owner') ownerId = created.body.id as string;
      else viewerId = created.body.id as string;
    }
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  it('sets an httpOnly, SameSite=Strict session cookie on login, keeping the bearer token answer', async () => {
    const answer = await login(owner);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ role: 'owner', token: expect.stringMatching(/^tg_adm_/) });
    const attributes = answer.setCookie.split(';').map((part) => part.trim());
    expect(attributes[0]).toBe(`tg_admin_session=${answer.body.token as string}`);
    expect(attributes).toEqual(expect.arrayContaining(['Path=/api/admin', 'HttpOnly', 'SameSite=Strict']));
    const maxAge = Number(attributes.find((part) => part.startsWith('Max-Age='))?.slice('Max-Age='.length));
    expect(maxAge).toBeGreaterThan(11.9 * 3600);
    expect(maxAge).toBeLessThanOrEqual(12 * 3600);
    // Reached over plain http here, so not Secure (https public URLs get Secure).
    expect(attributes).not.toContain('Secure');
    expect(answer.cacheControl).toBe('no-store');

    // A failed login sets nothing.
    const wrong = await call('POST', '/api/admin/session', {
      body: { email: owner.email, password: 'not the password' },
    });
    expectProblem(wrong, 401);
    expect(wrong.setCookie).toBe('');
  });

  it('authenticates reads with the cookie and restores who is signed in', async () => {
    const cookie = cookieOf(await login(viewer));
    const me = await call('GET', '/api/admin/session', { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      kind: 'user',
      role: 'viewer',
      expiresAt: expect.any(String),
      user: { id: viewerId, email: viewer.email, name: viewer.name },
      authenticatedBy: 'cookie',
    });
    expect(me.text).not.toMatch(/tg_adm_/);
    expect(me.cacheControl).toBe('no-store');
    expect((await call('GET', '/api/admin/plans', { cookie })).status).toBe(200);
    // The role still applies: a viewer's cookie cannot write, even with the header.
    expectProblem(await call('POST', '/api/admin/plans', { cookie, csrfHeader: true, body: plan('V') }), 403);

    // No cookie, a malformed one or an unknown one: 401.
    expectProblem(await call('GET', '/api/admin/session'), 401);
    expectProblem(await call('GET', '/api/admin/session', { cookie: 'tg_admin_session=nonsense' }), 401);
    expectProblem(
      await call('GET', '/api/admin/session', {
        cookie: 'tg_admin_session=tg_adm_0000000000000000000000000000000000000000',
      }),
      401,
    );
    // An Authorization header decides alone: a bogus bearer token is not rescued by the cookie.
    expectProblem(
      await call('GET', '/api/admin/session', { cookie, bearer: 'tg_adm_bogus000000000000' }),
      401,
    );
    // The portal's cookie is another thing entirely.
    const portalCookie = `tg_session=${cookie.split('=')[1]}`;
    expectProblem(await call('GET', '/api/admin/plans', { cookie: portalCookie }), 401);
  });

  it('refuses a cookie-authenticated write without the X-Requested-With header (CSRF)', async () => {
    const cookie = cookieOf(await login(owner));
    const before = await planCount();

    const forged = await call('POST', '/api/admin/plans', { cookie, body: plan('Forged') });
    expectProblem(forged, 403);
    expect(forged.body.detail).toMatch(/x-requested-with/i);
    // A browser that says the request comes from another site is refused even with the header.
    expectProblem(
      await call('POST', '/api/admin/plans', {
        cookie,
        csrfHeader: true,
        headers: { 'sec-fetch-site': 'cross-site' },
        body: plan('Cross site'),
      }),
      403,
    );
    expect(await planCount()).toBe(before);

    const made = await call('POST', '/api/admin/plans', {
      cookie,
      csrfHeader: true,
      headers: { 'sec-fetch-site': 'same-origin' },
      body: plan('By cookie'),
    });
    expect(made.status).toBe(201);
    expect(await planCount()).toBe(before + 1);
    const audit = await call(
      'GET',
      `/api/admin/audit-log?entityType=plan&entityId=${made.body.id as string}`,
      {
        cookie,
      },
    );
    expect(audit.body.items[0]).toMatchObject({
      action: 'plan.create',
      actorType: 'admin_user',
      actorId: ownerId,
    });

    // Bearer-authenticated writes (API clients) need no such header.
    expect(
      (await call('POST', '/api/admin/plans', { bearer: embedded.demo.adminToken, body: plan('By bearer') }))
        .status,
    ).toBe(201);
  });

  it('logs out: revokes the cookie session and clears the cookie (the header is needed here too)', async () => {
    const cookie = cookieOf(await login(owner));
    expectProblem(await call('DELETE', '/api/admin/session', { cookie }), 403);
    expect((await call('GET', '/api/admin/session', { cookie })).status).toBe(200);

    const out = await call('DELETE', '/api/admin/session', { cookie, csrfHeader: true });
    expect(out.status).toBe(204);
    const attributes = out.setCookie.split(';').map((part) => part.trim());
    expect(attributes).toEqual(
      expect.arrayContaining(['tg_admin_session=', 'Path=/api/admin', 'HttpOnly', 'Max-Age=0']),
    );
    // The server forgets the session: replaying the old cookie no longer works.
    expectProblem(await call('GET', '/api/admin/session', { cookie }), 401);

    // Logging out with the bearer token (API clients) ends that session as before.
    const token = (await login(owner)).body.token as string;
    expect((await call('DELETE', '/api/admin/session', { bearer: token })).status).toBe(204);
    expectProblem(await call('GET', '/api/admin/session', { bearer: token }), 401);
  });

  it('ends the cookie session of an admin user who is disabled', async () => {
    const cookie = cookieOf(await login(viewer));
    expect((await call('GET', '/api/admin/session', { cookie })).status).toBe(200);
    const disabled = await call('PATCH', `/api/admin/admin-users/${viewerId}`, {
      bearer: embedded.demo.adminToken,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    expectProblem(await call('GET', '/api/admin/session', { cookie }), 401);
  });

  it('exchanges the bootstrap token for an owner cookie session, audit-logged, never answering a token', async () => {
    const bootstrap = embedded.demo.adminToken;
    expectProblem(await call('POST', '/api/admin/session/token'), 401);
    expectProblem(
      await call('POST', '/api/admin/session/token', { bearer: 'tg_admin_not_the_token_00000' }),
      401,
    );

    const exchanged = await call('POST', '/api/admin/session/token', { bearer: bootstrap });
    expect(exchanged.status).toBe(201);
    expect(exchanged.body).toEqual({
      kind: 'bootstrap',
      role: 'owner',
      expiresAt: expect.any(String),
      user: null,
      authenticatedBy: 'bearer',
    });
    expect(exchanged.text).not.toMatch(/tg_adm/);
    const cookie = cookieOf(exchanged);
    expect(cookie).toMatch(/^tg_admin_session=tg_adm_[a-z0-9]+$/);
    expect(cookie).not.toContain(bootstrap);
    expect(exchanged.setCookie).toMatch(/HttpOnly/);

    const me = await call('GET', '/api/admin/session', { cookie });
    expect(me.body).toMatchObject({
      kind: 'bootstrap',
      role: 'owner',
      user: null,
      authenticatedBy: 'cookie',
    });
    const made = await call('POST', '/api/admin/plans', {
      cookie,
      csrfHeader: true,
      body: plan('By bootstrap'),
    });
    expect(made.status).toBe(201);
    // Owner-only operations work with the bootstrap session.
    expect((await call('GET', '/api/admin/admin-users', { cookie })).status).toBe(200);

    const audit = await call('GET', '/api/admin/audit-log?entityType=admin_token&limit=5', { cookie });
    expect(audit.body.items[0]).toMatchObject({
      action: 'admin_session.create',
      actorType: 'admin_token',
      actorId: 'bootstrap',
      entityId: 'bootstrap',
    });

    // A session cannot mint another one: not with the cookie, not with an owner user's bearer token.
    expectProblem(await call('POST', '/api/admin/session/token', { cookie, csrfHeader: true }), 403);
    const ownerToken = (await login(owner)).body.token as string;
    const byUser = await call('POST', '/api/admin/session/token', { bearer: ownerToken });
    expectProblem(byUser, 403);
    expect(byUser.setCookie).toBe('');

    // Signing out ends the bootstrap session; the bootstrap token itself keeps working.
    expect((await call('DELETE', '/api/admin/session', { cookie, csrfHeader: true })).status).toBe(204);
    expectProblem(await call('GET', '/api/admin/session', { cookie }), 401);
    const direct = await call('GET', '/api/admin/session', { bearer: bootstrap });
    expect(direct.body).toEqual({
      kind: 'bootstrap',
      role: 'owner',
      expiresAt: null,
      user: null,
      authenticatedBy: 'bearer',
    });
  });
});
