import { type IncomingHttpHeaders } from 'node:http';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus Proxy-*. */
export function isHopByHopHeader(lowerName: string): boolean {
  switch (lowerName) {
    case 'connection':
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
    case 'http2-settings':
      return true;
    default:
      return lowerName.startsWith('proxy-');
  }
}

/**
 * Header names a Connection field lists (they are hop-by-hop too), other than the `close` and
 * `keep-alive` options every client sends. null when there are none, which is nearly always.
 */
export function connectionListedHeaders(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  let listed: Set<string> | null = null;
  for (const token of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    listed ??= new Set<string>();
    listed.add(name);
  }
  return listed;
}

function withoutListed(headers: string[], listed: Set<string>): string[] {
  const kept: string[] = [];
  for (let index = 0; index < headers.length; index += 2) {
    if (!listed.has(headers[index])) kept.push(headers[index], headers[index + 1]);
  }
  return kept;
}

export interface ForwardingContext {
  requestId: string;
  /** The client's address as the gateway sees it; undefined once the socket is gone. */
  clientAddress: string | undefined;
  protocol: 'http' | 'https';
}

/**
 * The headers sent upstream, as a flat [name, value, …] list with lower-case names: hop-by-hop
 * headers and the consumer's credentials removed, `Host` left to the connection pool (the
 * upstream's own host), `X-Forwarded-For` appended to, `X-Forwarded-Proto`/`-Host` and
 * `X-Request-Id` set by the gateway.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], context: ForwardingContext): string[] {
  const headers: string[] = [];
  let host: string | undefined;
  let forwardedFor: string | undefined;
  let connection: string | undefined;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index].toLowerCase();
    const value = rawHeaders[index + 1];
    switch (name) {
      case 'connection':
        connection = connection === undefined ? value : `${connection},${value}`;
        continue;
      case 'host':
        host = value;
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'authorization': // the consumer's key never reaches the upstream
      case 'x-api-key':
      case 'expect': // Node already answered 100-continue; undici refuses the header
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'x-request-id':
        continue;
      default:
        if (isHopByHopHeader(name)) continue;
        headers.push(name, value);
    }
  }
  const listed = connectionListedHeaders(connection);
  const forwarded = listed === null ? headers : withoutListed(headers, listed);
  if (context.clientAddress !== undefined) {
    forwarded.push(
      'x-forwarded-for',
      forwardedFor === undefined ? context.clientAddress : `${forwardedFor}, ${context.clientAddress}`,
    );
  } else if (forwardedFor !== undefined) {
    forwarded.push('x-forwarded-for', forwardedFor);
  }
  forwarded.push('x-forwarded-proto', context.protocol);
  if (host !== undefined) forwarded.push('x-forwarded-host', host);
  forwarded.push('x-request-id', context.requestId);
  return forwarded;
}

/** Response headers the gateway sets itself; an upstream's own values would contradict them. */
function isGatewayOwnedResponseHeader(lowerName: string): boolean {
  switch (lowerName) {
    case 'x-request-id':
    case 'x-ratelimit-limit':
    case 'x-ratelimit-remaining':
    case 'x-ratelimit-reset':
    case 'ratelimit':
    case 'ratelimit-policy':
      return true;
    default:
      return false;
  }
}

export interface ClientResponseHeaders {
  /** Flat [name, value, …] list for `response.writeHead`. */
  headers: string[];
  /** The upstream's `Tollgate-Usage` field (joined when repeated), removed from `headers`. */
  usage: string | undefined;
}

/**
 * The upstream response headers the client gets: hop-by-hop headers, `Tollgate-Usage` and the
 * headers the gateway owns removed. Repeated fields (Set-Cookie) stay separate lines.
 */
export function clientResponseHeaders(upstream: IncomingHttpHeaders): ClientResponseHeaders {
  const headers: string[] = [];
  let usage: string | undefined;
  let connection: string | string[] | undefined;
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined) continue;
    if (name === 'connection') {
      connection = value;
      continue;
    }
    if (name === 'tollgate-usage') {
      usage = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    if (isHopByHopHeader(name) || isGatewayOwnedResponseHeader(name)) continue;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) headers.push(name, value[index]);
    } else {
      headers.push(name, value);
    }
  }
  const listed = connectionListedHeaders(connection);
  return { headers: listed === null ? headers : withoutListed(headers, listed), usage };
}
