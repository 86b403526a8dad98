import { type ConfigBus } from '@tollgate/config-bus';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { type Logger } from '@tollgate/observability';
import { buildGatewaySnapshot } from '@tollgate/plans-data';
import { type PrismaClient } from '@tollgate/relational';

export interface SnapshotCacheOptions {
  /** get() serves a built snapshot for at most this long (default 1000 ms). */
  maxAgeMs?: number;
  /** Where every new version is announced, so gateways pull it at once. */
  bus?: ConfigBus;
  logger?: Logger;
  /** Reads the snapshot (default: buildGatewaySnapshot on `prisma`); tests pass their own. */
  build?: () => Promise<GatewaySnapshot>;
}

/**
 * The current gateway snapshot. get() rebuilds at most every `maxAgeMs`, so many gateways polling
 * cost one set of reads; refresh() rebuilds now. A new version goes to the in-process listeners
 * (embedded push) and is published on the bus (gateways elsewhere pull it).
 */
export class SnapshotCache {
  private current: GatewaySnapshot | undefined;
  private builtAt = 0;
  /** The build running now; it may have read before a caller's write. */
  private running: Promise<GatewaySnapshot> | undefined;
  /** A build that starts when `running` ends; every refresh() meanwhile shares it. */
  private queued: Promise<GatewaySnapshot> | undefined;
  private readonly listeners = new Set<(snapshot: GatewaySnapshot) => void>();
  private readonly maxAgeMs: number;
  private readonly build: () => Promise<GatewaySnapshot>;

  constructor(
    prisma: PrismaClient,
    private readonly options: SnapshotCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    this.build =
      options.build ?? (() => buildGatewaySnapshot(prisma, Date.now(), { logger: options.logger }));
  }

  /**
   * The snapshot a gateway should get. `announced` is a version the gateway heard on the bus: when
   * the cache does not hold exactly that one (another replica published it, or the cache is behind
   * a write), it rebuilds rather than answer with what it has.
   */
  async get(announced?: string): Promise<GatewaySnapshot> {
    const current = this.current;
    if (
      current &&
      (announced === undefined || announced === current.version) &&
      Date.now() - this.builtAt < this.maxAgeMs
    ) {
      return current;
    }
    // A plain poll may share a build already running; an announcement needs one that starts now.
    if (announced === undefined && this.running) return this.running;
    return this.refresh();
  }

  /**
   * Rebuilds (call it after every write a gateway must know about). The snapshot it resolves with
   * was read after the call, and a changed version has been handed to the listeners and the bus.
   * When the read fails it resolves with the last good snapshot (and rejects only if there is none).
   */
  refresh(): Promise<GatewaySnapshot> {
    if (this.queued) return this.queued;
    if (!this.running) return this.launch();
    const queued = this.running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued = undefined;
        return this.launch();
      });
    this.queued = queued;
    return queued;
  }

  subscribe(listener: (snapshot: GatewaySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private launch(): Promise<GatewaySnapshot> {
    const running = this.rebuild().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async rebuild(): Promise<GatewaySnapshot> {
    let snapshot: GatewaySnapshot;
    try {
      snapshot = await this.build();
    } catch (error) {
      // Database down: keep handing out the last good snapshot (gateways keep theirs anyway), and
      // never turn a write that has committed into an error because the re-read failed.
      if (!this.current) throw error;
      this.options.logger?.warn(
        { err: error, keeping: this.current.version },
        'rebuilding the gateway snapshot failed; serving the last good one',
      );
      return this.current;
    }
    const changed = snapshot.version !== this.current?.version;
    this.current = snapshot;
    this.builtAt = Date.now();
    if (!changed) return snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.options.logger?.error({ err: error, version: snapshot.version }, 'snapshot listener failed');
      }
    }
    if (this.options.bus) {
      try {
        await this.options.bus.publish(snapshot.version);
      } catch (error) {
        // The write stands; gateways pick the version up on their periodic resync instead.
        this.options.logger?.warn(
          { err: error, version: snapshot.version },
          'could not announce the new gateway snapshot on the config bus',
        );
      }
    }
    return snapshot;
  }
}
