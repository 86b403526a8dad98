import { type Plan } from '../shared/admin-types';
import { formatMoney, formatNumber } from '../shared/format';

/** A one-line summary of a plan's price. */
export function priceSummary(plan: Pick<Plan, 'prices' | 'currency' | 'overage'>): string {
  const parts = plan.prices.map((price) => {
    switch (price.type) {
      case 'flat':
        return `${formatMoney(price.amountMinor, plan.currency)} / period`;
      case 'per_unit':
        return `${formatMoney(price.unitAmountMinor, plan.currency)} per ${price.meter ?? 'request'}`;
      case 'package':
        return `${formatMoney(price.amountMinor, plan.currency)} per ${formatNumber(price.packageSize)} ${price.meter ?? 'requests'}`;
      case 'percentage':
        return `${price.percentBasisPoints / 100} % + ${formatMoney(price.fixedAmountMinor, plan.currency)}`;
      case 'per_event':
        return `${formatMoney(price.amountMinor, plan.currency)} per ${price.eventType}`;
      default:
        return `${price.type} tiers`;
    }
  });
  if (plan.overage) parts.push(`overage ${formatMoney(plan.overage.unitPriceMinor, plan.currency)}`);
  return parts.length === 0 ? 'Free' : parts.join(' + ');
}
