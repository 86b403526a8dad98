/**
 * Defaults and limits shared by both job runners, so the embedded scheduler behaves like BullMQ in
 * everything the contract suite checks.
 */

export const defaultAttempts = 3;
export const defaultBackoffMs = 1000;

/**
 * How long finished jobs are kept. While kept, a job id stays taken (a new enqueue with it is a
 * no-op), which is what makes deterministic ids idempotent; failed jobs stay longer to be inspected.
 */
export const completedRetention = { count: 1000, ageSeconds: 24 * 3600 };
export const failedRetention = { count: 5000, ageSeconds: 7 * 24 * 3600 };

/** At most this many dead letters are listed by `failed()`. */
export const failedListLimit = 1000;

/** BullMQ's exponential backoff: the wait after the n-th failed try is base × 2^(n−1). */
export function backoffDelayMs(baseMs: number, attemptsMade: number): number {
  return baseMs * 2 ** (attemptsMade - 1);
}

/** BullMQ rejects these, so the embedded runner does too: code that works embedded works distributed. */
export function assertJobName(name: string): void {
  if (name.length === 0 || name.includes(':')) {
    throw new RangeError(`Job name must be non-empty and contain no ':', got '${name}'`);
  }
}

export function assertJobId(jobId: string): void {
  if (jobId.length === 0 || jobId.includes(':') || `${Number.parseInt(jobId, 10)}` === jobId) {
    throw new RangeError(`Job id must be non-empty, not an integer and contain no ':', got '${jobId}'`);
  }
}

export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
