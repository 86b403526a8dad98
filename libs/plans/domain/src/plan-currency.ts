import { type PriceComponent } from './price-components';

interface CurrencyBearing {
  currency?: string;
  prices: readonly Pick<PriceComponent, 'currency'>[];
  overage: { currency: string } | null;
}

export interface CurrencyIssue {
  path: (string | number)[];
  message: string;
}

/** A plan bills in one currency: the explicit one, else its prices', else its overage's, else usd. */
export function resolvePlanCurrency(plan: CurrencyBearing): string {
  return plan.currency ?? plan.prices[0]?.currency ?? plan.overage?.currency ?? 'usd';
}

/** Every price component and the overage must be in the plan's currency. */
export function planCurrencyIssues(plan: CurrencyBearing & { currency: string }): CurrencyIssue[] {
  const issues: CurrencyIssue[] = [];
  plan.prices.forEach((price, index) => {
    if (price.currency !== plan.currency) {
      issues.push({
        path: ['prices', index, 'currency'],
        message: `Must be ${plan.currency}, the plan's currency`,
      });
    }
  });
  if (plan.overage && plan.overage.currency !== plan.currency) {
    issues.push({ path: ['overage', 'currency'], message: `Must be ${plan.currency}, the plan's currency` });
  }
  return issues;
}
