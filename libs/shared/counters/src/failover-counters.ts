import { DependencyUnavailableError } from '@tollgate/errors';
import { type AdmitDecision, type AdmitRequest, type CounterUpdate, type Counters } from '@tollgate/ports';
import { createMemoryCounters } from './memory-counters.adapter';

export interface FailoverCountersOptions {
  /** The shared store (Redis). */
  primary: Counters;
  /** This node's id in the node group (e.g. host:port). */
  nodeId: string;
  /** Group key of the heartbeat (default `gateway-nodes`). */
  nodesKey?: string;
  /** Heartbeat period; a node counts as alive for three periods (default 5 000 ms). */
  heartbeatMs?: number;
  /** A lower bound for the node count, e.g. the size the deployment is planned for (default 1). */
  minimumNodes?: number;
  /** Called when the node starts or stops deciding locally (logging, metrics). */
  onModeChange?: (local: boolean, error?: unknown) => void;
  /** Called when a change made during an outage could not be carried over yet. */
  onSyncError?: (error: unknown) => void;
}

export interface FailoverCounters extends Counters {
  /** Live gateway nodes as last seen in the shared store (at least `minimumNodes`). */
  readonly nodes: number;
  /** Units admitted or refunded locally that the shared store has not received yet, per counter key. */
  readonly pendingUnits: number;
  /** Starts the heartbeat and the carry-over loop. */
  start(): Promise<void>;
  /** Carries what was decided locally over to the store now (the loop does it every second). */
  carryOver(): Promise<void>;
}

interface Pending {
  delta: number;
  expiresAtMs: number;
}

const maxRemembered = 100_000;

/**
 * Counters that keep working through an outage of the shared store for plans that choose to
 * (`whenUnavailable: 'local_limit'`): such a request is decided on this node alone, by an in-memory
 * limiter at the plan's limits divided by the number of live nodes — the quota's remaining budget as
 * last seen from the store (÷ nodes), rate and burst ÷ nodes, concurrency ÷ nodes (each at least 1).
 * Every unit admitted or refunded that way is carried over to the shared store once it answers
 * again, so the quota counter ends up equal to what was served. Other requests fail as before.
 *
 * The node count comes from a heartbeat every node writes to the store; during the outage the last
 * count seen is used. Not exact by nature: nodes cannot see each other's admissions while the store
 * is down, and a consumer this node never saw starts from an unknown used count (taken as 0).
 */
