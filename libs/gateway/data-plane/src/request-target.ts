/** The request target split into path and query, as received (still percent-encoded). */
export interface RequestTarget {
  /** Starts with `/`. */
  path: string;
  /** Empty, or starting with `?`. */
  query: string;
}

/**
 * Splits `request.url`. Origin-form (`/a?b`) is the norm; absolute-form (`http://h/a?b`, legal in
 * HTTP/1.1) is reduced to its path. Returns null for anything else (`*`, authority-form).
 */
export function parseRequestTarget(url: string): RequestTarget | null {
  if (url.charCodeAt(0) !== 47 /* / */) {
    if (!/^https?:\/\//i.test(url)) return null;
    try {
      const parsed = new URL(url);
      return { path: parsed.pathname, query: parsed.search };
    } catch {
      return null;
    }
  }
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { path: url, query: '' };
  return { path: url.slice(0, queryStart), query: url.slice(queryStart) };
}

function isDotSegment(segment: string): boolean {
  if (segment === '.' || segment === '..') return true;
  if (segment.length < 3 || segment.length > 6) return false;
  const decoded = segment.toLowerCase().replace(/%2e/g, '.');
  return decoded === '.' || decoded === '..';
}

/**
 * Whether the path has a `.` or `..` segment, literal or percent-encoded. Such paths are refused:
 * the upstream would normalise them after the gateway matched the route, so `/v1/public/..`
 * could reach an endpoint the plan does not allow.
 */
export function hasDotSegment(path: string): boolean {
  // Fast path: nearly every path has neither a "/." nor an encoded dot.
  if (path.indexOf('/.') === -1 && path.indexOf('%2') === -1) return false;
  let start = 1;
  while (start <= path.length) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    if (isDotSegment(path.slice(start, end))) return true;
    start = end + 1;
  }
  return false;
}
