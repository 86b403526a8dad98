import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError } from '@tollgate/errors';
import { createLogger } from '@tollgate/observability';
import { type EnqueueOptions, type FailedJob, type JobHandler, type Jobs } from '@tollgate/ports';
import {
  assertJobId,
  assertJobName,
  assertPositiveInteger,
  backoffDelayMs,
  completedRetention,
  defaultAttempts,
  defaultBackoffMs,
  errorMessage,
  failedListLimit,
  failedRetention,
} from './job-policy';
import { type JobsLogger } from './jobs-logger';

export interface InProcessJobsOptions {
  logger?: JobsLogger;
  /** Jobs of one name run at most this many at a time (default 1, as with one BullMQ worker). */
  concurrency?: number;
}

type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

interface JobRecord {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  backoffMs: number;
  attemptsMade: number;
  state: JobState;
  error?: string;
  finishedAt?: number;
  timer?: NodeJS.Timeout;
}

interface Schedule {
  everyMs: number;
  data: unknown;
  timer?: NodeJS.Timeout;
  /** The latest iteration; a new one starts only once it has finished, so runs never overlap. */
  current?: JobRecord;
}

/** Everything about one job name, the counterpart of one BullMQ queue. */
interface Lane {
  name: string;
  /** Every job not yet forgotten, by id: pending, running, and finished ones still retained. */
  jobs: Map<string, JobRecord>;
  ready: JobRecord[];
  running: number;
  completed: JobRecord[];
  failed: JobRecord[];
  schedule?: Schedule;
}

const isFinished = (record: JobRecord): boolean => record.state === 'completed' || record.state === 'failed';

/**
 * Jobs on timers inside the process, for embedded mode, with BullMQ's contract: dedup by job id
 * while the job is retained, retries with exponential backoff, delays, schedules whose runs never
 * overlap, a dead-letter list and a close that waits for running handlers. Pending jobs live in
 * memory only: a restart drops them, which embedded mode accepts.
 */
