/** The portal's session cookie, parsed and written by hand (no cookie plugin is installed). */

export const sessionCookieName = 'tg_session';

/**
 * Cookie header → name/value pairs (RFC 6265 §5.4 shape: `a=1; b=2`). The first occurrence of a
 * name wins, as browsers send the most specific path first; values in quotes are unquoted;
 * malformed pairs are skipped; nothing is URL-decoded (our values are base64url).
 */
export function parseCookieHeader(header: string | string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const pair of text.split(';')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator).trim();
    let value = pair.slice(separator + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name.length === 0 || cookies.has(name)) continue;
    cookies.set(name, value);
  }
  return cookies;
}

/** The session token of a request, when it carries a well-formed one. */
export function sessionTokenOf(header: string | string[] | undefined): string | undefined {
  const value = parseCookieHeader(header).get(sessionCookieName);
  // Tokens are 43 base64url characters; anything else is not worth a database lookup.
  return value !== undefined && /^[A-Za-z0-9_-]{20,128}$/.test(value) ? value : undefined;
}

export interface SessionCookieOptions {
  /** Seconds until the browser drops it; 0 deletes it. */
  maxAgeSeconds: number;
  /** Set when the control plane is reached over https. */
  secure: boolean;
}

/** httpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs), whole-site path. */
export function sessionCookie(token: string, options: SessionCookieOptions): string {
  const attributes = [
    `${sessionCookieName}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
  ];
  if (options.maxAgeSeconds <= 0) attributes.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { maxAgeSeconds: 0, secure });
}
