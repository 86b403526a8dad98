/** Display formatting shared by the portal and the admin UI (the browser's locale). */

import { currencyMinorDigits } from '@tollgate/plans-domain';

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return new Intl.NumberFormat().format(value);
}

/** `1 request`, `2 requests`: a count with its noun. */
export function formatCount(value: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(value)} ${value === 1 ? singular : plural}`;
}

export function formatPercent(ratio: number | null | undefined, digits = 0): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** `-12345` minor units with 2 digits → `-123.45`, exactly (no binary float for large amounts). */
function majorUnits(minor: string, digits: number): `${number}` {
  const negative = minor.startsWith('-');
  const magnitude = (negative ? minor.slice(1) : minor).padStart(digits + 1, '0');
  const whole = magnitude.slice(0, magnitude.length - digits);
  const fraction = digits > 0 ? `.${magnitude.slice(magnitude.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}` as `${number}`;
}

/** An amount in minor units (cents) of a currency; integer strings (bigint amounts) stay exact. */
export function formatMoney(minor: number | string | null | undefined, currency = 'USD'): string {
  if (minor === null || minor === undefined) return '—';
  const code = currency.toUpperCase();
  const digits = currencyMinorDigits(code);
  const text = typeof minor === 'string' ? minor.trim() : Number.isSafeInteger(minor) ? String(minor) : '';
  let major: number | `${number}`;
  if (/^-?\d+$/.test(text)) {
    major = majorUnits(text, digits);
  } else {
    const value = typeof minor === 'string' ? Number(minor) : minor;
    if (!Number.isFinite(value)) return '—';
    major = value / 10 ** digits;
  }
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(major);
  } catch {
    return `${typeof major === 'number' ? major.toFixed(digits) : major} ${code}`;
  }
}

export function formatDate(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(date);
}

export function formatDateTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
