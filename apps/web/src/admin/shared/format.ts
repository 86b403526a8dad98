export { formatDate, formatDateTime, formatMoney, formatNumber } from '../../shared/format';

/** A percent of the quota (`83.3` → `83 %`); null → `—`. */
export function formatQuotaPercent(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(digits)} %`;
}

/** The colour of a usage bar at this percent of the quota. */
export function usageColor(percent: number): string {
  if (percent >= 100) return 'red';
  if (percent >= 80) return 'orange';
  return 'teal';
}

/** `1, 'subscriber'` → `1 subscriber`; `2, 'subscriber'` → `2 subscribers`. */
export function plural(count: number, noun: string): string {
  return `${new Intl.NumberFormat().format(count)} ${noun}${count === 1 ? '' : 's'}`;
}
