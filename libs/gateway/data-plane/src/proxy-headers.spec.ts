import {
  clientResponseHeaders,
  connectionListedHeaders,
  isHopByHopHeader,
  upstreamRequestHeaders,
} from './proxy-headers';

function flat(list: Array<[string, string]>): string[] {
  return list.flat();
}

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let index = 0; index < flat.length; index += 2) out.push([flat[index], flat[index + 1]]);
  return out;
}

describe('isHopByHopHeader', () => {
  it.each([
    'connection',
    'keep-alive',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'proxy-authorization',
    'proxy-connection',
  ])('%s is hop-by-hop', (name) => expect(isHopByHopHeader(name)).toBe(true));

  it.each(['content-type', 'content-length', 'accept', 'x-custom'])('%s is end-to-end', (name) =>
    expect(isHopByHopHeader(name)).toBe(false),
  );
});

describe('connectionListedHeaders', () => {
  it('ignores close and keep-alive', () => {
    expect(connectionListedHeaders('keep-alive')).toBeNull();
    expect(connectionListedHeaders(undefined)).toBeNull();
  });

  it('collects the other tokens, lower-cased', () => {
    expect(connectionListedHeaders('close, X-Secret, x-other')).toEqual(new Set(['x-secret', 'x-other']));
  });
});

describe('upstreamRequestHeaders', () => {
  const context = { requestId: 'req-1', clientAddress: '10.0.0.9', protocol: 'http' as const };

  it('drops hop-by-hop headers, the credentials and the Connection-listed headers', () => {
    const headers = upstreamRequestHeaders(
      flat([
        ['Host', 'api.example.com'],
        ['Connection', 'keep-alive, X-Hop'],
        ['X-Hop', 'secret'],
        ['Keep-Alive', 'timeout=5'],
        ['Transfer-Encoding', 'chunked'],
        ['TE', 'trailers'],
        ['Upgrade', 'websocket'],
        ['Proxy-Authorization', 'Basic x'],
        ['Authorization', 'Bearer tg_live_key'],
        ['X-API-Key', 'tg_live_key'],
        ['Expect', '100-continue'],
        ['Content-Type', 'application/json'],
        ['Accept', 'a/b'],
        ['Accept', 'c/d'],
      ]),
      context,
    );
    expect(pairs(headers)).toEqual([
      ['content-type', 'application/json'],
      ['accept', 'a/b'],
      ['accept', 'c/d'],
      ['x-forwarded-for', '10.0.0.9'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'api.example.com'],
      ['x-request-id', 'req-1'],
    ]);
  });

  it('appends to X-Forwarded-For and replaces the other forwarding headers and the request id', () => {
    const headers = upstreamRequestHeaders(
      flat([
        ['X-Forwarded-For', '1.1.1.1'],
        ['x-forwarded-for', '2.2.2.2'],
        ['X-Forwarded-Proto', 'https'],
        ['X-Forwarded-Host', 'spoofed'],
        ['X-Request-Id', 'client-id'],
      ]),
      { ...context, protocol: 'https' },
    );
    expect(pairs(headers)).toEqual([
      ['x-forwarded-for', '1.1.1.1, 2.2.2.2, 10.0.0.9'],
      ['x-forwarded-proto', 'https'],
      ['x-request-id', 'req-1'],
    ]);
  });
});

describe('clientResponseHeaders', () => {
  it('strips hop-by-hop headers, Tollgate-Usage and gateway-owned headers, keeps repeated fields', () => {
    const { headers, usage } = clientResponseHeaders({
      'content-type': 'application/json',
      connection: 'keep-alive, x-internal',
      'x-internal': 'no',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'tollgate-usage': 'sms=1',
      'x-ratelimit-limit': '999',
      ratelimit: '"x";r=1',
      'x-request-id': 'upstream-id',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(usage).toBe('sms=1');
    expect(pairs(headers)).toEqual([
      ['content-type', 'application/json'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
  });

  it('joins a repeated Tollgate-Usage field', () => {
    expect(clientResponseHeaders({ 'tollgate-usage': ['sms=1', 'mms=2'] }).usage).toBe('sms=1, mms=2');
  });
});
