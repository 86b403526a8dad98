function bearerToken(value: string): string | null {
  // RFC 9110: the scheme is case-insensitive; one or more spaces separate it from the token.
  if (value.length < 8 || value.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = value.slice(7).trim();
  return token.length > 0 ? token : null;
}

/**
 * The API key a request presents: `Authorization: Bearer <key>`, else `X-API-Key: <key>`. Reads
 * `rawHeaders` (name, value, name, value, …) so Node does not have to build `request.headers`.
 */
export function extractApiKey(rawHeaders: readonly string[]): string | null {
  let fromHeader: string | null = null;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      const token = bearerToken(rawHeaders[index + 1]);
      if (token !== null) return token;
    } else if (fromHeader === null && name.length === 9 && name.toLowerCase() === 'x-api-key') {
      const value = rawHeaders[index + 1].trim();
      if (value.length > 0) fromHeader = value;
    }
  }
  return fromHeader;
}
