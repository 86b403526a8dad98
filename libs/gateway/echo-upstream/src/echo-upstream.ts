import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { PROBLEM_CONTENT_TYPE, toProblem, ValidationError } from '@tollgate/errors';

export interface EchoUpstreamOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface EchoUpstream {
  server: Server;
  port: number;
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Stops at once: open connections and pending delays are dropped. */
  close(): Promise<void>;
}

/** What the echo answers with (unless `?bytes=` asks for a filler body). */
export interface EchoReply {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** The request body as UTF-8 text, cut at 64 KiB. */
  body: string;
  /** How many request-body bytes arrived, including any beyond the 64 KiB echoed. */
  bodyBytes: number;
}

export const ECHO_BODY_LIMIT = 64 * 1024;
export const ECHO_MAX_DELAY_MS = 30_000;
export const ECHO_MAX_FILLER_BYTES = 100 * 1024 * 1024;
/** Response header carrying the number of request-body bytes the echo received. */
export const ECHO_BODY_BYTES_HEADER = 'x-echo-body-bytes';

interface EchoInstructions {
  status: number;
  usage: string | null;
  delayMs: number;
  fillerBytes: number | null;
}

const filler = Buffer.alloc(64 * 1024, 'tollgate-echo ');

function integerParameter(raw: string | null, name: string, min: number, max: number): number | null {
  if (raw === null) return null;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ValidationError([{ field: name, message: `must be an integer between ${min} and ${max}` }]);
  }
  return Number(raw);
}

function readInstructions(query: URLSearchParams): EchoInstructions {
  // 1xx are informational and cannot end an exchange, so the echo only answers final statuses.
  const status = integerParameter(query.get('status'), 'status', 200, 599) ?? 200;
  const delayMs = integerParameter(query.get('delay'), 'delay', 0, ECHO_MAX_DELAY_MS) ?? 0;
  const fillerBytes = integerParameter(query.get('bytes'), 'bytes', 0, ECHO_MAX_FILLER_BYTES);
  const usage = query.get('usage');
  // Only visible ASCII and spaces can go into a header value unchanged.
  if (usage !== null && (usage.length === 0 || usage.length > 1024 || !/^[\x20-\x7e]+$/.test(usage))) {
    throw new ValidationError([
      { field: 'usage', message: 'must be 1–1024 printable ASCII characters (a Tollgate-Usage dictionary)' },
    ]);
  }
  return { status, usage, delayMs, fillerBytes };
}

function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [existing, value];
  }
  return out;
}

function sendProblem(response: ServerResponse, error: unknown): void {
  const body = JSON.stringify(toProblem(error));
  response.writeHead(error instanceof ValidationError ? 400 : 500, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function bodyAllowed(request: IncomingMessage, status: number): boolean {
  return request.method !== 'HEAD' && status !== 204 && status !== 304;
}

function writeFiller(response: ServerResponse, total: number): void {
  let left = total;
  const writeMore = (): void => {
    while (left > 0) {
      const size = Math.min(left, filler.length);
      left -= size;
      const chunk = size === filler.length ? filler : filler.subarray(0, size);
      if (!response.write(chunk)) {
        response.once('drain', writeMore);
        return;
      }
    }
    response.end();
  };
  writeMore();
}

/**
 * A small upstream for demos and tests: echoes the request as JSON, and on request answers with a
 * chosen status (`?status=`), a `Tollgate-Usage` header (`?usage=`), after a delay (`?delay=` ms)
 * or with a filler body of N bytes (`?bytes=`).
 */
export async function createEchoUpstream(options: EchoUpstreamOptions): Promise<EchoUpstream> {
  const pendingDelays = new Set<NodeJS.Timeout>();

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://echo.invalid');
    let instructions: EchoInstructions;
    try {
      instructions = readInstructions(url.searchParams);
    } catch (error) {
      sendProblem(response, error);
      return;
    }

    const echoed: Buffer[] = [];
    let echoedBytes = 0;
    let bodyBytes = 0;
    request.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (echoedBytes < ECHO_BODY_LIMIT) {
        const part = chunk.subarray(0, ECHO_BODY_LIMIT - echoedBytes);
        echoed.push(part);
        echoedBytes += part.length;
      }
    });

    const respond = (): void => {
      if (response.destroyed) return;
      const headers: Record<string, string | number> = { [ECHO_BODY_BYTES_HEADER]: bodyBytes };
      if (instructions.usage !== null) headers['tollgate-usage'] = instructions.usage;
      if (instructions.fillerBytes !== null) {
        headers['content-type'] = 'application/octet-stream';
        headers['content-length'] = instructions.fillerBytes;
        response.writeHead(instructions.status, headers);
        if (bodyAllowed(request, instructions.status)) writeFiller(response, instructions.fillerBytes);
        else response.end();
        return;
      }
      const reply: EchoReply = {
        method: request.method ?? 'GET',
        path: url.pathname,
        query: queryObject(url.searchParams),
        headers: request.headers,
        body: Buffer.concat(echoed).toString('utf8'),
        bodyBytes,
      };
      const body = JSON.stringify(reply);
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
      response.writeHead(instructions.status, headers);
      response.end(bodyAllowed(request, instructions.status) ? body : undefined);
    };

    request.on('end', () => {
      if (instructions.delayMs === 0) {
        respond();
        return;
      }
      const timer = setTimeout(() => {
        pendingDelays.delete(timer);
        respond();
      }, instructions.delayMs);
      pendingDelays.add(timer);
      // A caller that gave up (e.g. a gateway timeout) must not keep the timer alive.
      response.once('close', () => {
        clearTimeout(timer);
        pendingDelays.delete(timer);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pendingDelays) clearTimeout(timer);
        pendingDelays.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
