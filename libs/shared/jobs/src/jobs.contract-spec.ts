import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createLogger } from '@tollgate/observability';
import { type Jobs } from '@tollgate/ports';
import { Redis } from 'ioredis';
import { createBullmqJobs } from './bullmq-jobs.adapter';
import { createInProcessJobs } from './in-process-jobs.adapter';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ app: 'jobs-contract', level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Deletes every key BullMQ wrote under one test's prefix. */
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

interface Harness {
  jobs: Jobs;
  cleanup(): Promise<void>;
}

// Each BullMQ test gets its own key prefix, so tests and suites can share one Redis in parallel.
const adapters: Array<[string, () => Harness]> = [
  ['in-process', () => ({ jobs: createInProcessJobs({ logger }), cleanup: async () => undefined })],
  [
    'bullmq',
    () => {
      const prefix = `tgtest-${randomUUID()}`;
      return {
        jobs: createBullmqJobs({ connection: redisUrl, prefix, logger }),
        cleanup: () => deleteKeys(prefix),
      };
    },
  ],
];

describe.each(adapters)('Jobs contract (%s)', (_adapter, create) => {
  let harness: Harness;
  let jobs: Jobs;

  beforeEach(async () => {
    harness = create();
    jobs = harness.jobs;
    // An unreachable Redis fails here, so every test of the suite fails rather than skips.
    await jobs.ping();
  });

  afterEach(async () => {
    await jobs.close();
    await harness.cleanup();
  });

  it('runs a job once with its data', async () => {
    const runs: unknown[] = [];
    jobs.define<{ to: string }>('send-mail', async (data, context) => {
      runs.push({ data, context });
    });
    await jobs.start();
    const jobId = await jobs.enqueue('send-mail', { to: 'dev@example.com' });

    await waitFor('the job', () => runs.length > 0);
    await sleep(100);
    expect(runs).toEqual([{ data: { to: 'dev@example.com' }, context: { jobId, attempt: 1 } }]);
  });

  it('runs jobs enqueued before start once started', async () => {
    const runs: number[] = [];
    jobs.define<{ n: number }>('push-usage', async (data) => {
      runs.push(data.n);
    });
    await jobs.enqueue('push-usage', { n: 1 });
    await jobs.enqueue('push-usage', { n: 2 });
    await sleep(50);
    expect(runs).toEqual([]);

    await jobs.start();
    await waitFor('both jobs', () => runs.length === 2);
    expect(runs).toEqual([1, 2]);
  });

  it('runs a job id once however often it is enqueued', async () => {
    const runs: number[] = [];
    jobs.define<{ n: number }>('threshold-alert', async (data) => {
      runs.push(data.n);
    });
    await jobs.start();
    const first = await jobs.enqueue('threshold-alert', { n: 1 }, { jobId: 'alert-cons_1-p1-80' });
    const second = await jobs.enqueue('threshold-alert', { n: 2 }, { jobId: 'alert-cons_1-p1-80' });
    expect([first, second]).toEqual(['alert-cons_1-p1-80', 'alert-cons_1-p1-80']);

    await waitFor('the job', () => runs.length > 0);
    // A completed job is retained, so its id stays taken.
    expect(await jobs.enqueue('threshold-alert', { n: 3 }, { jobId: 'alert-cons_1-p1-80' })).toBe(
      'alert-cons_1-p1-80',
    );
    await sleep(150);
    expect(runs).toEqual([1]);
  });

  it('retries a failing job with exponential backoff', async () => {
    const tries: Array<{ attempt: number; at: number }> = [];
    jobs.define('sync-stripe', async (_data, context) => {
      tries.push({ attempt: context.attempt, at: Date.now() });
      if (context.attempt < 3) throw new Error(`transient ${context.attempt}`);
    });
    await jobs.start();
    await jobs.enqueue('sync-stripe', {}, { attempts: 3, backoffMs: 50 });

    await waitFor('three tries', () => tries.length === 3);
    await sleep(100);
    expect(tries.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    // Waits of 50 then 100 ms: the base, then twice the base.
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(50);
    expect(tries[2].at - tries[1].at).toBeGreaterThanOrEqual(100);
    expect(await jobs.failed('sync-stripe')).toEqual([]);
  });

  it('lists a job that exhausted its attempts as failed, with its error', async () => {
    let calls = 0;
    jobs.define('send-webhook', async () => {
      calls += 1;
      throw new Error('endpoint answered 500');
    });
    await jobs.start();
    const jobId = await jobs.enqueue(
      'send-webhook',
      { url: 'https://example.com/hook' },
      {
        attempts: 2,
        backoffMs: 20,
      },
    );

    await waitFor('the dead letter', async () => (await jobs.failed('send-webhook')).length > 0);
    const failed = await jobs.failed('send-webhook');
    expect(failed).toEqual([
      {
        jobId,
        name: 'send-webhook',
        data: { url: 'https://example.com/hook' },
        attempts: 2,
        error: 'endpoint answered 500',
        failedAt: expect.any(Number),
      },
    ]);
    await sleep(100);
    expect(calls).toBe(2);
  });

  it('lists dead letters newest first', async () => {
    jobs.define<{ n: number }>('dunning', async (data) => {
      throw new Error(`failed ${data.n}`);
    });
    await jobs.start();
    await jobs.enqueue('dunning', { n: 1 }, { attempts: 1 });
    await waitFor('the first dead letter', async () => (await jobs.failed('dunning')).length === 1);
    await sleep(5);
    await jobs.enqueue('dunning', { n: 2 }, { attempts: 1 });
    await waitFor('the second dead letter', async () => (await jobs.failed('dunning')).length === 2);

    expect((await jobs.failed('dunning')).map((job) => job.error)).toEqual(['failed 2', 'failed 1']);
  });

  it('runs a delayed job no earlier than its delay', async () => {
    let ranAt = 0;
    jobs.define('remind', async () => {
      ranAt = Date.now();
    });
    await jobs.start();
    const enqueuedAt = Date.now();
    await jobs.enqueue('remind', {}, { delayMs: 300 });

    await waitFor('the delayed job', () => ranAt > 0);
    expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(300);
  });

  it('repeats a scheduled job, and a second schedule call replaces the first', async () => {
    const runs: number[] = [];
    jobs.define<{ version: number }>('reconcile', async (data) => {
      runs.push(data.version);
    });
    await jobs.start();
    await jobs.schedule('reconcile', 150, { version: 1 });
    await waitFor('three scheduled runs', () => runs.length >= 3);

    await jobs.schedule('reconcile', 100, { version: 2 });
    await waitFor(
      'three runs of the new schedule',
      () => runs.filter((version) => version === 2).length >= 3,
    );
    const firstOfNew = runs.indexOf(2);
    expect(runs.slice(0, firstOfNew).every((version) => version === 1)).toBe(true);
    expect(runs.slice(firstOfNew).every((version) => version === 2)).toBe(true);
  });

  it('never overlaps runs of one scheduled job', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    jobs.define('rollup', async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await sleep(120);
      active -= 1;
      runs += 1;
    });
    await jobs.start();
    await jobs.schedule('rollup', 50, {});

    await waitFor('three runs', () => runs >= 3);
    expect(maxActive).toBe(1);
  });

  it('waits for a running job when closing', async () => {
    let started = false;
    let finished = false;
    jobs.define('slow-report', async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await jobs.start();
    await jobs.enqueue('slow-report', {});
    await waitFor('the job to start', () => started);

    await jobs.close();
    expect(finished).toBe(true);
  });

  it('rejects job ids and names that BullMQ cannot store', async () => {
    await expect(jobs.enqueue('alert', {}, { jobId: '42' })).rejects.toThrow(RangeError);
    await expect(jobs.enqueue('alert', {}, { jobId: 'a:b' })).rejects.toThrow(RangeError);
    await expect(jobs.enqueue('billing:alert', {})).rejects.toThrow(RangeError);
  });

  it('answers ping while open and fails it after close', async () => {
    await expect(jobs.ping()).resolves.toBeUndefined();
    await jobs.close();
    await expect(jobs.ping()).rejects.toThrow('unavailable');
  });
});

describe('BullMQ jobs specifics', () => {
  it('fails fast, with an error, when Redis does not answer', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const jobs = createBullmqJobs({
      connection: `redis://127.0.0.1:${address.port}`,
      prefix: 'tgtest',
      logger,
    });
    jobs.define('send-mail', async () => undefined);
    const started = Date.now();
    await expect(jobs.ping()).rejects.toThrow('redis is unavailable');
    await expect(jobs.enqueue('send-mail', {})).rejects.toThrow('redis is unavailable');
    await expect(jobs.start()).rejects.toThrow('redis is unavailable');
    expect(Date.now() - started).toBeLessThan(2000);
    await jobs.close();
  });
});
