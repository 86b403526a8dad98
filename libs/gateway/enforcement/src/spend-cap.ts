import { type SnapshotSpendCap } from '@tollgate/gateway-snapshot';

/**
 * A developer's monthly spend cap, as the gateway enforces it: the control plane converts the cap
 * into the most billable units whose charge stays within it, so the gateway compares units only.
 */
export type SpendCapLimit = SnapshotSpendCap;

/**
 * The units a period admits: the quota ceiling, or the spend cap's units when they are fewer.
 * One comparison, so the request path pays nothing for caps it does not have.
 */
export function admissionCeiling(quotaCeiling: number, spendCap: SpendCapLimit | null | undefined): number {
  return spendCap === null || spendCap === undefined || spendCap.units >= quotaCeiling
    ? quotaCeiling
    : spendCap.units;
}

/** Whether a refusal at the admission ceiling is the spend cap's (402) rather than the quota's (429). */
export function refusedBySpendCap(quotaCeiling: number, spendCap: SpendCapLimit | null | undefined): boolean {
  return spendCap !== null && spendCap !== undefined && spendCap.units < quotaCeiling;
}

/**
 * `5.00 USD` from 500 minor units with 2 minor digits (string arithmetic, no binary floats). The
 * digits come from the control plane (the snapshot's spend cap), which knows how Tollgate bills
 * each currency; 2 when a caller has none.
 */
export function formatMinorAmount(amountMinor: number, currency: string, minorDigits = 2): string {
  const code = currency.toUpperCase();
  const digits = Number.isInteger(minorDigits) && minorDigits >= 0 ? minorDigits : 2;
  const sign = amountMinor < 0 ? '-' : '';
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  const major = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return `${sign}${major} ${code}`;
}
