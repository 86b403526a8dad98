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

/** JWT bearer authentication of an API (validated by the plans service, defaults filled). */
export interface SnapshotApiJwt {
  /** Where the signing keys are published (a JSON Web Key Set). */
  jwksUrl: string;
  /** The `iss` claim tokens must carry. */
  issuer: string;
  /** The `aud` claim must be, or contain, this value. */
  audience: string;
  /** The claim whose value is the consumer's externalId, e.g. `sub`. */
  consumerClaim: string;
  /** Accepted signature algorithms: RS256, ES256, PS256, EdDSA. */
  algorithms: string[];
  /** Leeway for exp, nbf and iat. */
  clockToleranceSeconds: number;
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
  /** A query parameter that may carry the API key. null or absent: headers only. */
  keyInQuery?: string | null;
  /** JWT bearer authentication. null or absent (a plans service older than this field): off. */
  jwt?: SnapshotApiJwt | null;
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
  /**
   * While the quota counters are unreachable: `reject` (503) or `local_limit` (admit through a
   * node-local limiter at the limits divided by the node count). Absent (older plans service): reject.
   */
  countersUnavailable?: 'reject' | 'local_limit';
  /** Percentages of the quota at which a `quota.threshold_crossed` event is emitted. Absent: none. */
  alertThresholds?: number[];
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
  /** The consumer's id in the provider's identity system, matched against a JWT's consumer claim. */
  externalId?: string | null;
  /**
   * The developer's monthly spend cap on a pay-per-call plan: `units` is the most billable units
   * whose charge stays within `amountMinor`. null or absent (an older plans service): no cap.
   */
  spendCap?: SnapshotSpendCap | null;
}

/** A spend cap as the control plane sized it; the gateway only compares units and words the refusal. */
export interface SnapshotSpendCap {
  /** Billable units (counted requests × route weight) the cap pays for in one period. */
  units: number;
  /** The cap itself, in minor units of `currency`. */
  amountMinor: number;
  /** ISO 4217 code, lower case. */
  currency: string;
  /**
   * Digits of the currency's minor unit as Tollgate bills it (2 for `usd` and `isk`, 0 for `jpy`,
   * 3 for `kwd`), so the gateway writes the amount without a currency table. Absent (an older
   * plans service): 2.
   */
  minorDigits?: number;
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
