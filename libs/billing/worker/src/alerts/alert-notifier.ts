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

/** How long a send may take before another worker may take its alert over (SMTP gives up well before). */
export const mailClaimLeaseMs = 10 * 60_000;

/**
 * While a mail is being sent, `emailedAt` holds a claim: the instant the claim expires, shifted this
 * far (about 1,000 years) into the future. No real send time reaches that range, so a stored value is
 * either a send time or a claim, never ambiguous, and needs no column of its own.
 */
const claimShiftMs = 1_000 * 365.25 * 86_400_000;
const claimFloor = new Date(claimShiftMs);

function claimExpiringAt(expiresAt: number): Date {
  return new Date(expiresAt + claimShiftMs);
}

/** Whether the alert's mail still has to be sent at `now`: never sent, and no unexpired claim on it. */
export function mailPending(alert: Pick<Alert, 'emailedAt'>, now: Date): boolean {
  if (alert.emailedAt === null) return true;
  const stored = alert.emailedAt.getTime();
  return stored >= claimShiftMs && stored <= claimExpiringAt(now.getTime()).getTime();
}

/** The `where` of alerts whose mail still has to be sent at `now` (see `mailPending`). */
export function mailPendingWhere(now: Date): Prisma.AlertWhereInput {
  return {
    OR: [{ emailedAt: null }, { emailedAt: { gte: claimFloor, lte: claimExpiringAt(now.getTime()) } }],
  };
}

/**
 * Raises alerts exactly once and sends them. The unique key (subscription, period start, kind,
 * threshold) decides who raises: an insert that finds the row present does nothing. Sending first
 * claims the alert's `emailedAt` for `mailClaimLeaseMs`, so two workers never mail the same alert;
 * a successful send replaces the claim with the send time, a failed send releases it, and a claim
 * left by a worker that stopped mid-send expires. Either way the next run (event redelivery or
 * recheck) sends the mail.
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
    const now = this.options.now();
    const claim = claimExpiringAt(now.getTime() + mailClaimLeaseMs);
    const claimed = await prisma.alert.updateMany({
      where: { id: alert.id, ...mailPendingWhere(now) },
      data: { emailedAt: claim },
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
      } catch (error) {
        // Releases this claim only: a worker that took over an expired claim keeps its own.
        await prisma.alert.updateMany({
          where: { id: alert.id, emailedAt: claim },
          data: { emailedAt: null },
        });
        throw error;
      }
      // Any claim (this one, or one taken over after it expired) gives way to the send time.
      await prisma.alert.updateMany({
        where: { id: alert.id, emailedAt: { gte: claimFloor } },
        data: { emailedAt: this.options.now() },
      });
      mailed = true;
      logger.info(
        { alertId: alert.id, consumerId: alert.consumerId, kind: alert.kind, threshold: alert.threshold },
        'alert mailed',
      );
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
