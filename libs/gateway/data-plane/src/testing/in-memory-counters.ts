import { createMemoryCounters } from '@tollgate/counters';
import { DependencyUnavailableError } from '@tollgate/errors';
import { type AdmitDecision, type AdmitRequest, type Counters, type CounterUpdate } from '@tollgate/ports';

/**
 * The embedded counters adapter, recording every call and able to fail on demand (as an
 * unreachable Redis would) for the data plane's tests.
 */
export class InMemoryCounters implements Counters {
  private readonly inner = createMemoryCounters();
  /** Every call, in order, for assertions on refunds. */
  readonly calls: Array<{ op: 'admit' | 'incrementWithin' | 'increment'; key: string; amount: number }> = [];
  private failing = false;

  /** While true every call rejects. */
  setFailing(failing: boolean): void {
    this.failing = failing;
  }

  async admit(request: AdmitRequest): Promise<AdmitDecision> {
    this.check();
    this.calls.push({ op: 'admit', key: request.quotaKey, amount: request.cost });
    return this.inner.admit(request);
  }

  async releaseLease(key: string, leaseId: string): Promise<void> {
    this.check();
    return this.inner.releaseLease(key, leaseId);
  }

  async incrementWithin(
    key: string,
    amount: number,
    limit: number,
    expiresAtMs: number,
  ): Promise<CounterUpdate> {
    this.check();
    this.calls.push({ op: 'incrementWithin', key, amount });
    return this.inner.incrementWithin(key, amount, limit, expiresAtMs);
  }

  async increment(key: string, amount: number, expiresAtMs: number): Promise<number> {
    this.check();
    this.calls.push({ op: 'increment', key, amount });
    return this.inner.increment(key, amount, expiresAtMs);
  }

  async heartbeat(key: string, memberId: string, ttlMs: number): Promise<number> {
    this.check();
    return this.inner.heartbeat(key, memberId, ttlMs);
  }

  async get(key: string): Promise<number> {
    this.check();
    return this.inner.get(key);
  }

  async ping(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  private check(): void {
    if (this.failing) {
      throw new DependencyUnavailableError(
        'redis',
        new Error('counters unavailable (test double set to fail)'),
      );
    }
  }
}
