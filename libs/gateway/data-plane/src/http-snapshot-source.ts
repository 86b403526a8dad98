import { type Dispatcher, request } from 'undici';
import { type ConfigBus } from '@tollgate/config-bus';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { type Logger } from '@tollgate/observability';
import { type SnapshotStore } from './snapshot-store';

export interface HttpSnapshotSourceOptions {
  /** Base URL of the plans service, e.g. `http://plans:3000`. */
  plansUrl: string;
  /** The shared gateway token (GATEWAY_TOKEN). */
  token: string;
  /** Interval between polls while the plans service answers (the resync that backs up the bus). */
  pollMs: number;
  store: SnapshotStore;
  logger: Logger;
  /**
   * Where the plans service announces new versions: one this gateway does not hold is pulled at
   * once instead of at the next poll. The caller owns (and closes) the bus.
   */
  bus?: ConfigBus;
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
 * Keeps a SnapshotStore current: pulls `GET /api/internal/gateway-snapshot` (with `If-None-Match`;
 * 304 means unchanged) at once when the bus announces an unknown version, and every `pollMs`
 * regardless. While the plans service is unreachable the last good snapshot stays in force and
 * polls back off exponentially.
 */
export class HttpSnapshotSource {
  private readonly url: string;
  private readonly requestTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly retryBaseMs: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly requests = new Set<AbortController>();
  private running = false;
  private failures = 0;
  /** A poll cycle is in progress; announcements meanwhile set `pullAgain`. */
  private polling = false;
  private pullAgain = false;
  /** The latest announced version not yet pulled. */
  private announced: string | null = null;
  /** Answers are installed only in request order, so a slow old answer never replaces a newer one. */
  private requestSequence = 0;
  private installedSequence = 0;
  private unsubscribe: (() => Promise<void>) | null = null;
  private subscribing = false;
  private busWarned = false;
  private readonly firstLoad: Promise<void>;
  private resolveFirstLoad!: () => void;
  private readonly onTimer = (): void => {
    this.timer = null;
    void this.poll();
  };
  private readonly onAnnounced = (version: string): void => {
    if (!this.running || version === this.options.store.version) return;
    this.announced = version;
    if (this.polling) {
      this.pullAgain = true;
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
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

  /** Starts polling (the first poll runs at once) and listening to the bus; calling it again does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.listen();
    void this.poll();
  }

  /** Starts polling if needed; resolves after the first snapshot is loaded. */
  ready(): Promise<void> {
    this.start();
    return this.firstLoad;
  }

  /** Stops polling and listening, and cancels requests in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const controller of this.requests) controller.abort();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    await unsubscribe?.().catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'leaving the config bus failed');
    });
  }

  /** One pull; resolves true when a new snapshot was installed. Exposed for tests and admin triggers. */
  async pollOnce(): Promise<boolean> {
    return this.pull(this.announced);
  }

  /** Subscribes to the bus unless subscribed; a failure is retried after the next poll. */
  private listen(): void {
    const bus = this.options.bus;
    if (!bus || this.unsubscribe !== null || this.subscribing || !this.running) return;
    this.subscribing = true;
    bus.subscribe(this.onAnnounced).then(
      (unsubscribe) => {
        this.subscribing = false;
        if (!this.running) {
          unsubscribe().catch(() => undefined); // stopped meanwhile; nothing else to do
          return;
        }
        this.unsubscribe = unsubscribe;
        if (this.busWarned) this.options.logger.info('listening to the config bus again');
        this.busWarned = false;
      },
      (error: unknown) => {
        this.subscribing = false;
        if (this.busWarned) return; // once per outage
        this.busWarned = true;
        this.options.logger.warn(
          { err: error },
          'cannot listen to the config bus; relying on the periodic resync until it is back',
        );
      },
    );
  }

  private async pull(announced: string | null): Promise<boolean> {
    const sequence = (this.requestSequence += 1);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'application/json',
    };
    const current = this.options.store.version;
    if (current !== null) headers['if-none-match'] = current;
    // The announced version makes the plans service rebuild unless it holds exactly that one.
    const url = announced === null ? this.url : `${this.url}?version=${encodeURIComponent(announced)}`;
    const controller = new AbortController();
    this.requests.add(controller);
    try {
      const response = await request(url, {
        method: 'GET',
        headers,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
        signal: controller.signal,
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
      if (body.version === this.options.store.version || sequence < this.installedSequence) return false;
      this.installedSequence = sequence;
      const compiled = this.options.store.replace(body);
      if (compiled.issues.length > 0) {
        this.options.logger.warn(
          { version: compiled.version, issues: compiled.issues },
          'snapshot entries skipped',
        );
      }
      this.options.logger.info(
        {
          version: compiled.version,
          apis: compiled.apis.length,
          keys: compiled.keysByHash.size,
          trigger: announced === null ? 'poll' : 'bus',
        },
        'gateway snapshot loaded',
      );
      return true;
    } finally {
      this.requests.delete(controller);
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      this.pullAgain = true;
      return;
    }
    this.polling = true;
    this.pullAgain = false;
    const announced = this.announced;
    let delay: number;
    try {
      await this.pull(announced);
      // The plans service rebuilt for the announcement, so what it sent is at least that recent.
      if (this.announced === announced) this.announced = null;
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
    } finally {
      this.polling = false;
    }
    if (!this.running) return;
    this.listen();
    if (this.pullAgain) delay = 0; // announced while this pull was in flight
    this.pullAgain = false;
    this.timer = setTimeout(this.onTimer, delay);
    this.timer.unref(); // an idle poller must not keep the process alive
  }
}
