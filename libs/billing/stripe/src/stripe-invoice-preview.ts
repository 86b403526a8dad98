/**
 * How the Stripe test server prices one subscription item for an invoice preview. Pure and exact:
 * quantities and amounts are rationals over `bigint`; each line is rounded half up once, to a
 * whole minor unit, as Stripe rounds an invoice line.
 */

/** `numerator / denominator`, denominator > 0. */
export interface Rational {
  numerator: bigint;
  denominator: bigint;
}

/** The fields of a stored Stripe price that decide what it charges. */
export interface PreviewPrice {
  billing_scheme: 'per_unit' | 'tiered';
  unit_amount_decimal: string | null;
  tiers_mode: 'graduated' | 'volume' | null;
  tiers: Array<{
    up_to: number | null;
    unit_amount_decimal: string | null;
    flat_amount_decimal: string | null;
  }> | null;
  transform_quantity: { divide_by: number; round: 'up' | 'down' } | null;
}

export interface PricedQuantity {
  /** Whole minor units. */
  amount: bigint;
  /** Exact price of one unit of the (transformed) quantity; null for tiered prices. */
  unitAmountDecimal: string | null;
}

export const zero: Rational = { numerator: 0n, denominator: 1n };

/** `'12.345'` → 12345/1000; an absent amount is zero. */
export function parseDecimal(value: string | null | undefined): Rational {
  if (value === null || value === undefined) return zero;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error(`Not a decimal: ${value}`);
  const fraction = match[3] ?? '';
  const magnitude = BigInt(`${match[2] ?? '0'}${fraction}`);
  return {
    numerator: match[1] === '-' ? -magnitude : magnitude,
    denominator: 10n ** BigInt(fraction.length),
  };
}

export function add(a: Rational, b: Rational): Rational {
  return {
    numerator: a.numerator * b.denominator + b.numerator * a.denominator,
    denominator: a.denominator * b.denominator,
  };
}

export function multiply(a: Rational, b: Rational): Rational {
  return { numerator: a.numerator * b.numerator, denominator: a.denominator * b.denominator };
}

function whole(value: bigint): Rational {
  return { numerator: value, denominator: 1n };
}

function floor(value: Rational): bigint {
  const quotient = value.numerator / value.denominator;
  return value.numerator < 0n && quotient * value.denominator !== value.numerator ? quotient - 1n : quotient;
}

function ceil(value: Rational): bigint {
  return -floor({ numerator: -value.numerator, denominator: value.denominator });
}

/** Half up: 0.5 → 1, 1.5 → 2, 0.4999 → 0. */
export function roundHalfUp(value: Rational): bigint {
  return floor(add(value, { numerator: 1n, denominator: 2n }));
}

function lessOrEqual(a: Rational, b: Rational): boolean {
  return a.numerator * b.denominator <= b.numerator * a.denominator;
}

function minimum(a: Rational, b: Rational): Rational {
  return lessOrEqual(a, b) ? a : b;
}

function subtract(a: Rational, b: Rational): Rational {
  return add(a, { numerator: -b.numerator, denominator: b.denominator });
}

/** The quantity as Stripe bills it: divided by `divide_by` and rounded when the price says so. */
export function billedQuantity(price: PreviewPrice, quantity: Rational): Rational {
  const transform = price.transform_quantity;
  if (transform === null) return quantity;
  const divided = multiply(quantity, { numerator: 1n, denominator: BigInt(transform.divide_by) });
  return whole(transform.round === 'up' ? ceil(divided) : floor(divided));
}

/**
 * Graduated: each unit at the price of its tier, plus the flat amount of every tier usage entered.
 * Volume: every unit at the tier the total falls in, plus that tier's flat amount. A tier's flat
 * amount is owed once a unit falls in it, so no usage costs nothing.
 */
function tieredAmount(price: PreviewPrice, quantity: Rational): Rational {
  const tiers = price.tiers ?? [];
  const positive = quantity.numerator > 0n;
  if (price.tiers_mode === 'volume') {
    const tier = tiers.find(
      (candidate) => candidate.up_to === null || lessOrEqual(quantity, whole(BigInt(candidate.up_to))),
    );
    if (tier === undefined) return zero;
    const units = multiply(quantity, parseDecimal(tier.unit_amount_decimal));
    return positive ? add(units, parseDecimal(tier.flat_amount_decimal)) : units;
  }
  let total = zero;
  let below = zero;
  for (const tier of tiers) {
    if (lessOrEqual(quantity, below)) break;
    const ceiling = tier.up_to === null ? quantity : minimum(quantity, whole(BigInt(tier.up_to)));
    const inTier = subtract(ceiling, below);
    total = add(total, multiply(inTier, parseDecimal(tier.unit_amount_decimal)));
    if (inTier.numerator > 0n) total = add(total, parseDecimal(tier.flat_amount_decimal));
    below = ceiling;
  }
  return total;
}

/** What one subscription item owes for `quantity` (licensed quantity or aggregated meter usage). */
export function priceQuantity(price: PreviewPrice, quantity: Rational): PricedQuantity {
  const billed = billedQuantity(price, quantity);
  if (price.billing_scheme === 'tiered') {
    return { amount: roundHalfUp(tieredAmount(price, billed)), unitAmountDecimal: null };
  }
  const unit = parseDecimal(price.unit_amount_decimal);
  return { amount: roundHalfUp(multiply(billed, unit)), unitAmountDecimal: price.unit_amount_decimal ?? '0' };
}

/** Whole numbers as numbers; otherwise a decimal string (at most 12 places, as Stripe keeps). */
export function formatRational(value: Rational): string {
  const places = 12n;
  const scaled = roundHalfUp(multiply(value, whole(10n ** places)));
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(Number(places) + 1, '0');
  const integer = digits.slice(0, digits.length - Number(places));
  const fraction = digits.slice(digits.length - Number(places)).replace(/0+$/, '');
  return `${negative ? '-' : ''}${integer}${fraction === '' ? '' : `.${fraction}`}`;
}

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

/** `anchor` moved by `steps` intervals, in UTC; a month step keeps the anchor's day, clamped to the month's last. */
function shift(anchorSeconds: number, interval: RecurringInterval, steps: number): number {
  const anchor = new Date(anchorSeconds * 1000);
  if (interval === 'day' || interval === 'week') {
    return anchorSeconds + steps * (interval === 'day' ? 1 : 7) * 86_400;
  }
  const months = steps * (interval === 'year' ? 12 : 1);
  const year = anchor.getUTCFullYear();
  const month = anchor.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const moved = Date.UTC(
    year,
    month,
    Math.min(anchor.getUTCDate(), lastDay),
    anchor.getUTCHours(),
    anchor.getUTCMinutes(),
    anchor.getUTCSeconds(),
  );
  return Math.floor(moved / 1000);
}

/** The billing period (seconds, `[start, end)`) that holds `nowSeconds`, counted from the billing cycle anchor. */
export function billingPeriodOf(
  anchorSeconds: number,
  interval: RecurringInterval,
  intervalCount: number,
  nowSeconds: number,
): { start: number; end: number } {
  let step = 0;
  while (shift(anchorSeconds, interval, (step + 1) * intervalCount) <= nowSeconds) step += 1;
  return {
    start: shift(anchorSeconds, interval, step * intervalCount),
    end: shift(anchorSeconds, interval, (step + 1) * intervalCount),
  };
}
