import { randomToken } from '@tollgate/ids';
import { type ConsumerWebhooks } from '@tollgate/plans-data';
import { type Mailer } from '@tollgate/ports';
import { type Alert, type Prisma, type PrismaClient } from '@tollgate/relational';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import { type RenderedMail } from '../mail-templates/mail-renderer';
import { type AlertKind, type AlertSource } from './alert-rules';

export interface NewAlert {
  subscriptionId: string;
  consumerId: string;
  kind: AlertKind;
  periodStart: Date;
  threshold: number;
  usedUnits?: number | null;
  limitUnits?: number | null;
  source: AlertSource;
}

/** What an alert tells the consumer: one mail to its contacts, one webhook event. */
export interface AlertMessage {
  mail: RenderedMail;
  eventType: string;
  payload: Record<string, unknown>;
}

export interface AlertNotifierOptions {
  prisma: PrismaClient;
  mailer: Mailer;
  webhooks: ConsumerWebhooks;
  logger: BillingWorkerLogger;
  now: () => Date;
}

function alertId(): string {
  return `alr_${randomToken(20)}`;
}

/** The consumer's address and its billing contacts, each once (addresses compare case-insensitively). */
export function alertRecipients(email: string, billingEmails: readonly string[]): string[] {
  const seen = new Set<string>();
  const recipients: string[] = [];
  for (const address of [email, ...billingEmails]) {
    const trimmed = address.trim();
    if (trimmed === '' || seen.has(trimmed.toLowerCase())) continue;
    seen.add(trimmed.toLowerCase());
    recipients.push(trimmed);
  }
  return recipients;
}

/**
 * Raises alerts exactly once and sends them. The unique key (subscription, period start, kind,
 * threshold) decides who raises: an insert that finds the row present does nothing. Sending claims
 * the alert's `emailedAt` first, so two workers never mail the same alert; a failed send releases
 * the claim and the next run (event redelivery or recheck) sends it.
 */
export class AlertNotifier {
  constructor(private readonly options: AlertNotifierOptions) {}

  /** Inserts the alert unless it exists; the new row, or null when it was already raised. */
  async insert(alert: NewAlert, db: Prisma.TransactionClient = this.options.prisma): Promise<Alert | null> {
    const id = alertId();
    const inserted = await db.alert.createMany({
      data: [
        {
          id,
          subscriptionId: alert.subscriptionId,
          consumerId: alert.consumerId,
          kind: alert.kind,
          periodStart: alert.periodStart,
          threshold: alert.threshold,
          usedUnits: alert.usedUnits ?? null,
          limitUnits: alert.limitUnits ?? null,
          source: alert.source,
          createdAt: this.options.now(),
        },
      ],
      skipDuplicates: true,
    });
    if (inserted.count === 0) return null;
    return db.alert.findUniqueOrThrow({ where: { id } });
  }

  /** The existing alert of that key, if any. */
  async find(
    alert: Pick<NewAlert, 'subscriptionId' | 'kind' | 'periodStart' | 'threshold'>,
  ): Promise<Alert | null> {
    return this.options.prisma.alert.findUnique({
      where: {
        subscriptionId_periodStart_kind_threshold: {
          subscriptionId: alert.subscriptionId,
          periodStart: alert.periodStart,
          kind: alert.kind,
          threshold: alert.threshold,
        },
      },
    });
  }

  /**
   * Mails the alert to the consumer's contacts unless it was mailed already, then queues its
   * webhook (idempotent per alert and URL). Returns whether this call sent the mail.
   */
  async send(alert: Alert, message: AlertMessage): Promise<boolean> {
    const { prisma, mailer, webhooks, logger } = this.options;
    let mailed = false;
    const claimed = await prisma.alert.updateMany({
      where: { id: alert.id, emailedAt: null },
      data: { emailedAt: this.options.now() },
    });
    if (claimed.count === 1) {
      try {
        const consumer = await prisma.consumer.findUniqueOrThrow({
          where: { id: alert.consumerId },
          select: { email: true, billingEmails: true },
        });
        await mailer.send({
          to: alertRecipients(consumer.email, consumer.billingEmails),
          subject: message.mail.subject,
          text: message.mail.text,
          html: message.mail.html,
          // The same alert always has the same Message-ID: a resend after a lost reply is recognisable.
          headers: { 'Message-ID': `<${alert.id}@alerts.tollgate>` },
        });
        mailed = true;
        logger.info(
          { alertId: alert.id, consumerId: alert.consumerId, kind: alert.kind, threshold: alert.threshold },
          'alert mailed',
        );
      } catch (error) {
        await prisma.alert.updateMany({ where: { id: alert.id }, data: { emailedAt: null } });
        throw error;
      }
    }
    await webhooks.queue({
      consumerId: alert.consumerId,
      alertId: alert.id,
      eventType: message.eventType,
      payload: { alertId: alert.id, ...message.payload },
    });
    return mailed;
  }
}
