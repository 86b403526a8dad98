import {
  type GatewaySnapshot,
  type SnapshotApi,
  type SnapshotConsumer,
  type SnapshotKey,
  type SnapshotPlan,
} from '@tollgate/gateway-snapshot';
import { hashApiKey } from '@tollgate/ids';

export function planFixture(overrides: Partial<SnapshotPlan> & { id: string }): SnapshotPlan {
  return {
    version: 1,
    name: overrides.id,
    quota: { limit: 1000, period: 'month' },
    rateLimit: null,
    concurrency: null,
    allowedEndpoints: null,
    countPolicy: { count4xx: true, count5xx: false },
    ...overrides,
  };
}

export function consumerFixture(
  overrides: Partial<SnapshotConsumer> & { id: string; planId: string },
): SnapshotConsumer {
  return {
    status: 'active',
    suspendedReason: null,
    planVersion: 1,
    periodAnchor: '2025-01-15T00:00:00.000Z',
    timeZone: 'UTC',
    ...overrides,
  };
}

export function keyFixture(secret: string, consumerId: string, expiresAt: number | null = null): SnapshotKey {
  return { hash: hashApiKey(secret), keyId: `key_${consumerId}`, consumerId, expiresAt };
}

export function apiFixture(
  overrides: Partial<SnapshotApi> & { id: string; upstreamUrl: string },
): SnapshotApi {
  return { name: overrides.id, pathPrefix: `/${overrides.id}`, stripPrefix: true, routes: [], ...overrides };
}

let versionCounter = 0;

export function snapshotFixture(
  parts: Partial<Omit<GatewaySnapshot, 'version' | 'generatedAt'>>,
): GatewaySnapshot {
  versionCounter += 1;
  return {
    version: `v${versionCounter}`,
    generatedAt: Date.now(),
    apis: [],
    plans: [],
    consumers: [],
    keys: [],
    ...parts,
  };
}
