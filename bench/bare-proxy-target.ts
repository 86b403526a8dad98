import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Pool } from 'undici';

/**
 * Benchmark target: the cheapest honest Node proxy — `node:http` in front of an undici Pool with the
 * gateway's pool settings, streaming both ways, no policy. The upstream URL is the first argument.
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name)) result[name] = value;
  }
  return result;
}

async function main(): Promise<void> {
  const upstream = process.argv[2];
  if (!upstream) throw new Error('usage: bare-proxy-target.ts <upstream url>');
  // Same settings as the gateway's UpstreamPools.
  const pool = new Pool(upstream, { connectTimeout: 10_000, keepAliveTimeout: 4000 });
  const server = createServer((request, response) => {
    pool
      .request({
        method: request.method as 'GET',
        path: request.url ?? '/',
        headers: forwardable(request.headers),
        body: request.method === 'GET' || request.method === 'HEAD' ? null : request,
      })
      .then((answer) => {
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
        }
        response.writeHead(answer.statusCode, headers);
        answer.body.pipe(response);
      })
      .catch(() => {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    void pool.close().then(() => process.exit(0));
  });
}

void main();