export function createInProcessJobs(options: InProcessJobsOptions = {}): Jobs {
  const logger = options.logger ?? createLogger({ app: 'jobs', level: 'info' });
  const concurrency = options.concurrency ?? 1;
  assertPositiveInteger('concurrency', concurrency);

  const handlers = new Map<string, JobHandler<unknown>>();
  const lanes = new Map<string, Lane>();
  const running = new Set<Promise<void>>();
  let started = false;
  let closing: Promise<void> | undefined;
  let iteration = 0;

  const laneOf = (name: string): Lane => {
    assertJobName(name);
    let lane = lanes.get(name);
    if (lane === undefined) {
      lane = { name, jobs: new Map(), ready: [], running: 0, completed: [], failed: [] };
      lanes.set(name, lane);
    }
    return lane;
  };

  const assertOpen = (): void => {
    if (closing) throw new DependencyUnavailableError('jobs', new Error('jobs are closed'));
  };

  const retain = (lane: Lane, record: JobRecord, state: 'completed' | 'failed'): void => {
    record.state = state;
    record.finishedAt = Date.now();
    const kept = state === 'completed' ? lane.completed : lane.failed;
    const policy = state === 'completed' ? completedRetention : failedRetention;
    kept.push(record);
    const oldest = record.finishedAt - policy.ageSeconds * 1000;
    while (kept.length > policy.count || (kept.length > 0 && (kept[0].finishedAt ?? 0) < oldest)) {
      const forgotten = kept.shift();
      if (forgotten !== undefined) lane.jobs.delete(forgotten.id);
    }
  };

  const execute = async (lane: Lane, record: JobRecord, handler: JobHandler<unknown>): Promise<void> => {
    record.state = 'active';
    lane.running += 1;
    try {
      await handler(record.data, { jobId: record.id, attempt: record.attemptsMade + 1 });
      retain(lane, record, 'completed');
    } catch (error) {
      record.attemptsMade += 1;
      record.error = errorMessage(error);
      const context = { err: error, job: lane.name, jobId: record.id, attempt: record.attemptsMade };
      if (record.attemptsMade < record.attempts) {
        logger.warn({ ...context, attempts: record.attempts }, 'job failed, will retry');
        record.state = 'delayed';
        readyAt(lane, record, Date.now() + backoffDelayMs(record.backoffMs, record.attemptsMade));
      } else {
        logger.error({ ...context, attempts: record.attempts }, 'job failed for good');
        retain(lane, record, 'failed');
      }
    } finally {
      lane.running -= 1;
      pump(lane);
    }
  };

  function pump(lane: Lane): void {
    const handler = handlers.get(lane.name);
    if (!started || closing || handler === undefined) return;
    while (lane.running < concurrency && lane.ready.length > 0) {
      const record = lane.ready.shift();
      if (record === undefined) break;
      // execute never rejects (it catches the handler's errors); it is tracked so close() can await it.
      const run = execute(lane, record, handler).finally(() => running.delete(run));
      running.add(run);
    }
  }

  /** Node timers may fire a millisecond early; a job must never run before its time. */
  function readyAt(lane: Lane, record: JobRecord, dueAtMs: number): void {
    const remainingMs = dueAtMs - Date.now();
    if (remainingMs <= 0) makeReady(lane, record);
    else record.timer = setTimeout(() => readyAt(lane, record, dueAtMs), remainingMs);
  }

  function makeReady(lane: Lane, record: JobRecord): void {
    record.timer = undefined;
    if (closing) return;
    record.state = 'waiting';
    lane.ready.push(record);
    pump(lane);
  }

  const add = (
    lane: Lane,
    id: string,
    data: unknown,
    settings: { attempts: number; backoffMs: number; delayMs: number },
  ): JobRecord => {
    const record: JobRecord = {
      id,
      name: lane.name,
      data,
      attempts: settings.attempts,
      backoffMs: settings.backoffMs,
      attemptsMade: 0,
      state: 'delayed',
    };
    lane.jobs.set(id, record);
    if (settings.delayMs > 0) readyAt(lane, record, Date.now() + settings.delayMs);
    else makeReady(lane, record);
    return record;
  };

  const tick = (lane: Lane): void => {
    const schedule = lane.schedule;
    if (schedule === undefined || closing) return;
    if (schedule.current !== undefined && !isFinished(schedule.current)) return;
    iteration += 1;
    schedule.current = add(lane, `repeat-${lane.name}-${Date.now()}-${iteration}`, schedule.data, {
      attempts: defaultAttempts,
      backoffMs: defaultBackoffMs,
      delayMs: 0,
    });
  };

  /** Like a BullMQ `every` scheduler: a first run right away, then one per interval. */
  const arm = (lane: Lane): void => {
    const schedule = lane.schedule;
    if (schedule === undefined || !started || closing) return;
    clearInterval(schedule.timer);
    tick(lane);
    schedule.timer = setInterval(() => tick(lane), schedule.everyMs);
  };

  return {
    define<Data>(name: string, handler: JobHandler<Data>): void {
      assertOpen();
      const lane = laneOf(name);
      if (handlers.has(name)) throw new Error(`Job ${name} is already defined`);
      handlers.set(name, handler as JobHandler<unknown>);
      pump(lane);
    },

    async enqueue<Data>(name: string, data: Data, enqueueOptions: EnqueueOptions = {}): Promise<string> {
      assertOpen();
      const { jobId, delayMs = 0, attempts = defaultAttempts, backoffMs = defaultBackoffMs } = enqueueOptions;
      if (jobId !== undefined) assertJobId(jobId);
      assertPositiveInteger('attempts', attempts);
      const lane = laneOf(name);
      const id = jobId ?? randomUUID();
      if (!lane.jobs.has(id)) add(lane, id, data, { attempts, backoffMs, delayMs });
      return id;
    },

    async schedule<Data>(name: string, everyMs: number, data: Data): Promise<void> {
      assertOpen();
      assertPositiveInteger('everyMs', everyMs);
      const lane = laneOf(name);
      if (lane.schedule === undefined) lane.schedule = { everyMs, data };
      else Object.assign(lane.schedule, { everyMs, data });
      arm(lane);
    },

    async failed(name: string): Promise<FailedJob[]> {
      const lane = laneOf(name);
      return lane.failed
        .slice(-failedListLimit)
        .reverse()
        .map((record) => ({
          jobId: record.id,
          name: record.name,
          data: record.data,
          attempts: record.attemptsMade,
          error: record.error ?? '',
          failedAt: record.finishedAt ?? 0,
        }));
    },

    async start(): Promise<void> {
      assertOpen();
      if (started) return;
      started = true;
      for (const lane of lanes.values()) {
        pump(lane);
        arm(lane);
      }
    },

    async close(): Promise<void> {
      closing ??= (async () => {
        for (const lane of lanes.values()) {
          clearInterval(lane.schedule?.timer);
          for (const record of lane.jobs.values()) clearTimeout(record.timer);
          lane.ready.length = 0;
        }
        await Promise.all(running);
      })();
      await closing;
    },

    async ping(): Promise<void> {
      assertOpen();
    },
  };
}
