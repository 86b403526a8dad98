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

// Minor units as the billing provider (Stripe) counts them: most currencies have cents, these none,
// and these thousandths. Amounts in Tollgate are always integers in these minor units.
const zeroDecimalCurrencies = new Set(
  'bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '),
);
const threeDecimalCurrencies = new Set('bhd jod kwd omr tnd'.split(' '));

/** Digits of a currency's minor unit: 2 (`usd`), 0 (`jpy`) or 3 (`kwd`); case-insensitive. */
export function currencyMinorDigits(currency: string): number {
  const code = currency.toLowerCase();
  if (zeroDecimalCurrencies.has(code)) return 0;
  return threeDecimalCurrencies.has(code) ? 3 : 2;
}
