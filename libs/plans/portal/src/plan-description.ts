/** Plain-words descriptions of a plan for the portal's pricing list. */

import { currencyMinorDigits } from '@tollgate/plans-domain';

/** `49.00 USD` from 4900 minor units (`500 JPY`, `1.250 KWD`), in integer arithmetic (no binary floats). */
export function formatMoney(amountMinor: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = currencyMinorDigits(currency);
  if (digits === 0) return `${amountMinor} ${code}`;
  const sign = amountMinor < 0 ? '-' : '';
  const absolute = Math.abs(amountMinor);
  const scale = 10 ** digits;
  const major = Math.floor(absolute / scale);
  const minor = String(absolute % scale).padStart(digits, '0');
  return `${sign}${major}.${minor} ${code}`;
}

export function countingPolicyText(policy: { count4xx: boolean; count5xx: boolean }): string {
  const counted = ['2xx', '3xx', ...(policy.count4xx ? ['4xx'] : []), ...(policy.count5xx ? ['5xx'] : [])];
  const free = [
    ...(policy.count4xx ? [] : ['4xx (client errors)']),
    ...(policy.count5xx ? [] : ['5xx (server errors)']),
  ];
  const countedText = `Responses with status ${counted.join(', ')} count against the quota`;
  return free.length === 0
    ? `${countedText}, whatever their status.`
    : `${countedText}; ${free.join(' and ')} do not.`;
}

interface Tier {
  upTo: number | null;
  unitAmountMinor: number;
  flatAmountMinor?: number;
}

/** A stored price component, loosely typed: older rows may predate a field. */
export interface StoredPriceComponent {
  type: string;
  currency?: string;
  amountMinor?: number;
  unitAmountMinor?: number;
  meter?: string;
  tiers?: Tier[];
  packageSize?: number;
  percentBasisPoints?: number;
  fixedAmountMinor?: number;
  eventType?: string;
}

function tiersText(tiers: Tier[], currency: string, unit: string): string {
  let from = 1;
  return tiers
    .map((tier) => {
      const range = tier.upTo === null ? `${from}+` : `${from}–${tier.upTo}`;
      from = (tier.upTo ?? from) + 1;
      const flat = tier.flatAmountMinor ? ` + ${formatMoney(tier.flatAmountMinor, currency)}` : '';
      return `${range}: ${formatMoney(tier.unitAmountMinor, currency)} per ${unit}${flat}`;
    })
    .join('; ');
}

/** One sentence per price component, e.g. `49.00 USD per month`. */
export function priceText(price: StoredPriceComponent, period: 'month' | 'day'): string {
  const currency = price.currency ?? 'usd';
  const unit = price.meter && price.meter !== 'requests' ? price.meter : 'request';
  switch (price.type) {
    case 'flat':
      return `${formatMoney(price.amountMinor ?? 0, currency)} per ${period}`;
    case 'per_unit':
      return `${formatMoney(price.unitAmountMinor ?? 0, currency)} per ${unit}`;
    case 'graduated':
      return `Graduated per ${unit}: ${tiersText(price.tiers ?? [], currency, unit)}`;
    case 'volume':
      return `Volume pricing per ${unit} (the period's total picks the tier): ${tiersText(price.tiers ?? [], currency, unit)}`;
    case 'package':
      return `${formatMoney(price.amountMinor ?? 0, currency)} per started block of ${price.packageSize ?? 1} ${unit}s`;
    case 'percentage': {
      const points = price.percentBasisPoints ?? 0;
      const percent = `${Math.floor(points / 100)}${
        points % 100
          ? `.${String(points % 100)
              .padStart(2, '0')
              .replace(/0$/, '')}`
          : ''
      } %`;
      return `${percent} of ${price.meter ?? 'the transaction value'} plus ${formatMoney(price.fixedAmountMinor ?? 0, currency)} per transaction`;
    }
    case 'per_event':
      return `${formatMoney(price.amountMinor ?? 0, currency)} per ${price.eventType ?? 'business'} event`;
    default:
      return `A ${price.type} price component`;
  }
}
