/**
 * Everything a gateway node needs to decide a request without asking anyone: pushed by the plans
 * service, held in memory. Keys appear only as SHA-256 hashes.
 */

export interface SnapshotRoute {
  method: string; // upper-case, or '*'
  /** Path template relative to the API's prefix, e.g. `/v1/orders/:id`. */
  pathTemplate: string;
  /** The metered endpoint name, e.g. `GET /v1/orders/:id`. */
  endpoint: string;
  costWeight: number;
}

export interface SnapshotApi {
  id: string;
  name: string;
  /** Requests whose path starts with this prefix go to this API, e.g. `/echo`. */
  pathPrefix: string;
  upstreamUrl: string;
  /** Strip the prefix before forwarding upstream. */
  stripPrefix: boolean;
  routes: SnapshotRoute[];
}

/**
 * One version of a plan. A snapshot holds every (id, version) some consumer is subscribed to, plus
 * each plan's latest version: subscribers keep their version's limits until they are moved.
 */
export interface SnapshotPlan {
  id: string;
  version: number;
  name: string;
  quota: { limit: number; period: 'month' | 'day' };
  rateLimit: { perSecond: number; burst: number } | null;
  concurrency: number | null;
  /** Metered endpoint names the plan may call; null means every endpoint. */
  allowedEndpoints: string[] | null;
  countPolicy: { count4xx: boolean; count5xx: boolean };
  /**
   * Graduated overage: requests up to quota × (1 + percent/100) pass and are marked as overage,
   * then a hard block. null or absent (a plans service older than this field): hard block at the quota.
   */
  overageBufferPercent?: number | null;
}

export interface SnapshotConsumer {
  id: string;
  status: 'active' | 'suspended';
  suspendedReason: string | null;
  planId: string;
  /** The version of the plan the subscription is pinned to; its limits are in `plans`. */
  planVersion: number;
  /** Billing-period anchor (ISO 8601 instant) and the consumer's IANA time zone. */
  periodAnchor: string;
  timeZone: string;
}

export interface SnapshotKey {
  /** SHA-256 hex of the key secret. */
  hash: string;
  keyId: string;
  consumerId: string;
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
}

export interface GatewaySnapshot {
  /** Changes whenever any content changes (a content hash). */
  version: string;
  generatedAt: number;
  apis: SnapshotApi[];
  plans: SnapshotPlan[];
  consumers: SnapshotConsumer[];
  /** Only keys that are not revoked. */
  keys: SnapshotKey[];
}

/** How plans are looked up: by id and version, e.g. `plan_123@2`. */
export function snapshotPlanKey(planId: string, version: number): string {
  return `${planId}@${version}`;
}
