import { DependencyUnavailableError } from '@tollgate/errors';
import { createLogger } from '@tollgate/observability';
import { type EnqueueOptions, type FailedJob, type JobHandler, type Jobs } from '@tollgate/ports';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  assertJobId,
  assertJobName,
  assertPositiveInteger,
  completedRetention,
  defaultAttempts,
  defaultBackoffMs,
  failedListLimit,
  failedRetention,
} from './job-policy';
import { type JobsLogger } from './jobs-logger';

export interface BullmqJobsOptions {
  /** Redis URL. */
  connection: string;
  /**
   * BullMQ key prefix (keys are `<prefix>:<job name>:…`). On Redis Cluster give it a hash tag,
   * e.g. `{tollgate}`, because BullMQ's scripts touch several keys of a queue at once.
   */
  prefix: string;
  logger?: JobsLogger;
  /** Jobs of one name run at most this many at a time per process (default 1). */
  concurrency?: number;
  /** Upper bound of the first connection, of ping and of enqueue while Redis is down (ms, default 5000). */
  timeoutMs?: number;
}

const keepCompleted = { count: completedRetention.count, age: completedRetention.ageSeconds };
const keepFailed = { count: failedRetention.count, age: failedRetention.ageSeconds };

/**
 * Jobs on BullMQ, one queue per job name: a slow or failing kind of job never holds up another,
 * each name gets its own worker concurrency, and `failed(name)` is a plain read of that queue.
 *
 * Two connections: producers (enqueue, schedule, failed, ping) fail fast when Redis is down, with
 * no offline queue; workers use BullMQ's required `maxRetriesPerRequest: null` and ride out outages.
 */
