import { request } from 'undici';
import { createEchoUpstream, type EchoReply, type EchoUpstream } from './echo-upstream';

describe('echo upstream (over real HTTP)', () => {
  let echo: EchoUpstream;

  beforeAll(async () => {
    echo = await createEchoUpstream({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await echo.close();
  });

  it('echoes method, path, query, headers and body as JSON', async () => {
    const response = await request(`${echo.url}/v1/orders/42?expand=items&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-custom': 'yes' },
      body: 'hello echo',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-echo-body-bytes']).toBe('10');
    const reply = (await response.body.json()) as EchoReply;
    expect(reply).toMatchObject({
      method: 'POST',
      path: '/v1/orders/42',
      query: { expand: 'items', tag: ['a', 'b'] },
      body: 'hello echo',
      bodyBytes: 10,
    });
    expect(reply.headers['x-custom']).toBe('yes');
  });

  it('answers with the status asked for', async () => {
    const response = await request(`${echo.url}/anything?status=503`);
    expect(response.statusCode).toBe(503);
    expect(((await response.body.json()) as EchoReply).path).toBe('/anything');
  });

  it('sends the usage parameter verbatim in Tollgate-Usage', async () => {
    const response = await request(`${echo.url}/sms?usage=${encodeURIComponent('sms=1, txn_value=12550')}`);
    expect(response.headers['tollgate-usage']).toBe('sms=1, txn_value=12550');
    await response.body.dump();
  });

  it('waits for the delay before answering', async () => {
    const started = performance.now();
    const response = await request(`${echo.url}/slow?delay=150`);
    await response.body.dump();
    expect(response.statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('echoes at most 64 KiB of the body but counts all of it', async () => {
    const body = Buffer.alloc(200 * 1024, 'x');
    const response = await request(`${echo.url}/upload`, { method: 'PUT', body });
    const reply = (await response.body.json()) as EchoReply;
    expect(reply.body).toHaveLength(64 * 1024);
    expect(reply.bodyBytes).toBe(200 * 1024);
  });

  it('streams a filler body of the requested size', async () => {
    const response = await request(`${echo.url}/download?bytes=300000`);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect((await response.body.arrayBuffer()).byteLength).toBe(300_000);
  });

  it.each([
    ['status=100', 'status'],
    ['status=600', 'status'],
    ['status=abc', 'status'],
    ['delay=30001', 'delay'],
    ['delay=-5', 'delay'],
    ['usage=', 'usage'],
    ['usage=%0Asms%3D1', 'usage'],
    ['bytes=1e3', 'bytes'],
  ])('rejects %s with a problem naming the parameter', async (query, parameter) => {
    const response = await request(`${echo.url}/x?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const problem = (await response.body.json()) as { status: number; errors: Array<{ field: string }> };
    expect(problem.status).toBe(400);
    expect(problem.errors.map((issue) => issue.field)).toEqual([parameter]);
  });
});
