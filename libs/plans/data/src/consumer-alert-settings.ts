import { ConflictError, NotFoundError } from '@tollgate/errors';
import { type AlertSettingsInput, alertSettingsInputSchema, parseInput } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { newWebhookSecret } from './consumer-webhook-signature';

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
