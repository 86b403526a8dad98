import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ApiError, createApiClient, errorMessage } from './api-client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (request: Seen, response: ServerResponse) => void;

function problem(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/problem+json' });
  response.end(JSON.stringify(body));
}

/** Canned answers by path; every request is recorded. */
const routes: Record<string, Handler> = {
  '/api/test/ok': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ hello: 'world' }));
  },
  '/api/test/echo': (request, response) => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ method: request.method, body: request.body ? JSON.parse(request.body) : null }),
    );
  },
  '/api/test/empty': (_request, response) => {
    response.writeHead(204);
    response.end();
  },
  '/api/test/text': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('plain words');
  },
  '/api/test/invalid': (_request, response) =>
    problem(response, 400, {
      type: 'https://tollgate.dev/problems/validation-failed',
      title: 'Invalid request',
      status: 400,
      detail: 'quota.limit: Too small; prices.0.unitAmountMinor: Must be an integer amount in minor units',
      errors: [
        { field: 'quota.limit', message: 'Too small' },
        { field: 'prices.0.unitAmountMinor', message: 'Must be an integer amount in minor units' },
        { field: 'quota.limit', message: 'A second message for the same field' },
      ],
    }),
  '/api/test/conflict': (_request, response) =>
    problem(response, 409, {
      type: 'https://tollgate.dev/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'A plan with slug "starter" already exists',
      field: 'slug',
    }),
  '/api/test/unique': (_request, response) =>
    problem(response, 409, {
      title: 'Conflict',
      status: 409,
      detail: 'Another record already has this consumerId, name',
      field: 'consumerId,name',
    }),
  '/api/test/unauthenticated': (_request, response) =>
    problem(response, 401, { title: 'Unauthorized', status: 401, detail: 'A valid credential is required' }),
  '/api/test/crash': (_request, response) => {
    response.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' });
    response.end('<html>oops</html>');
  },
  '/api/test/broken-json': (_request, response) => {
    response.writeHead(500, { 'content-type': 'application/problem+json' });
    response.end('{"title": ');
  },
};

let server: Server;
let origin: string;
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: Seen = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      const handler = routes[new URL(entry.url, 'http://localhost').pathname];
      if (handler) return handler(entry, response);
      problem(response, 404, { title: 'Not found', status: 404, detail: `No route ${entry.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

beforeEach(() => {
  seen = [];
});

function client(extra: Partial<Parameters<typeof createApiClient>[0]> = {}) {
  return createApiClient({ basePath: `${origin}/api/test`, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('createApiClient', () => {
  it('gets JSON with the extra headers and asks for JSON', async () => {
    const api = client({ headers: () => ({ 'x-requested-with': 'tollgate' }) });
    await expect(api.get('/ok')).resolves.toEqual({ hello: 'world' });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/test/ok', body: '' });
    expect(seen[0].headers).toMatchObject({ accept: 'application/json', 'x-requested-with': 'tollgate' });
    expect(seen[0].headers['content-type']).toBeUndefined();
  });

  it('adds the query, leaving out undefined values', async () => {
    await client().get('/ok', {
      query: { includeArchived: false, limit: 25, cursor: undefined, q: 'a b&c' },
    });
    expect(seen[0].url).toBe('/api/test/ok?includeArchived=false&limit=25&q=a+b%26c');
    await client().request('/ok?page=2', { query: { size: 10 } });
    expect(seen[1].url).toBe('/api/test/ok?page=2&size=10');
  });

  it('sends JSON bodies, and an empty object when there is none', async () => {
    const api = client();
    await expect(api.post('/echo', { name: 'Starter' })).resolves.toEqual({
      method: 'POST',
      body: { name: 'Starter' },
    });
    await expect(api.patch('/echo')).resolves.toEqual({ method: 'PATCH', body: {} });
    await expect(api.put('/echo', [1, 2])).resolves.toEqual({ method: 'PUT', body: [1, 2] });
    expect(seen[0].headers['content-type']).toBe('application/json');
  });

  it('sends DELETE without a body', async () => {
    await client().delete('/echo');
    expect(seen[0]).toMatchObject({ method: 'DELETE', body: '' });
    expect(seen[0].headers['content-type']).toBeUndefined();
  });

  it('answers undefined for 204 and the text of a non-JSON answer', async () => {
    await expect(client().post('/empty')).resolves.toBeUndefined();
    await expect(client().get('/text')).resolves.toBe('plain words');
  });
});

describe('ApiError from problem+json', () => {
  it('maps a 400 problem to field errors, first message per field', async () => {
    const error = await failure(client().post('/invalid', {}));
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      'quota.limit: Too small; prices.0.unitAmountMinor: Must be an integer amount in minor units',
    );
    expect(error.fieldErrors).toEqual({
      'quota.limit': 'Too small',
      'prices.0.unitAmountMinor': 'Must be an integer amount in minor units',
    });
    expect(error.problem.title).toBe('Invalid request');
  });

  it('places a conflict at the field it names', async () => {
    const error = await failure(client().post('/conflict', {}));
    expect(error.status).toBe(409);
    expect(error.fieldErrors).toEqual({ slug: 'A plan with slug "starter" already exists' });
  });

  it('places a unique-key conflict at each of its fields', async () => {
    const error = await failure(client().post('/unique', {}));
    expect(error.fieldErrors).toEqual({
      consumerId: 'Another record already has this consumerId, name',
      name: 'Another record already has this consumerId, name',
    });
  });

  it('tells on every 401 and marks the error as unauthenticated', async () => {
    let signedOut = 0;
    const error = await failure(
      client({ onUnauthenticated: () => (signedOut += 1) }).get('/unauthenticated'),
    );
    expect(signedOut).toBe(1);
    expect(error.isUnauthenticated).toBe(true);
    expect(error.isNotFound).toBe(false);
    expect(error.message).toBe('A valid credential is required');
  });

  it('marks a 404 as not found without signing out', async () => {
    let signedOut = 0;
    const error = await failure(client({ onUnauthenticated: () => (signedOut += 1) }).get('/missing'));
    expect(error.isNotFound).toBe(true);
    expect(signedOut).toBe(0);
  });

  it('makes a problem of a non-JSON error page from its status line', async () => {
    const error = await failure(client().get('/crash'));
    expect(error.status).toBe(502);
    expect(error.problem).toEqual({ status: 502, title: 'Bad Gateway' });
    expect(error.message).toBe('Bad Gateway');
    expect(error.fieldErrors).toEqual({});
  });

  it('makes a problem of a broken JSON error body', async () => {
    const error = await failure(client().get('/broken-json'));
    expect(error.status).toBe(500);
    expect(error.message).toBe('Internal Server Error');
  });

  it('falls back to the status when a problem has neither detail nor title', () => {
    expect(new ApiError(418, {}).message).toBe('Request failed with status 418');
  });
});

describe('errorMessage', () => {
  it('says the server could not be reached when the connection fails', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await createApiClient({ basePath: `http://127.0.0.1:${port}` })
      .get('/ok')
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).not.toBeInstanceOf(ApiError);
    expect(errorMessage(error)).toMatch(/^The server could not be reached \(.+\)$/);
  });

  it('uses the problem detail of an API error and a generic sentence for anything else', () => {
    expect(errorMessage(new ApiError(409, { detail: 'Taken' }))).toBe('Taken');
    expect(errorMessage('nope')).toBe('Something went wrong');
  });
});
