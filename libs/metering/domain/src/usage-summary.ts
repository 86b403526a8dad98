/** A consumer's usage for one billing period (the usage API's body). */
export interface UsageSummary {
  consumerId: string;
  periodStart: string;
  periodEnd: string;
  /** Requests counted against the quota under the plan's counting policy. */
  requests: number;
  /** Every request that reached the consumer's plan, counted or not. */
  totalRequests: number;
  /** Business units reported by the upstream (`Tollgate-Usage`), summed per name. */
  units: Record<string, number>;
  quota: { limit: number; used: number; remaining: number; overage: number };
}

export function quotaFigures(limit: number, used: number): UsageSummary['quota'] {
  return { limit, used, remaining: Math.max(0, limit - used), overage: Math.max(0, used - limit) };
}
