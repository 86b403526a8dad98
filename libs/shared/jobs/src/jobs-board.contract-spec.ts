import { randomUUID } from 'node:crypto';
import { createLogger } from '@tollgate/observability';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createBullmqJobs } from './bullmq-jobs.adapter';
import { hasBoardCredentials, type JobsBoard, mountJobsBoard } from './jobs-board';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ app: 'jobs-board-contract', level: 'silent' });
const token = 'board-token-0123456789abcdef';
const basic = (password: string) => `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`;

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

describe('jobs board (Bull Board on BullMQ)', () => {
  const prefix = `tgtest-board-${randomUUID()}`;
  let fastify: FastifyInstance;
  let board: JobsBoard;

  beforeAll(async () => {
    fastify = Fastify();
    board = await mountJobsBoard(fastify, { redisUrl, prefix, names: ['billing.test-job'], token });
    await fastify.ready();
  });

  afterAll(async () => {
    await fastify.close();
    await board.close();
    await deleteKeys(prefix);
  });

  it('asks for the operator token and refuses a wrong one', async () => {
    const anonymous = await fastify.inject({ method: 'GET', url: '/jobs' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Basic');
    const wrong = await fastify.inject({
      method: 'GET',
      url: '/jobs',
      headers: { authorization: basic('nope') },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('serves the board and lists a dead-lettered job of its queue', async () => {
    const jobs = createBullmqJobs({ connection: redisUrl, prefix, logger });
    jobs.define('billing.test-job', async () => {
      throw new Error('always fails');
    });
    await jobs.start();
    await jobs.enqueue('billing.test-job', { n: 1 }, { jobId: 'job-1', attempts: 1 });
    const deadline = Date.now() + 10_000;
    while ((await jobs.failed('billing.test-job')).length === 0) {
      if (Date.now() > deadline) throw new Error('job did not fail in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await jobs.close();

    const page = await fastify.inject({
      method: 'GET',
      url: '/jobs',
      headers: { authorization: basic(token) },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');

    const api = await fastify.inject({
      method: 'GET',
      url: '/jobs/api/queues?activeQueue=billing.test-job&status=failed&page=1',
      headers: { authorization: basic(token) },
    });
    expect(api.statusCode).toBe(200);
    const body = api.json<{
      queues: Array<{
        name: string;
        counts: { failed: number };
        jobs: Array<{ id: string; failedReason: string }>;
      }>;
    }>();
    const queue = body.queues.find((entry) => entry.name === 'billing.test-job');
    expect(queue?.counts.failed).toBe(1);
    expect(queue?.jobs.map((job) => [job.id, job.failedReason])).toEqual([['job-1', 'always fails']]);
  });
});

describe('hasBoardCredentials', () => {
  it('accepts only Basic credentials whose password is the token', () => {
    expect(hasBoardCredentials(basic(token), token)).toBe(true);
    expect(hasBoardCredentials(basic(`${token}x`), token)).toBe(false);
    expect(hasBoardCredentials(`Bearer ${token}`, token)).toBe(false);
    expect(hasBoardCredentials(undefined, token)).toBe(false);
    expect(hasBoardCredentials('Basic !!!', token)).toBe(false);
  });
});
