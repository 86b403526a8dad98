import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { buildGatewaySnapshot } from '@tollgate/plans-data';
import { type PrismaClient } from '@tollgate/relational';

/**
 * The current gateway snapshot, rebuilt at most every `maxAgeMs` (and at once after invalidate()),
 * so many gateways polling cost one set of reads. Listeners get every new version (embedded push).
 */
export class SnapshotCache {
  private current: GatewaySnapshot | undefined;
  private builtAt = 0;
  private building: Promise<GatewaySnapshot> | undefined;
  private readonly listeners = new Set<(snapshot: GatewaySnapshot) => void>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxAgeMs = 1000,
  ) {}

  async get(): Promise<GatewaySnapshot> {
    if (this.current && Date.now() - this.builtAt < this.maxAgeMs) return this.current;
    return this.refresh();
  }

  /** Rebuilds now (e.g. after an admin write) and notifies listeners when the content changed. */
  refresh(): Promise<GatewaySnapshot> {
    this.building ??= buildGatewaySnapshot(this.prisma)
      .then((snapshot) => {
        const changed = snapshot.version !== this.current?.version;
        this.current = snapshot;
        this.builtAt = Date.now();
        if (changed) for (const listener of this.listeners) listener(snapshot);
        return snapshot;
      })
      .finally(() => {
        this.building = undefined;
      });
    return this.building;
  }

  subscribe(listener: (snapshot: GatewaySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
