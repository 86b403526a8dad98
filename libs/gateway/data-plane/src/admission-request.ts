import { admissionCeiling, quotaCeiling } from '@tollgate/gateway-enforcement';
import { type AdmitRequest } from '@tollgate/ports';
import { type CompiledConsumer, type CompiledPlan, type QuotaWindow } from './snapshot-store';

const DAY_MS = 86_400_000;

/** GCRA state (theoretical arrival time) of a consumer's rate limit, in the same hash slot as its quota. */
export function rateCounterKey(consumerId: string): string {
  return `r:{${consumerId}}`;
}

/** The set of a consumer's in-flight requests (concurrency leases), in the same hash slot too. */
export function concurrencyLeaseKey(consumerId: string): string {
  return `c:{${consumerId}}`;
}

export interface AdmissionInput {
  consumer: CompiledConsumer;
  plan: CompiledPlan;
  window: QuotaWindow;
  cost: number;
  /** Identifies this request's concurrency lease (the event id). */
  leaseId: string;
  leaseMs: number;
}

/**
 * The one admission decision for a request (quota, rate and concurrency together), shared by the
 * gateway and the embeddable middleware. With an overage buffer the hard block moves to the ceiling;
 * a developer's spend cap lowers it when it pays for fewer units.
 */
export function admissionRequest({
  consumer,
  plan,
  window,
  cost,
  leaseId,
  leaseMs,
}: AdmissionInput): AdmitRequest {
  const { rateLimit, concurrency, quota, overageBufferPercent, countersUnavailable } = plan.record;
  return {
    quotaKey: window.counterKey,
    cost,
    // A spend cap is a lower ceiling on the same counter: no second key, no second round trip.
    quotaLimit: admissionCeiling(quotaCeiling(quota.limit, overageBufferPercent), consumer.record.spendCap),
    quotaExpiresAtMs: window.end + DAY_MS,
    rate:
      rateLimit === null
        ? null
        : { key: rateCounterKey(consumer.record.id), perSecond: rateLimit.perSecond, burst: rateLimit.burst },
    concurrency:
      concurrency === null
        ? null
        : { key: concurrencyLeaseKey(consumer.record.id), leaseId, limit: concurrency, leaseMs },
    whenUnavailable: countersUnavailable ?? 'reject',
  };
}
