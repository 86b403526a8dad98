import { NotFoundError, ValidationError } from '@tollgate/errors';
import { randomToken } from '@tollgate/ids';
import { type Jobs } from '@tollgate/ports';
import { type PrismaClient, type WebhookDelivery } from '@tollgate/relational';
import { Agent, fetch } from 'undici';
import { signWebhookPayload, tollgateSignatureHeader } from './consumer-webhook-signature';
import { type HostResolver, pinnedLookup, systemHostResolver, vetWebhookHost } from './webhook-address';

/** The job that makes one attempt of a webhook delivery; its job id is the delivery id. */
export const webhookDeliveryJobName = 'billing.webhook-delivery';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryView {
  id: string;
  consumerId: string;
  alertId: string | null;
  eventType: string;
  url: string;
  /** The exact JSON body that was signed and sent. */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt; null when it got no response (timeout, refused). */
  responseStatus: number | null;
  /** Why the last attempt failed. */
  error: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** What a consumer's webhook receives: the delivery id (to deduplicate), the event type and its data. */
export interface WebhookEnvelope<Data = unknown> {
  id: string;
  type: string;
  createdAt: string;
  consumerId: string;
  data: Data;
}

export interface QueueWebhookInput {
  consumerId: string;
  /** The alert that caused it: one delivery per (alert, URL), however often it is queued. */
  alertId?: string;
  eventType: string;
  payload: unknown;
}

/** What the webhooks log through (a pino logger fits). */
export interface WebhooksLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ConsumerWebhooksOptions {
  prisma: PrismaClient;
  /** Without jobs (e.g. in the portal) a queued delivery is tried once, right away. */
  jobs?: Jobs;
  logger: WebhooksLogger;
  /** Timeout of one attempt (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Tries before a delivery is marked failed (WEBHOOK_ATTEMPTS). */
  attempts: number;
  /** Base of the exponential backoff between tries (default 30 s: 30 s, 1 min, 2 min …). */
  backoffMs?: number;
  /**
   * Deliver to loopback, private, link-local and other non-public addresses too
   * (WEBHOOK_ALLOW_PRIVATE_NETWORKS; for development and tests). Off, such a URL is refused.
   */
  allowPrivateNetworks?: boolean;
  /** How host names are resolved before a delivery (default: the system resolver). */
  resolveHost?: HostResolver;
}

/** The error recorded on a delivery whose URL points into a private network. */
export const privateWebhookAddressError = 'webhook URL resolves to a private address';

const maxErrorLength = 500;
const defaultBackoffMs = 30_000;

function deliveryId(): string {
  return `whd_${randomToken(20)}`;
}

function toStatus(value: string): WebhookDeliveryStatus {
  return value === 'delivered' || value === 'failed' ? value : 'pending';
}

export function webhookDeliveryView(row: WebhookDelivery): WebhookDeliveryView {
  return {
    id: row.id,
    consumerId: row.consumerId,
    alertId: row.alertId,
    eventType: row.eventType,
    url: row.url,
    body: row.body,
    status: toStatus(row.status),
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    error: row.error,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return typeof cause?.code === 'string' ? `${message} (${cause.code})` : message;
}

/** A consumer's webhook deliveries, newest first (at most 500); the portal and the admin API list them. */
export async function consumerWebhookDeliveries(
  prisma: PrismaClient,
  consumerId: string,
  limit = 50,
): Promise<WebhookDeliveryView[]> {
  const consumer = await prisma.consumer.findUnique({ where: { id: consumerId }, select: { id: true } });
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  const rows = await prisma.webhookDelivery.findMany({
    where: { consumerId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(1, Math.floor(limit)), 500),
  });
  return rows.map(webhookDeliveryView);
}

/**
 * Signed webhooks to a consumer's URL, each with a delivery log: every delivery is a
 * WebhookDelivery row holding the exact body, and every attempt records its outcome there.
 */
export class ConsumerWebhooks {
  private readonly prisma: PrismaClient;
  private readonly jobs?: Jobs;
  private readonly logger: WebhooksLogger;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly allowPrivateNetworks: boolean;
  private readonly resolveHost: HostResolver;

  constructor(options: ConsumerWebhooksOptions) {
    this.prisma = options.prisma;
    this.jobs = options.jobs;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs;
    this.attempts = Math.max(1, options.attempts);
    this.backoffMs = options.backoffMs ?? defaultBackoffMs;
    this.allowPrivateNetworks = options.allowPrivateNetworks ?? false;
    this.resolveHost = options.resolveHost ?? systemHostResolver;
  }

  /**
   * Records a delivery to the consumer's webhook URL and enqueues its first attempt. Returns the
   * delivery id, or undefined when the consumer has no webhook URL. With an `alertId` the call is
   * idempotent: the same alert queued again returns the existing delivery and enqueues nothing new.
   */
  async queue(input: QueueWebhookInput): Promise<string | undefined> {
    const consumer = await this.prisma.consumer.findUnique({
      where: { id: input.consumerId },
      select: { webhookUrl: true, webhookSecret: true },
    });
    if (!consumer?.webhookUrl || !consumer.webhookSecret) return undefined;
    const url = consumer.webhookUrl;
    const id = deliveryId();
    const body = this.envelope(id, input.consumerId, input.eventType, input.payload);
    let deliveryIdToSend = id;
    if (input.alertId === undefined) {
      await this.prisma.webhookDelivery.create({
        data: { id, consumerId: input.consumerId, eventType: input.eventType, url, body },
      });
    } else {
      await this.prisma.webhookDelivery.createMany({
        data: [
          { id, consumerId: input.consumerId, alertId: input.alertId, eventType: input.eventType, url, body },
        ],
        skipDuplicates: true,
      });
      const existing = await this.prisma.webhookDelivery.findUniqueOrThrow({
        where: { alertId_url: { alertId: input.alertId, url } },
      });
      deliveryIdToSend = existing.id;
      if (existing.status !== 'pending') return existing.id;
    }
    if (this.jobs) {
      // The delivery id as job id: a second enqueue of the same delivery is a no-op.
      await this.jobs.enqueue(
        webhookDeliveryJobName,
        { deliveryId: deliveryIdToSend },
        { jobId: deliveryIdToSend, attempts: this.attempts, backoffMs: this.backoffMs },
      );
    } else {
      await this.deliver(deliveryIdToSend, this.attempts);
    }
    return deliveryIdToSend;
  }

  /**
   * One attempt of a delivery (attempt 1 is the first try): POSTs the stored body signed with a fresh
   * timestamp and records the outcome. 2xx → delivered; otherwise it stays pending for the next try,
   * and becomes failed when `attempt` is the last one. A delivered (or failed) delivery is not sent again.
   */
  async deliver(id: string, attempt: number): Promise<WebhookDeliveryView> {
    const delivery = await this.prisma.webhookDelivery.findUnique({ where: { id } });
    if (!delivery) throw new NotFoundError('Webhook delivery', id);
    if (delivery.status !== 'pending') return webhookDeliveryView(delivery);
    const consumer = await this.prisma.consumer.findUnique({
      where: { id: delivery.consumerId },
      select: { webhookSecret: true },
    });
    const last = attempt >= this.attempts;
    let responseStatus: number | null = null;
    let error: string | null = null;
    if (!consumer?.webhookSecret) {
      error = 'the consumer no longer has a webhook secret';
    } else {
      ({ responseStatus, error } = await this.post(delivery, consumer.webhookSecret));
    }
    const now = new Date();
    const status: WebhookDeliveryStatus = error === null ? 'delivered' : last ? 'failed' : 'pending';
    const updated = await this.prisma.webhookDelivery.update({
      where: { id },
      data: {
        status,
        attempts: { increment: 1 },
        responseStatus,
        error,
        lastAttemptAt: now,
        deliveredAt: error === null ? now : null,
      },
    });
    const context = {
      deliveryId: id,
      consumerId: delivery.consumerId,
      eventType: delivery.eventType,
      attempt,
      responseStatus,
    };
    if (status === 'delivered') this.logger.info(context, 'webhook delivered');
    else if (status === 'failed')
      this.logger.error({ ...context, error }, 'webhook delivery failed for good');
    else this.logger.warn({ ...context, error }, 'webhook attempt failed, will retry');
    return webhookDeliveryView(updated);
  }

  /**
   * One POST of the stored body. Unless private networks are allowed, the host is resolved first and
   * refused (without connecting) when any of its addresses is not public; the connection then goes
   * to a vetted address only, so a name that re-resolves elsewhere cannot redirect it.
   */
  private async post(
    delivery: WebhookDelivery,
    secret: string,
  ): Promise<{ responseStatus: number | null; error: string | null }> {
    let agent: Agent | undefined;
    try {
      if (!this.allowPrivateNetworks) {
        const target = await vetWebhookHost(new URL(delivery.url).hostname, this.resolveHost);
        if (!target.allowed) {
          const error =
            target.reason === 'private-address'
              ? privateWebhookAddressError
              : `webhook host could not be resolved${target.code ? ` (${target.code})` : ''}`;
          return { responseStatus: null, error };
        }
        agent = new Agent({ connect: { lookup: pinnedLookup(target.addresses) } });
      }
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tollgate-Webhooks/1',
          [tollgateSignatureHeader]: signWebhookPayload(delivery.body, secret),
          'tollgate-event': delivery.eventType,
          'tollgate-delivery': delivery.id,
        },
        body: delivery.body,
        // A redirect is an answer we do not follow: the configured URL must accept the delivery.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        dispatcher: agent,
      });
      await response.body?.cancel().catch(() => undefined);
      const ok = response.status >= 200 && response.status <= 299;
      return { responseStatus: response.status, error: ok ? null : `HTTP ${response.status}` };
    } catch (caught) {
      return {
        responseStatus: null,
        error: describeFailure(caught, this.timeoutMs).slice(0, maxErrorLength),
      };
    } finally {
      await agent?.destroy().catch(() => undefined);
    }
  }

  /** Sends one signed `webhook.test` event right away (a single try) and returns the recorded delivery. */
  async sendTest(consumerId: string): Promise<WebhookDeliveryView> {
    const consumer = await this.prisma.consumer.findUnique({
      where: { id: consumerId },
      select: { webhookUrl: true, webhookSecret: true },
    });
    if (!consumer) throw new NotFoundError('Consumer', consumerId);
    if (!consumer.webhookUrl || !consumer.webhookSecret) {
      throw new ValidationError([{ field: 'webhookUrl', message: 'The consumer has no webhook URL' }]);
    }
    const id = deliveryId();
    const body = this.envelope(id, consumerId, 'webhook.test', {
      message: 'A test delivery: your endpoint received and can verify Tollgate webhooks.',
    });
    await this.prisma.webhookDelivery.create({
      data: { id, consumerId, eventType: 'webhook.test', url: consumer.webhookUrl, body },
    });
    return this.deliver(id, this.attempts);
  }

  /** The consumer's deliveries, newest first. */
  list(consumerId: string, limit = 50): Promise<WebhookDeliveryView[]> {
    return consumerWebhookDeliveries(this.prisma, consumerId, limit);
  }

  private envelope(id: string, consumerId: string, type: string, data: unknown): string {
    const envelope: WebhookEnvelope = { id, type, createdAt: new Date().toISOString(), consumerId, data };
    return JSON.stringify(envelope);
  }
}

/**
 * Registers the delivery job: each run is one attempt; a failed attempt throws so the job runner
 * retries it with backoff, until the delivery is delivered or marked failed.
 */
export function defineWebhookDeliveryJob(jobs: Jobs, webhooks: ConsumerWebhooks): void {
  jobs.define<{ deliveryId: string }>(webhookDeliveryJobName, async (data, context) => {
    const delivery = await webhooks.deliver(data.deliveryId, context.attempt);
    if (delivery.status !== 'delivered') {
      // Id and status only: webhook URLs often carry secrets, and this message ends up in logs.
      throw new Error(`Webhook delivery ${delivery.id} not delivered (status ${delivery.status})`);
    }
  });
}
