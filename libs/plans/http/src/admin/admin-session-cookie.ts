import { parseCookieHeader } from '../portal/session-cookie';

/** The admin console's session cookie; distinct from the portal's `tg_session`. */
export const adminSessionCookieName = 'tg_admin_session';

/**
 * Sent only to the admin API: page loads, assets and the portal and ingest APIs never carry it.
 * The console restores its session with `GET /api/admin/session`, so `/admin` pages need no cookie.
 */
export const adminSessionCookiePath = '/api/admin';

/**
 * A request authenticated by the cookie that changes something must carry this header (any
 * value). Browsers let a cross-site page set custom headers only after a CORS preflight, which
 * the control plane never grants, so a forged form or script request cannot add it.
 */
export const adminCsrfHeader = 'x-requested-with';

/** The admin session token of a request's cookies, when it carries a well-formed one. */
export function adminSessionTokenOf(header: string | string[] | undefined): string | undefined {
  const value = parseCookieHeader(header).get(adminSessionCookieName);
  // Session tokens are `tg_adm_` and 40 base36 characters; anything else is not worth a lookup.
  return value !== undefined && /^tg_adm_[a-z0-9]{20,128}$/.test(value) ? value : undefined;
}

export interface AdminSessionCookieOptions {
  /** Seconds until the browser drops it (the session's own expiry); 0 deletes it. */
  maxAgeSeconds: number;
  /** Set when the control plane is reached over https. */
  secure: boolean;
}

/**
 * httpOnly (no script reads it), SameSite=Strict (never sent on a request another site starts,
 * not even a top-level link), Path=/api/admin, and Max-Age = the session's remaining lifetime.
 */
export function adminSessionCookie(token: string, options: AdminSessionCookieOptions): string {
  const maxAge = Math.max(0, Math.floor(options.maxAgeSeconds));
  const attributes = [
    `${adminSessionCookieName}=${token}`,
    `Path=${adminSessionCookiePath}`,
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAge}`,
  ];
  if (maxAge === 0) attributes.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

export function clearedAdminSessionCookie(secure: boolean): string {
  return adminSessionCookie('', { maxAgeSeconds: 0, secure });
}

/** True for methods that only read (they need no CSRF header). */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
