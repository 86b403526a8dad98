import {
  type AnalyticsQueries,
  type UsageQueries,
  type UsageReconciliation,
} from '@tollgate/metering-pipeline';
import { type ReadinessCheck } from '@tollgate/observability';
import { type AdminTokens, type EventIngestion } from '@tollgate/plans-data';
import { type Counters, type Jobs, type Mailer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import { type Registry } from 'prom-client';
import { type BillingLinks, type WebhookTestSender } from './billing-links.port';
import { type SnapshotCache } from './snapshot-cache';

/** Everything the HTTP layer needs, built by the app (distributed) or the platform (embedded). */
export interface PlansHttpDependencies {
  prisma: PrismaClient;
  usage: UsageQueries;
  /** Admin analytics over every consumer (the usage rollups). */
  analytics: AnalyticsQueries;
  /** The usage reconciliation (shared with the job that runs it, so its metrics register once). */
  reconciliation: UsageReconciliation;
  adminTokens: AdminTokens;
  snapshots: SnapshotCache;
  registry: Registry;
  readiness: ReadinessCheck[];
  /** Shared secret gateways present when they pull the snapshot (admin tokens work too). */
  gatewayToken?: string;
  /** Verification and password-reset mail. */
  mailer: Mailer;
  /** The mail outbox folder when mail is not sent over SMTP (embedded mode); the admin UI lists it. */
  outboxDirectory?: string;
  /** Abuse limits of the control plane itself (signup, login, password reset). */
  counters: Counters;
  /** Base URL of this control plane as developers reach it, for links in mail. */
  publicUrl: string;
  /** Secret that signs verification and reset links; stable across restarts. */
  signingSecret: string;
  /** The ingest API (`POST /api/events`): business events onto the ingest topic. */
  ingest: EventIngestion;
  /** Signing secret of the Stripe webhook endpoint (whsec_…); unset, the endpoint answers 404. */
  stripeWebhookSecret?: string;
  /** Checkout and Customer Portal links; absent (no billing provider), those portal endpoints answer 404. */
  billingLinks?: BillingLinks;
  /** Dead letters of these job names at GET /api/admin/jobs/failed; absent, that endpoint answers 404. */
  jobs?: { jobs: Jobs; names: string[] };
  /** Signed test deliveries to a consumer's webhook; absent, POST /api/portal/webhooks/test answers 404. */
  webhooks?: WebhookTestSender;
}

export const PLANS_DEPENDENCIES = Symbol('PLANS_DEPENDENCIES');
