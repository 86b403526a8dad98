import {
  adminSessionCookie,
  adminSessionTokenOf,
  clearedAdminSessionCookie,
  isSafeMethod,
} from './admin-session-cookie';

const token = `tg_adm_${'a1'.repeat(20)}`;

describe('adminSessionCookie', () => {
  it('is httpOnly, SameSite=Strict, limited to the admin API and lives as long as the session', () => {
    expect(adminSessionCookie(token, { maxAgeSeconds: 43_199.7, secure: false })).toBe(
      `tg_admin_session=${token}; Path=/api/admin; HttpOnly; SameSite=Strict; Max-Age=43199`,
    );
  });

  it('is Secure when the control plane is reached over https', () => {
    expect(adminSessionCookie(token, { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
  });

  it('is cleared with an empty value, Max-Age=0 and a past expiry', () => {
    expect(clearedAdminSessionCookie(true)).toBe(
      'tg_admin_session=; Path=/api/admin; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure',
    );
  });
});

describe('adminSessionTokenOf', () => {
  it('reads a well-formed admin session token among other cookies', () => {
    expect(adminSessionTokenOf(`tg_session=abc; tg_admin_session=${token}`)).toBe(token);
  });

  it('ignores a missing, empty or malformed value and the portal cookie', () => {
    expect(adminSessionTokenOf(undefined)).toBeUndefined();
    expect(adminSessionTokenOf('tg_admin_session=')).toBeUndefined();
    expect(adminSessionTokenOf('tg_admin_session=tg_admin_bootstrap_token')).toBeUndefined();
    expect(adminSessionTokenOf(`tg_session=${token}`)).toBeUndefined();
  });
});

describe('isSafeMethod', () => {
  it('treats only reads as safe', () => {
    expect(['GET', 'HEAD', 'OPTIONS'].every(isSafeMethod)).toBe(true);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].some(isSafeMethod)).toBe(false);
  });
});
