import { billingPeriodAt } from '@tollgate/billing-period';
import { NotFoundError } from '@tollgate/errors';
import { type Alert, type PrismaClient } from '@tollgate/relational';
import { consumerWithLiveSubscription } from './consumer-usage-context';

export type AlertKind =
  | 'quota_threshold'
  | 'quota_exhausted'
  | 'spend_cap'
  | 'payment_failed'
  | 'grace_expired'
  | 'payment_recovered';

/** An alert as the portal banner and the admin UI show it. */
export interface AlertView {
  id: string;
  kind: AlertKind | string;
  /** Percent of the quota (or of the spend cap) for threshold alerts; 0 otherwise. */
  threshold: number;
  usedUnits: number | null;
  limitUnits: number | null;
  periodStart: string;
  createdAt: string;
  dismissedAt: string | null;
}

export function alertView(alert: Alert): AlertView {
  return {
    id: alert.id,
    kind: alert.kind,
    threshold: alert.threshold,
    usedUnits: alert.usedUnits,
    limitUnits: alert.limitUnits,
    periodStart: alert.periodStart.toISOString(),
    createdAt: alert.createdAt.toISOString(),
    dismissedAt: alert.dismissedAt?.toISOString() ?? null,
  };
}

/**
 * Start of the consumer's current billing period: alerts of a daily quota window fall inside it,
 * and so do payment notices.
 */
async function currentPeriodStart(prisma: PrismaClient, consumerId: string, now: number): Promise<number> {
  const { consumer, subscription } = await consumerWithLiveSubscription(prisma, consumerId);
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  if (!subscription) return now;
  return billingPeriodAt(now, subscription.periodAnchor.getTime(), consumer.timeZone, 'month').start;
}

/** The banner: the current period's alerts the developer has not dismissed, newest first. */
export async function currentConsumerAlerts(
  prisma: PrismaClient,
  consumerId: string,
  now = Date.now(),
): Promise<AlertView[]> {
  const since = new Date(await currentPeriodStart(prisma, consumerId, now));
  const alerts = await prisma.alert.findMany({
    where: {
      consumerId,
      dismissedAt: null,
      OR: [{ periodStart: { gte: since } }, { createdAt: { gte: since } }],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: 100,
  });
  return alerts.map(alertView);
}

/** Hides an alert from the banner; dismissing it again changes nothing. Another consumer's alert is 404. */
export async function dismissConsumerAlert(
  prisma: PrismaClient,
  consumerId: string,
  alertId: string,
  now = new Date(),
): Promise<AlertView> {
  const alert = await prisma.alert.findFirst({ where: { id: alertId, consumerId } });
  if (!alert) throw new NotFoundError('Alert', alertId);
  if (alert.dismissedAt !== null) return alertView(alert);
  const updated = await prisma.alert.update({ where: { id: alert.id }, data: { dismissedAt: now } });
  return alertView(updated);
}

/** Every alert of a consumer, newest first (admin). */
export async function consumerAlertHistory(
  prisma: PrismaClient,
  consumerId: string,
  limit = 50,
): Promise<AlertView[]> {
  const consumer = await prisma.consumer.findUnique({ where: { id: consumerId }, select: { id: true } });
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  const alerts = await prisma.alert.findMany({
    where: { consumerId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return alerts.map(alertView);
}
