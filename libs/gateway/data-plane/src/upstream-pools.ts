import { Pool } from 'undici';

export interface UpstreamPoolOptions {
  /** Connect timeout; longer waits answer 502 (a connect failure, not a slow response). */
  connectTimeoutMs: number;
  /** How long an idle keep-alive connection is kept when the upstream does not say. */
  keepAliveTimeoutMs?: number;
}

/** One keep-alive connection pool per upstream origin, created on first use. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private closing = false;

  constructor(private readonly options: UpstreamPoolOptions) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      if (this.closing) throw new Error('upstream pools are closed');
      pool = new Pool(origin, {
        connectTimeout: this.options.connectTimeoutMs,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 4000,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Waits for requests in flight, then closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
  }
}
