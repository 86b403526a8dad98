import { type Dispatcher, request } from 'undici';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { type Logger } from '@tollgate/observability';
import { type SnapshotStore } from './snapshot-store';

export interface HttpSnapshotSourceOptions {
  /** Base URL of the plans service, e.g. `http://plans:3000`. */
  plansUrl: string;
  /** The shared gateway token (GATEWAY_TOKEN). */
  token: string;
  /** Interval between polls while the plans service answers. */
  pollMs: number;
  store: SnapshotStore;
  logger: Logger;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Longest wait between retries while the plans service is down (default 30 s). */
  maxBackoffMs?: number;
  /** First retry delay after a failure (default 500 ms), doubled per consecutive failure. */
  retryBaseMs?: number;
  /** undici dispatcher to use (default: undici's global one). */
  dispatcher?: Dispatcher;
}

function isSnapshot(value: unknown): value is GatewaySnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['version'] === 'string' &&
    Array.isArray(candidate['apis']) &&
    Array.isArray(candidate['plans']) &&
    Array.isArray(candidate['consumers']) &&
    Array.isArray(candidate['keys'])
  );
}

/**
 * Keeps a SnapshotStore current by polling the plans service
 * (`GET /api/internal/gateway-snapshot` with `If-None-Match`; 304 means unchanged). While the plans
 * service is unreachable the last good snapshot stays in force and polls back off exponentially.
 */
export class HttpSnapshotSource {
  private readonly url: string;
  private readonly requestTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly retryBaseMs: number;
  private timer: NodeJS.Timeout | null = null;
  private abort: AbortController | null = null;
  private running = false;
  private failures = 0;
  private readonly firstLoad: Promise<void>;
  private resolveFirstLoad!: () => void;
  private readonly onTimer = (): void => {
    this.timer = null;
    void this.poll();
  };

  constructor(private readonly options: HttpSnapshotSourceOptions) {
    this.url = `${options.plansUrl.replace(/\/+$/, '')}/api/internal/gateway-snapshot`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.firstLoad = new Promise((resolve) => {
      this.resolveFirstLoad = resolve;
    });
  }

  /** Starts polling (the first poll runs at once); calling it again does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.poll();
  }

  /** Starts polling if needed; resolves after the first snapshot is loaded. */
  ready(): Promise<void> {
    this.start();
    return this.firstLoad;
  }

  /** Stops polling and cancels a request in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
  }

  /** One poll; resolves true when a new snapshot was installed. Exposed for tests and admin triggers. */
  async pollOnce(): Promise<boolean> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'application/json',
    };
    const current = this.options.store.version;
    if (current !== null) headers['if-none-match'] = current;
    this.abort = new AbortController();
    try {
      const response = await request(this.url, {
        method: 'GET',
        headers,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
        signal: this.abort.signal,
        dispatcher: this.options.dispatcher,
      });
      if (response.statusCode === 304) {
        await response.body.dump();
        return false;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`plans service answered ${response.statusCode}`);
      }
      const body: unknown = await response.body.json();
      if (!isSnapshot(body)) throw new Error('plans service sent something that is not a gateway snapshot');
      if (body.version === current) return false;
      const compiled = this.options.store.replace(body);
      if (compiled.issues.length > 0) {
        this.options.logger.warn(
          { version: compiled.version, issues: compiled.issues },
          'snapshot entries skipped',
        );
      }
      this.options.logger.info(
        { version: compiled.version, apis: compiled.apis.length, keys: compiled.keysByHash.size },
        'gateway snapshot loaded',
      );
      return true;
    } finally {
      this.abort = null;
    }
  }

  private async poll(): Promise<void> {
    let delay: number;
    try {
      await this.pollOnce();
      if (this.failures > 0)
        this.options.logger.info({ failures: this.failures }, 'plans service reachable again');
      this.failures = 0;
      delay = this.options.pollMs;
      if (this.options.store.version !== null) this.resolveFirstLoad();
    } catch (error) {
      if (!this.running) return;
      this.failures += 1;
      delay = Math.min(this.maxBackoffMs, this.retryBaseMs * 2 ** (this.failures - 1));
      this.options.logger.warn(
        {
          err: error,
          failures: this.failures,
          retryInMs: delay,
          keeping: this.options.store.version,
        },
        'polling the gateway snapshot failed; keeping the last good snapshot',
      );
    }
    if (!this.running) return;
    this.timer = setTimeout(this.onTimer, delay);
    this.timer.unref(); // an idle poller must not keep the process alive
  }
}
