import { type PrismaClient } from '@tollgate/relational';
import { type ReadinessCheck } from '@tollgate/observability';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { type AdminTokens } from '@tollgate/plans-data';
import { type Registry } from 'prom-client';
import { type SnapshotCache } from './snapshot-cache';

/** Everything the HTTP layer needs, built by the app (distributed) or the platform (embedded). */
export interface PlansHttpDependencies {
  prisma: PrismaClient;
  usage: UsageQueries;
  adminTokens: AdminTokens;
  snapshots: SnapshotCache;
  registry: Registry;
  readiness: ReadinessCheck[];
  /** Shared secret gateways present when they pull the snapshot (admin tokens work too). */
  gatewayToken?: string;
}

export const PLANS_DEPENDENCIES = Symbol('PLANS_DEPENDENCIES');
