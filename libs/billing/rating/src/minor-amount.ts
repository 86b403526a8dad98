/**
 * Exact money arithmetic. Amounts are integer minor units; every product and quotient is taken in
 * BigInt (a price times a quantity, or an amount times milliseconds, passes 2^53 long before the
 * result does), and a fraction becomes minor units once, rounded half up.
 */

/** A non-negative rational number of minor units: `numerator / denominator`. */
export interface ExactAmount {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Most digits after the point a decimal unit price may carry. */
export const maxDecimalPlaces = 12;

/** `"0.2"`, `"12"`, `"0.000125"`: a non-negative decimal with at most 15 + 12 digits. */
export const unitAmountDecimalPattern = new RegExp(
  `^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,${maxDecimalPlaces}})?$`,
);

/** `numerator / denominator` rounded half up (ties away from zero; both are non-negative). */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** Ceiling of `numerator / denominator` for non-negative operands. */
export function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/** The exact value of a decimal string matching `unitAmountDecimalPattern`. */
export function parseDecimal(text: string): ExactAmount {
  const [whole, fraction = ''] = text.split('.');
  return { numerator: BigInt(whole + fraction), denominator: 10n ** BigInt(fraction.length) };
}

/** The unit price of a component or tier: its decimal price when it has one, else its integer one. */
export function unitPrice(price: { unitAmountMinor: number; unitAmountDecimal?: string }): ExactAmount {
  return price.unitAmountDecimal === undefined
    ? { numerator: BigInt(price.unitAmountMinor), denominator: 1n }
    : parseDecimal(price.unitAmountDecimal);
}

/** `quantity × price`, rounded half up to a whole minor unit. */
export function extendedAmount(quantity: bigint, price: ExactAmount): bigint {
  return roundHalfUp(quantity * price.numerator, price.denominator);
}

/** Shortest decimal text of `numerator / 10^places` (`formatDecimal(290n, 4)` is `"0.029"`). */
export function formatDecimal(numerator: bigint, places: number): string {
  const digits = numerator.toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** Decimal text of an exact amount whose denominator is a power of ten. */
export function formatExactAmount(amount: ExactAmount): string {
  return formatDecimal(amount.numerator, amount.denominator.toString().length - 1);
}
