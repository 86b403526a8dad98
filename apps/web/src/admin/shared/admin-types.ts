import {
  type PastDuePolicy,
  type PlanDefinition as DomainPlanDefinition,
  type PlanTier,
} from '@tollgate/plans-domain';

/** What the admin API answers (docs/admin-api.md; the OpenAPI document is the reference). */

export type { ApiKey, UsageSummary } from '../../shared/api-types';
export type { PlanTier };

export interface PlanDefinition extends DomainPlanDefinition {
  /** Present on servers with dunning. */
  gracePeriodDays?: number;
  pastDuePolicy?: PastDuePolicy;
}

export interface Plan extends PlanDefinition {
  id: string;
  slug: string;
  name: string;
  tier: PlanTier;
  description: string | null;
  isPublic: boolean;
  archivedAt: string | null;
  version: number;
  groupId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PlanVersion {
  version: number;
  definition: PlanDefinition;
  createdAt: string;
  subscribers: number;
}

export interface PlanDetail extends Plan {
  versions: PlanVersion[];
}

export interface Subscription {
  id: string;
  planId: string;
  planName: string;
  planVersion: number;
  status: 'trialing' | 'active' | 'past_due' | 'canceled' | 'suspended';
  periodAnchor: string;
  currentPeriod: { start: string; end: string };
  trialEndsAt: string | null;
  canceledAt: string | null;
  pendingPlanId: string | null;
  pendingPlanVersion: number | null;
  pendingEffectiveAt: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  createdAt: string;
}

export interface Consumer {
  id: string;
  name: string;
  email: string;
  status: 'active' | 'suspended';
  suspendedReason: string | null;
  timeZone: string;
  billingEmails: string[];
  webhookUrl: string | null;
  externalId: string | null;
  developerId: string | null;
  groupId: string | null;
  createdAt: string;
  updatedAt: string;
  subscription: Subscription | null;
}

export interface ConsumerPage {
  items: Consumer[];
  nextCursor: string | null;
}

export interface UsageTimeseries {
  consumerId: string;
  granularity: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  points: { start: string; end: string; requests: number; totalRequests: number }[];
}

export interface Route {
  id: string;
  apiId: string;
  method: string;
  pathTemplate: string;
  endpoint: string;
  costWeight: number;
}

export interface UpstreamApi {
  id: string;
  name: string;
  pathPrefix: string;
  upstreamUrl: string;
  stripPrefix: boolean;
  keyInQuery: string | null;
  jwt: object | null;
  hasIngestToken: boolean;
  createdAt: string;
  updatedAt: string;
  routes: Route[];
}

export interface ConsumerGroup {
  id: string;
  name: string;
  planId: string;
  consumers: number;
}

export interface ConsumerConsumption {
  consumerId: string;
  name: string;
  planId: string;
  planName: string;
  planTier: string;
  periodStart: string;
  periodEnd: string;
  quotaLimit: number;
  used: number;
  requests: number;
  percentOfQuota: number | null;
}

export interface ConsumerConsumptionList {
  generatedAt: string;
  consumers: ConsumerConsumption[];
}

export interface ReconciliationReport {
  run: {
    runId: string;
    runAt: string;
    finishedAt: string;
    consumers: number;
    drifting: number;
    driftUnits: number;
    skipped: number;
  } | null;
  rows: {
    consumerId: string;
    planId: string;
    periodStart: string;
    periodEnd: string;
    gatewayCount: number;
    meteredCount: number;
    drift: number;
    checks: number;
  }[];
}
