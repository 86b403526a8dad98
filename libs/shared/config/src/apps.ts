import { z } from 'zod';
import {
  adminArea,
  analyticsArea,
  billingArea,
  controlPlaneHttpArea,
  countersArea,
  dataDirArea,
  demoArea,
  eventLogArea,
  gatewayHttpArea,
  gatewayLinkArea,
  ingestArea,
  jobsArea,
  jobsBoardArea,
  logArea,
  mailArea,
  meteringArea,
  opsHttpArea,
  reconciliationArea,
  relationalArea,
  stripeArea,
} from './areas';

/** One schema per app, composed from the areas it uses. */
export const gatewayConfigSchema = z.object({
  ...logArea.shape,
  ...gatewayHttpArea.shape,
  ...gatewayLinkArea.shape,
  // A gateway of its own must authenticate to the plans service.
  GATEWAY_TOKEN: gatewayLinkArea.shape.GATEWAY_TOKEN.unwrap(),
  ...eventLogArea.shape,
  ...countersArea.shape,
  ...dataDirArea.shape,
});

export const plansConfigSchema = z.object({
  ...logArea.shape,
  ...controlPlaneHttpArea.shape,
  ...relationalArea.shape,
  ...analyticsArea.shape,
  ...adminArea.shape,
  ...gatewayLinkArea.pick({ GATEWAY_TOKEN: true, SNAPSHOT_POLL_MS: true }).shape,
  ...countersArea.shape,
  // The ingest API produces business events to the ingest topic.
  ...eventLogArea.pick({ KAFKA_BROKERS: true, KAFKA_CLIENT_ID: true, ACCESS_LOG_PARTITIONS: true }).shape,
  ...meteringArea.pick({ INGEST_TOPIC: true }).shape,
  ...ingestArea.shape,
  ...reconciliationArea.pick({ RECONCILIATION_SETTLE_MS: true }).shape,
  ...mailArea.shape,
  ...stripeArea.shape,
  // The portal's webhook test delivery.
  ...billingArea.pick({ WEBHOOK_TIMEOUT_MS: true, WEBHOOK_ALLOW_PRIVATE_NETWORKS: true }).shape,
  ...demoArea.shape,
  ...gatewayHttpArea.pick({ GATEWAY_PORT: true }).shape,
  ...dataDirArea.shape,
});

export const meteringConfigSchema = z.object({
  ...logArea.shape,
  ...opsHttpArea.shape,
  ...eventLogArea.shape,
  ...analyticsArea.shape,
  ...meteringArea.shape,
  ...dataDirArea.shape,
});

export const billingWorkerConfigSchema = z.object({
  ...logArea.shape,
  ...opsHttpArea.shape,
  ...relationalArea.shape,
  ...analyticsArea.shape,
  ...jobsArea.shape,
  ...jobsBoardArea.shape,
  // The gateway's quota counters, read by the usage reconciliation.
  ...countersArea.pick({ REDIS_KEY_PREFIX: true }).shape,
  ...reconciliationArea.shape,
  ...mailArea.shape,
  ...stripeArea.shape,
  ...billingArea.shape,
  // Quota events from the gateways, and a public URL for links in mails.
  ...eventLogArea.pick({ KAFKA_BROKERS: true, KAFKA_CLIENT_ID: true, QUOTA_EVENTS_TOPIC: true }).shape,
  PUBLIC_URL: controlPlaneHttpArea.shape.PUBLIC_URL,
  ...dataDirArea.shape,
});

/** Embedded mode: every app in one process; every infrastructure URL is optional. */
export const platformConfigSchema = z.object({
  ...logArea.shape,
  ...controlPlaneHttpArea.shape,
  ...gatewayHttpArea.shape,
  ...relationalArea.shape,
  ...analyticsArea.shape,
  ...eventLogArea.shape,
  ...countersArea.shape,
  ...jobsArea.shape,
  ...mailArea.shape,
  ...adminArea.shape,
  ...meteringArea.shape,
  ...ingestArea.shape,
  ...reconciliationArea.shape,
  ...stripeArea.shape,
  ...billingArea.shape,
  ...demoArea.shape,
  ...gatewayLinkArea.pick({ SNAPSHOT_POLL_MS: true, GATEWAY_TOKEN: true }).shape,
  ...dataDirArea.shape,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type PlansConfig = z.infer<typeof plansConfigSchema>;
export type MeteringConfig = z.infer<typeof meteringConfigSchema>;
export type BillingWorkerConfig = z.infer<typeof billingWorkerConfigSchema>;
export type PlatformConfig = z.infer<typeof platformConfigSchema>;

export const appConfigSchemas = {
  platform: platformConfigSchema,
  gateway: gatewayConfigSchema,
  plans: plansConfigSchema,
  metering: meteringConfigSchema,
  'billing-worker': billingWorkerConfigSchema,
} as const;
