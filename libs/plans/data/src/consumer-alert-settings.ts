import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '@tollgate/errors';
import { type AlertSettingsInput, alertSettingsInputSchema, parseInput } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';

/** Where a consumer's alerts go, besides its own email. */
export interface AlertSettingsView {
  /** The account email: always notified. */
  email: string;
  billingEmails: string[];
  webhookUrl: string | null;
  /** Whether a signing secret exists (reveal it with the webhook-secret endpoint). */
  hasWebhookSecret: boolean;
}

export interface WebhookSecretView {
  /** `whsec_…`; null while no webhook URL is set. */
  secret: string | null;
}

function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

async function consumerRow(prisma: PrismaClient, consumerId: string) {
  const consumer = await prisma.consumer.findUnique({ where: { id: consumerId } });
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  return consumer;
}

function settingsView(consumer: {
  email: string;
  billingEmails: string[];
  webhookUrl: string | null;
  webhookSecret: string | null;
}): AlertSettingsView {
  return {
    email: consumer.email,
    billingEmails: consumer.billingEmails,
    webhookUrl: consumer.webhookUrl,
    hasWebhookSecret: consumer.webhookSecret !== null,
  };
}

export async function consumerAlertSettings(
  prisma: PrismaClient,
  consumerId: string,
): Promise<AlertSettingsView> {
  return settingsView(await consumerRow(prisma, consumerId));
}

/**
 * Replaces the alert contacts and the webhook URL. A first URL gets a generated signing secret; a
 * changed URL keeps the secret; no URL drops it (as the admin API does).
 */
export async function updateConsumerAlertSettings(
  prisma: PrismaClient,
  consumerId: string,
  body: unknown,
): Promise<AlertSettingsView> {
  const input: AlertSettingsInput = parseInput(alertSettingsInputSchema, body);
  const consumer = await consumerRow(prisma, consumerId);
  const updated = await prisma.consumer.update({
    where: { id: consumer.id },
    data: {
      billingEmails: input.billingEmails,
      webhookUrl: input.webhookUrl,
      webhookSecret: input.webhookUrl === null ? null : (consumer.webhookSecret ?? newWebhookSecret()),
    },
  });
  return settingsView(updated);
}

export async function revealConsumerWebhookSecret(
  prisma: PrismaClient,
  consumerId: string,
): Promise<WebhookSecretView> {
  return { secret: (await consumerRow(prisma, consumerId)).webhookSecret };
}

/** A new signing secret; the old one stops verifying at once. Needs a webhook URL. */
export async function rotateConsumerWebhookSecret(
  prisma: PrismaClient,
  consumerId: string,
): Promise<WebhookSecretView> {
  const consumer = await consumerRow(prisma, consumerId);
  if (consumer.webhookUrl === null) {
    throw new ConflictError('Set a webhook URL first: there is no signing secret to rotate');
  }
  const updated = await prisma.consumer.update({
    where: { id: consumer.id },
    data: { webhookSecret: newWebhookSecret() },
  });
  return { secret: updated.webhookSecret };
}

/** One webhook delivery as the portal and the admin UI list it (the body that was signed included). */
export interface WebhookDeliveryLogEntry {
  id: string;
  alertId: string | null;
  eventType: string;
  url: string;
  body: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A consumer's webhook deliveries, newest first. */
export async function consumerWebhookDeliveries(
  prisma: PrismaClient,
  consumerId: string,
  limit = 50,
): Promise<WebhookDeliveryLogEntry[]> {
  await consumerRow(prisma, consumerId);
  const rows = await prisma.webhookDelivery.findMany({
    where: { consumerId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map((row) => ({
    id: row.id,
    alertId: row.alertId,
    eventType: row.eventType,
    url: row.url,
    body: row.body,
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    error: row.error,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }));
}
