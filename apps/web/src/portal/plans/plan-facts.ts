import { formatCount, formatMoney, formatNumber } from '../../shared/format';
import { type PortalPlan } from '../portal-types';

/** The facts of a plan in plain words, from `GET /api/portal/plans`. */
export function planFacts(plan: PortalPlan): string[] {
  const facts = [`${formatCount(plan.quota.limit, 'request')} per ${plan.quota.period}`];
  if (plan.rateLimit)
    facts.push(
      `Up to ${formatCount(plan.rateLimit.perSecond, 'request')} per second (bursts of ${formatNumber(plan.rateLimit.burst)})`,
    );
  if (plan.concurrency) facts.push(`${formatCount(plan.concurrency, 'request')} in flight at once`);
  if (plan.overage) {
    facts.push(
      plan.overage.unitPriceMinor > 0
        ? `Beyond the quota: ${formatMoney(plan.overage.unitPriceMinor, plan.overage.currency)} per request (up to ${plan.overage.bufferPercent} % more)`
        : `Beyond the quota: up to ${plan.overage.bufferPercent} % more at no charge`,
    );
  } else {
    facts.push('Requests beyond the quota are refused until the quota resets');
  }
  if (plan.trialDays > 0) facts.push(`${plan.trialDays}-day free trial`);
  return facts;
}
