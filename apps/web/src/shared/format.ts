/** Display formatting shared by the portal and the admin UI (the browser's locale). */

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

const minorUnitDigits: Record<string, number> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3 };

/** An amount in minor units (cents) of a currency. */
export function formatMoney(minor: number | string | null | undefined, currency = 'USD'): string {
  if (minor === null || minor === undefined) return '—';
  const value = typeof minor === 'string' ? Number(minor) : minor;
  if (Number.isNaN(value)) return '—';
  const code = currency.toUpperCase();
  const digits = minorUnitDigits[code] ?? 2;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(
      value / 10 ** digits,
    );
  } catch {
    return `${(value / 10 ** digits).toFixed(digits)} ${code}`;
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
