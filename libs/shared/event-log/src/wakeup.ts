/**
 * A wake-up flag for polling loops. A loop reads `version`, checks for work, then waits with that
 * version: a wake() that happened in between makes the wait return at once, so no wake-up is lost.
 */
export class Wakeup {
  private counter = 0;
  private readonly waiters = new Set<() => void>();

  get version(): number {
    return this.counter;
  }

  wake(): void {
    this.counter += 1;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  /** Resolves on the next wake() after `since`, or after `timeoutMs`. */
  wait(since: number, timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.counter !== since || timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Sleeps for `ms` unless woken earlier (used for retry back-off that stop() must cut short). */
  sleep(ms: number): Promise<void> {
    return this.wait(this.counter, ms);
  }
}
