import { type Logger } from '@tollgate/observability';
import { applyDueSubscriptionChanges } from '@tollgate/plans-data';
import { type PrismaClient } from '@tollgate/relational';
import { type SnapshotCache } from './snapshot-cache';

/**
 * Applies plan changes and version migrations whose effective date has come (the gateways already
 * enforce them from the snapshot at that instant; this makes the database say so too), then
 * republishes the snapshot. Idempotent, so several control-plane instances may run it.
 */
export function startScheduledSubscriptionChanges(
  prisma: PrismaClient,
  snapshots: SnapshotCache,
  logger: Logger,
  everyMs = 60_000,
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const applied = await applyDueSubscriptionChanges(prisma);
      if (applied > 0) {
        logger.info({ applied }, 'applied scheduled subscription changes');
        await snapshots.refresh();
      }
    } catch (error) {
      logger.warn({ err: error }, 'scheduled subscription changes failed; retrying on the next tick');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