export function createBullmqJobs(options: BullmqJobsOptions): Jobs {
  const logger = options.logger ?? createLogger({ app: 'jobs', level: 'info' });
  const timeoutMs = options.timeoutMs ?? 5000;
  const concurrency = options.concurrency ?? 1;
  assertPositiveInteger('concurrency', concurrency);

  const producer = new Redis(options.connection, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  let lastError: unknown;
  // Without a listener ioredis prints every reconnect failure; the error surfaces on the next call.
  producer.on('error', (error: unknown) => {
    lastError = error;
  });
  let workerConnection: Redis | undefined;

  const handlers = new Map<string, JobHandler<unknown>>();
  const queues = new Map<string, Queue>();
  const workers = new Map<string, Worker>();
  let started = false;
  let closing: Promise<void> | undefined;

  const unavailable = (cause: unknown): DependencyUnavailableError =>
    cause instanceof DependencyUnavailableError ? cause : new DependencyUnavailableError('redis', cause);

  /** Waits out the first connection attempt; during an outage it fails at once. */
  const producerReady = async (): Promise<void> => {
    if (closing) throw new DependencyUnavailableError('redis', new Error('jobs are closed'));
    if (producer.status === 'ready') return;
    if (producer.status !== 'connecting' && producer.status !== 'connect') {
      throw unavailable(lastError ?? new Error(`redis connection is ${producer.status}`));
    }
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(timer);
        producer.off('ready', onReady);
        producer.off('error', onError);
        if (error === undefined) resolve();
        else reject(unavailable(error));
      };
      const onReady = (): void => settle();
      const onError = (error: unknown): void => settle(error);
      const timer = setTimeout(() => settle(new Error(`redis not ready after ${timeoutMs} ms`)), timeoutMs);
      producer.once('ready', onReady);
      producer.once('error', onError);
    });
  };

  /**
   * Queues are created only once the producer connection is up: BullMQ awaits readiness once per
   * queue, and after that a command on a down connection fails at once instead of waiting.
   */
  const queueOf = async (name: string): Promise<Queue> => {
    assertJobName(name);
    await producerReady();
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: producer, prefix: options.prefix });
      queue.on('error', (error) => logger.error({ err: error, job: name }, 'job queue error'));
      queues.set(name, queue);
    }
    return queue;
  };

  const call = async <T>(command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (error) {
      // Only connection trouble becomes "unavailable"; a bad argument stays what it is.
      if (producer.status !== 'ready') throw unavailable(error);
      throw error;
    }
  };

  const startWorker = (name: string, handler: JobHandler<unknown>): void => {
    workerConnection ??= new Redis(options.connection, { maxRetriesPerRequest: null });
    const worker = new Worker(
      name,
      async (job: Job) => {
        await handler(job.data, { jobId: job.id ?? '', attempt: job.attemptsMade + 1 });
      },
      { connection: workerConnection, prefix: options.prefix, concurrency },
    );
    worker.on('failed', (job, error) => {
      const attempts = job?.opts.attempts ?? 1;
      const final = (job?.attemptsMade ?? attempts) >= attempts;
      logger[final ? 'error' : 'warn'](
        { err: error, job: name, jobId: job?.id, attempt: job?.attemptsMade, attempts },
        final ? 'job failed for good' : 'job failed, will retry',
      );
    });
    worker.on('error', (error) => logger.error({ err: error, job: name }, 'job worker error'));
    workers.set(name, worker);
  };

  const withTimeout = async (work: Promise<unknown>, what: string): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what} not ready after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      throw unavailable(error);
    } finally {
      clearTimeout(timer);
    }
  };

  const ping = async (): Promise<void> => {
    await producerReady();
    await call(() => producer.ping());
  };

  return {
    define<Data>(name: string, handler: JobHandler<Data>): void {
      assertJobName(name);
      if (handlers.has(name)) throw new Error(`Job ${name} is already defined`);
      handlers.set(name, handler as JobHandler<unknown>);
      if (started && !closing) startWorker(name, handler as JobHandler<unknown>);
    },

    async enqueue<Data>(name: string, data: Data, enqueueOptions: EnqueueOptions = {}): Promise<string> {
      const { jobId, delayMs, attempts = defaultAttempts, backoffMs = defaultBackoffMs } = enqueueOptions;
      if (jobId !== undefined) assertJobId(jobId);
      assertPositiveInteger('attempts', attempts);
      const queue = await queueOf(name);
      // An add with an existing job id is ignored by BullMQ's script: that is the dedup.
      const job = await call(() =>
        queue.add(name, data, {
          jobId,
          delay: delayMs,
          attempts,
          backoff: { type: 'exponential', delay: backoffMs },
          removeOnComplete: keepCompleted,
          removeOnFail: keepFailed,
        }),
      );
      if (job.id === undefined) throw new Error(`BullMQ returned no id for a ${name} job`);
      return job.id;
    },

    async schedule<Data>(name: string, everyMs: number, data: Data): Promise<void> {
      assertPositiveInteger('everyMs', everyMs);
      const queue = await queueOf(name);
      // The scheduler id is the job name, so a second call updates the one schedule in place.
      await call(() =>
        queue.upsertJobScheduler(
          name,
          { every: everyMs },
          {
            name,
            data,
            opts: {
              attempts: defaultAttempts,
              backoff: { type: 'exponential', delay: defaultBackoffMs },
              removeOnComplete: keepCompleted,
              removeOnFail: keepFailed,
            },
          },
        ),
      );
    },

    async failed(name: string): Promise<FailedJob[]> {
      const queue = await queueOf(name);
      // BullMQ lists the failed set newest first; jobs still retrying are not in it.
      const jobs = await call(() => queue.getFailed(0, failedListLimit - 1));
      return jobs.map((job) => ({
        jobId: job.id ?? '',
        name: job.name,
        data: job.data as unknown,
        attempts: job.attemptsMade,
        error: job.failedReason,
        failedAt: job.finishedOn ?? job.timestamp,
      }));
    },

    async start(): Promise<void> {
      if (closing) throw new Error('Jobs are closed');
      if (started) return;
      await ping();
      started = true;
      for (const [name, handler] of handlers) startWorker(name, handler);
      await withTimeout(
        Promise.all([...workers.values()].map((worker) => worker.waitUntilReady())),
        'workers',
      );
    },

    async close(): Promise<void> {
      closing ??= (async () => {
        // Worker.close stops fetching and waits for the jobs it is running.
        await Promise.all([...workers.values()].map((worker) => worker.close()));
        await Promise.all([...queues.values()].map((queue) => queue.close()));
        for (const connection of [workerConnection, producer]) {
          if (connection === undefined) continue;
          if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
          else connection.disconnect();
        }
      })();
      await closing;
    },

    ping,
  };
}