export function createFailoverCounters(options: FailoverCountersOptions): FailoverCounters {
  const { primary } = options;
  const nodesKey = options.nodesKey ?? 'gateway-nodes';
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const minimumNodes = Math.max(1, options.minimumNodes ?? 1);
  let nodes = minimumNodes;
  let local = createMemoryCounters();
  /** Whether `local` holds outage state (seeded counters, leases). */
  let localInUse = false;
  let degraded = false;
  /** Last quota counter value the store reported, per key: the base of a local share. */
  const lastUsed = new Map<string, number>();
  /** Keys seeded into the current local limiter. */
  const seeded = new Set<string>();
  /** Lease ids taken locally → the local limiter that holds them. */
  const localLeases = new Map<string, Counters>();
  const pending = new Map<string, Pending>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const isUnavailable = (error: unknown): boolean => error instanceof DependencyUnavailableError;

  const setDegraded = (value: boolean, error?: unknown): void => {
    if (degraded === value) return;
    degraded = value;
    options.onModeChange?.(value, error);
  };

  const remember = (key: string, used: number): void => {
    if (lastUsed.size >= maxRemembered && !lastUsed.has(key)) lastUsed.clear();
    lastUsed.set(key, used);
  };

  const addPending = (key: string, delta: number, expiresAtMs: number): void => {
    const entry = pending.get(key);
    if (entry === undefined) pending.set(key, { delta, expiresAtMs });
    else entry.delta += delta;
  };

  const share = (value: number): number => Math.max(1, Math.floor(value / nodes));

  const admitLocally = async (request: AdmitRequest): Promise<AdmitDecision> => {
    localInUse = true;
    const base = lastUsed.get(request.quotaKey) ?? 0;
    if (!seeded.has(request.quotaKey)) {
      seeded.add(request.quotaKey);
      if (base > 0) await local.increment(request.quotaKey, base, request.quotaExpiresAtMs);
    }
    const remaining = Math.max(0, request.quotaLimit - base);
    const decision = await local.admit({
      ...request,
      quotaLimit: base + Math.floor(remaining / nodes),
      rate:
        request.rate === null
          ? null
          : {
              ...request.rate,
              perSecond: request.rate.perSecond / nodes,
              burst: share(request.rate.burst),
            },
      concurrency:
        request.concurrency === null
          ? null
          : { ...request.concurrency, limit: share(request.concurrency.limit) },
    });
    if (decision.admitted) {
      addPending(request.quotaKey, request.cost, request.quotaExpiresAtMs);
      if (request.concurrency !== null) localLeases.set(request.concurrency.leaseId, local);
    }
    return { ...decision, local: true };
  };

  /** Carries local changes over to the store; once all are there, the next outage starts afresh. */
  const sync = async (): Promise<void> => {
    for (const [key, entry] of [...pending]) {
      if (entry.delta === 0) {
        pending.delete(key);
        continue;
      }
      const sent = entry.delta;
      try {
        const used = await primary.increment(key, sent, entry.expiresAtMs);
        remember(key, used);
        // Only what was sent: more may have been added locally while the call was in flight.
        entry.delta -= sent;
        if (entry.delta === 0) pending.delete(key);
      } catch (error) {
        options.onSyncError?.(error);
        return;
      }
    }
    if (pending.size === 0 && localInUse && !degraded && localLeases.size === 0) {
      // Nothing of the outage is left to carry over and no local lease is held: start clean.
      const previous = local;
      local = createMemoryCounters();
      localInUse = false;
      seeded.clear();
      await previous.close();
    }
  };

  const heartbeat = async (): Promise<void> => {
    try {
      nodes = Math.max(minimumNodes, await primary.heartbeat(nodesKey, options.nodeId, heartbeatMs * 3));
      setDegraded(false);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      setDegraded(true, error);
    }
  };

  const tick = (): void => {
    if (closed) return;
    void heartbeat()
      .then(() => (degraded ? undefined : sync()))
      .catch((error: unknown) => options.onSyncError?.(error));
  };

  return {
    get nodes() {
      return nodes;
    },

    get pendingUnits() {
      let total = 0;
      for (const entry of pending.values()) total += entry.delta;
      return total;
    },

    async carryOver(): Promise<void> {
      await heartbeat();
      if (!degraded) await sync();
    },

    async start(): Promise<void> {
      await heartbeat();
      timer = setInterval(tick, Math.min(heartbeatMs, 1_000));
      timer.unref();
    },

    async admit(request): Promise<AdmitDecision> {
      try {
        const decision = await primary.admit(request);
        remember(request.quotaKey, decision.quotaUsed);
        if (degraded) setDegraded(false);
        return decision;
      } catch (error) {
        if (request.whenUnavailable !== 'local_limit' || !isUnavailable(error)) throw error;
        setDegraded(true, error);
        return admitLocally(request);
      }
    },

    async releaseLease(key, leaseId): Promise<void> {
      const holder = localLeases.get(leaseId);
      if (holder !== undefined) {
        localLeases.delete(leaseId);
        await holder.releaseLease(key, leaseId);
        return;
      }
      await primary.releaseLease(key, leaseId);
    },

    incrementWithin(key, amount, limit, expiresAtMs): Promise<CounterUpdate> {
      return primary.incrementWithin(key, amount, limit, expiresAtMs);
    },

    async increment(key, amount, expiresAtMs): Promise<number> {
      try {
        return await primary.increment(key, amount, expiresAtMs);
      } catch (error) {
        // A refund (or a charge) the store cannot take now is kept and carried over later, so
        // the quota counter does not drift from what was served.
        if (!isUnavailable(error) || (!pending.has(key) && !seeded.has(key))) throw error;
        addPending(key, amount, expiresAtMs);
        return local.increment(key, amount, expiresAtMs);
      }
    },

    heartbeat(key, memberId, ttlMs): Promise<number> {
      return primary.heartbeat(key, memberId, ttlMs);
    },

    get(key): Promise<number> {
      return primary.get(key);
    },

    ping(): Promise<void> {
      return primary.ping();
    },

    async close(): Promise<void> {
      closed = true;
      if (timer !== null) clearInterval(timer);
      // A last carry-over; what the store still cannot take is reported through onSyncError.
      await sync().catch((error: unknown) => options.onSyncError?.(error));
      await local.close();
      await primary.close();
    },
  };
}
