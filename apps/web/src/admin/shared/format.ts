export { formatDate, formatDateTime, formatMoney, formatNumber } from '../../shared/format';

/**
 * A percent of the quota (`83.3` → `83 %`); null → `—`. Rounded down, like the portal's banner,
 * so `99.6` reads `99 %` and `100 %` only when the quota is used up.
 */
export function formatQuotaPercent(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const scale = 10 ** digits;
  // The epsilon absorbs binary noise (0.29 × 100 = 28.999…) before rounding down.
  return `${(Math.floor(value * scale + 1e-9) / scale).toFixed(digits)} %`;
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
