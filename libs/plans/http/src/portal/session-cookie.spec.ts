import { clearedSessionCookie, parseCookieHeader, sessionCookie, sessionTokenOf } from './session-cookie';

const token = 'Ab_-0123456789abcdefghijklmnopqrstuvwxyzABC';

describe('parseCookieHeader', () => {
  it('reads name=value pairs separated by semicolons, trimming spaces', () => {
    expect([...parseCookieHeader('a=1; b=two ;c=3')]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', '3'],
    ]);
  });

  it('keeps the first of repeated names, unquotes values and keeps "=" inside values', () => {
    const cookies = parseCookieHeader('x="quoted"; x=second; y=a=b==');
    expect(cookies.get('x')).toBe('quoted');
    expect(cookies.get('y')).toBe('a=b==');
  });

  it('skips malformed pairs and tolerates a missing or empty header', () => {
    expect([...parseCookieHeader('novalue; =nameless; ok=1;;')]).toEqual([['ok', '1']]);
    expect(parseCookieHeader(undefined).size).toBe(0);
    expect(parseCookieHeader('').size).toBe(0);
  });

  it('joins a header given as several lines', () => {
    expect(parseCookieHeader(['a=1', 'b=2']).get('b')).toBe('2');
  });
});

describe('sessionTokenOf', () => {
  it('finds tg_session among other cookies', () => {
    expect(sessionTokenOf(`theme=dark; tg_session=${token}; other=x`)).toBe(token);
  });

  it('ignores a missing, empty or non-base64url session value', () => {
    expect(sessionTokenOf('theme=dark')).toBeUndefined();
    expect(sessionTokenOf('tg_session=')).toBeUndefined();
    expect(sessionTokenOf("tg_session=abc'; DROP TABLE sessions;--aaaaaaaaaaaaaaaaaaaaaaaa")).toBeUndefined();
    expect(sessionTokenOf('tg_session=short')).toBeUndefined();
  });
});

describe('sessionCookie', () => {
  it('is httpOnly, SameSite=Lax, whole-site, with a max age, and Secure only over https', () => {
    expect(sessionCookie(token, { maxAgeSeconds: 604800, secure: false })).toBe(
      `tg_session=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800`,
    );
    expect(sessionCookie(token, { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
  });

  it('clears with an empty value, Max-Age=0 and a past expiry', () => {
    expect(clearedSessionCookie(false)).toBe(
      'tg_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    );
  });
});
