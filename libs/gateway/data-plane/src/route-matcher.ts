import { type SnapshotRoute } from '@tollgate/gateway-snapshot';

const LITERAL = 0;
const PARAM = 1;
const WILDCARD = 2;

interface TemplateSegment {
  kind: typeof LITERAL | typeof PARAM | typeof WILDCARD;
  /** The literal text; empty for parameters and the wildcard. */
  text: string;
}

/** A route with its path template split once, so matching walks the request path without allocating. */
export interface CompiledRoute {
  /** Upper-case method, or `*` for any method. */
  method: string;
  endpoint: string;
  costWeight: number;
  pathTemplate: string;
  segments: readonly TemplateSegment[];
}

/**
 * Compiles a route's path template: `/v1/orders/:id` has literal and `:param` segments; a final `*`
 * matches the rest of the path (including nothing). Throws on a template that is not a path.
 */
export function compileRoute(route: SnapshotRoute): CompiledRoute {
  const template = route.pathTemplate;
  if (!template.startsWith('/')) throw new Error(`path template "${template}" must start with /`);
  const parts = template === '/' ? [] : template.slice(1).split('/');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // a trailing slash is not a segment
  const segments = parts.map((part, index): TemplateSegment => {
    if (part === '*') {
      if (index !== parts.length - 1) throw new Error(`"*" must be the last segment of "${template}"`);
      return { kind: WILDCARD, text: '' };
    }
    if (part.startsWith(':')) {
      if (part.length === 1) throw new Error(`parameter without a name in "${template}"`);
      return { kind: PARAM, text: '' };
    }
    if (part === '') throw new Error(`empty segment in "${template}"`);
    return { kind: LITERAL, text: part };
  });
  const method = route.method.toUpperCase();
  if (!Number.isFinite(route.costWeight) || route.costWeight < 0) {
    throw new Error(`cost weight of "${route.endpoint}" must be a non-negative number`);
  }
  return { method, endpoint: route.endpoint, costWeight: route.costWeight, pathTemplate: template, segments };
}

/** Negative when `a` is more specific than `b`: literal before parameter before wildcard, then exact method. */
function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index += 1) {
    // A template that ends here is more specific than one that continues with a wildcard.
    const rankA = a.segments[index]?.kind ?? -1;
    const rankB = b.segments[index]?.kind ?? -1;
    if (rankA !== rankB) return rankA - rankB;
  }
  return (a.method === '*' ? 1 : 0) - (b.method === '*' ? 1 : 0);
}

/** Sorts compiled routes so that the first match is the most specific one. Stable for equal specificity. */
export function sortRoutes(routes: CompiledRoute[]): CompiledRoute[] {
  return routes.sort(bySpecificity);
}

function templateMatches(segments: readonly TemplateSegment[], path: string): boolean {
  let position = 1; // just after the leading slash
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index];
    if (segment.kind === WILDCARD) return true;
    if (position > path.length) return false;
    let end = path.indexOf('/', position);
    if (end === -1) end = path.length;
    if (segment.kind === PARAM) {
      if (end === position) return false;
    } else if (end - position !== segment.text.length || !path.startsWith(segment.text, position)) {
      return false;
    }
    position = end + 1;
  }
  // Everything consumed; one trailing slash is tolerated.
  return position >= path.length;
}

/**
 * The most specific route for a method and a path relative to the API prefix (starting with `/`,
 * without the query). HEAD falls back to a GET route when no HEAD route matches.
 */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
): CompiledRoute | null {
  for (let index = 0; index < routes.length; index += 1) {
    const route = routes[index];
    if ((route.method === method || route.method === '*') && templateMatches(route.segments, path))
      return route;
  }
  if (method === 'HEAD') {
    for (let index = 0; index < routes.length; index += 1) {
      const route = routes[index];
      if (route.method === 'GET' && templateMatches(route.segments, path)) return route;
    }
  }
  return null;
}

const unmatchedEndpoints = new Map<string, string>();

/**
 * The endpoint name of a request no route matched: `${METHOD} *`. The raw path would make the
 * endpoint dimension unbounded (every id a new value), so all unrouted calls of a method share one name.
 */
export function unmatchedEndpoint(method: string): string {
  let endpoint = unmatchedEndpoints.get(method);
  if (endpoint === undefined) {
    endpoint = `${method} *`;
    // Methods come from Node's parser (a closed set), so this map stays small.
    unmatchedEndpoints.set(method, endpoint);
  }
  return endpoint;
}
