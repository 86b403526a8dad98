/** Money and dates as notices show them: amounts in the currency's own format, dates in the consumer's zone. */

import { currencyMinorDigits } from '@tollgate/plans-domain';

function currencyFormat(currency: string, digits: number): Intl.NumberFormat {
  const options = { minimumFractionDigits: digits, maximumFractionDigits: digits };
  try {
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
      ...options,
    });
  } catch {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', ...options });
  }
}

/** `1234` usd → `$12.34`; `500` jpy → `¥500` (the currency's minor-unit digits, as amounts are stored). */
export function formatMoney(amountMinor: number, currency: string): string {
  const digits = currencyMinorDigits(currency);
  return currencyFormat(currency, digits).format(amountMinor / 10 ** digits);
}

/** `December 1, 2026 at 12:00 AM (Europe/Berlin)`; an unknown zone falls back to UTC. */
export function formatInstant(instant: Date, timeZone: string): string {
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const text = new Intl.DateTimeFormat('en-US', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: zone,
  }).format(instant);
  return `${text} (${zone})`;
}

export function formatCount(value: number): string {
  return new Intl.NumberFormat('en-US').format(value);
}
