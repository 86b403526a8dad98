/**
 * A developer's monthly spend cap, as the gateway enforces it: the control plane converts the cap
 * into the most billable units whose charge stays within it, so the gateway compares units only.
 */
export interface SpendCapLimit {
  /** Billable units (counted requests × route weight) the cap pays for in one period. */
  units: number;
  /** The cap itself, in minor units of `currency`, for the refusal's wording. */
  amountMinor: number;
  /** ISO 4217 code, lower case. */
  currency: string;
}

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

const fractionDigits = new Map<string, number>();

function digitsOf(currency: string): number {
  let digits = fractionDigits.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2; // not a code Intl knows: the common case
    }
    fractionDigits.set(currency, digits);
  }
  return digits;
}

/** `5.00 USD` from 500 minor units (string arithmetic, no binary floats). */
export function formatMinorAmount(amountMinor: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = digitsOf(code);
  const sign = amountMinor < 0 ? '-' : '';
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  const major = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return `${sign}${major} ${code}`;
}
