/** Jobs port: BullMQ in production, an in-process scheduler with the same contract when embedded. */

export interface JobContext {
  jobId: string;
  /** 1 on the first try. */
  attempt: number;
}

export type JobHandler<Data> = (data: Data, context: JobContext) => Promise<void>;

export interface EnqueueOptions {
  /** Deterministic id: a second enqueue with the same id while the first exists is a no-op. */
  jobId?: string;
  delayMs?: number;
  /** Total tries including the first (default 3). */
  attempts?: number;
  /** Base of the exponential backoff between tries (default 1000 ms). */
  backoffMs?: number;
}

export interface FailedJob {
  jobId: string;
  name: string;
  data: unknown;
  attempts: number;
  error: string;
  failedAt: number;
}

export interface Jobs {
  /** Registers the handler of a job name; call before start(). */
  define<Data>(name: string, handler: JobHandler<Data>): void;
  /** Returns the job id. */
  enqueue<Data>(name: string, data: Data, options?: EnqueueOptions): Promise<string>;
  /** Repeats a job every `everyMs`; calling it again with the same name updates the schedule. */
  schedule<Data>(name: string, everyMs: number, data: Data): Promise<void>;
  /** Jobs that exhausted their attempts (dead letters), newest first. */
  failed(name: string): Promise<FailedJob[]>;
  start(): Promise<void>;
  /** Graceful: stops taking jobs and waits for running ones. */
  close(): Promise<void>;
  ping(): Promise<void>;
}
