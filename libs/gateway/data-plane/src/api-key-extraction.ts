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

/** The `Authorization: Bearer <token>` value alone (X-API-Key and the query are not looked at). */
export function extractBearerToken(rawHeaders: readonly string[]): string | null {
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      const token = bearerToken(rawHeaders[index + 1]);
      if (token !== null) return token;
    }
  }
  return null;
}

/** Index at or after `from` where the parameter `name` (`name=…` or bare `name`) of `query` starts, or -1. */
function parameterStart(query: string, name: string, from: number): number {
  while (from < query.length) {
    const found = query.indexOf(name, from);
    if (found === -1) return -1;
    const before = query.charCodeAt(found - 1);
    const end = found + name.length;
    const after = end === query.length ? 38 /* the end counts as & */ : query.charCodeAt(end);
    if ((before === 63 /* ? */ || before === 38) /* & */ && (after === 61 /* = */ || after === 38)) {
      return found;
    }
    from = end;
  }
  return -1;
}

/**
 * The percent-decoded value of the first non-empty query parameter `name` (`?api_key=…`), or null.
 * `query` is a request target's query: empty or starting with `?`.
 */
export function extractQueryParameter(query: string, name: string): string | null {
  let start = parameterStart(query, name, 1);
  while (start !== -1) {
    const valueStart = start + name.length + 1;
    let valueEnd = query.indexOf('&', valueStart - 1);
    if (valueEnd === -1) valueEnd = query.length;
    if (valueEnd >= valueStart) {
      const value = decodeQueryValue(query.slice(valueStart, valueEnd));
      if (value !== null) return value;
    }
    start = parameterStart(query, name, valueEnd);
  }
  return null;
}

function decodeQueryValue(raw: string): string | null {
  let value = raw;
  if (raw.indexOf('%') !== -1 || raw.indexOf('+') !== -1) {
    try {
      value = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return null;
    }
  }
  value = value.trim();
  return value.length > 0 ? value : null;
}

/** `query` without the parameter `name`, so a key sent in the URL never reaches the upstream. */
export function withoutQueryParameter(query: string, name: string): string {
  if (parameterStart(query, name, 1) === -1) return query;
  const kept: string[] = [];
  for (const part of query.slice(1).split('&')) {
    if (part === name || part.startsWith(`${name}=`)) continue;
    kept.push(part);
  }
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}
