import {
  ceilDivide,
  type ExactAmount,
  extendedAmount,
  formatDecimal,
  roundHalfUp,
  unitPrice,
} from './minor-amount';
import { prorateMinor } from './proration';
import {
  type RatingPriceComponent,
  type RatingPriceTier,
  type RatingPriceType,
  requestsMeterName,
} from './rating-input';

/** What a component is rated on, summed over the time it was in force. */
export interface ComponentQuantities {
  /** Units of its meter (counted requests, a usage key) or events of its type. */
  readonly units: bigint;
  /** Percentage components: the transactions reported under their meter and their total value. */
  readonly transactionCount: bigint;
  readonly transactionValueMinor: bigint;
}

/** How much of the billing period the component was in force: `partMs` of `periodMs`. */
export interface PeriodShare {
  readonly partMs: bigint;
  readonly periodMs: bigint;
}

/** A line before it is placed on the invoice: amounts still in BigInt. */
export interface DraftLine {
  readonly type: RatingPriceType | 'overage';
  readonly description: string;
  readonly quantity: bigint;
  readonly unitAmount: ExactAmount;
  readonly amountMinor: bigint;
  readonly prorated: boolean;
}

function whole(amountMinor: number | bigint): ExactAmount {
  return { numerator: BigInt(amountMinor), denominator: 1n };
}

/** `requests` or the usage key a component prices. */
export function meterOf(component: { meter?: string }): string {
  return component.meter ?? requestsMeterName;
}

function meterLabel(meter: string): string {
  return meter === requestsMeterName ? 'Requests' : meter;
}

function tierRange(tiers: readonly RatingPriceTier[], index: number): string {
  const from = index === 0 ? 1 : (tiers[index - 1].upTo ?? 0) + 1;
  const upTo = tiers[index].upTo;
  return upTo === null ? `${from} and above` : `${from}–${upTo}`;
}

function usageLine(
  type: RatingPriceType | 'overage',
  description: string,
  quantity: bigint,
  unitAmount: ExactAmount,
): DraftLine {
  return {
    type,
    description,
    quantity,
    unitAmount,
    amountMinor: extendedAmount(quantity, unitAmount),
    prorated: false,
  };
}

/** Each unit at the price of the tier it falls in; one line per tier entered, plus its flat fee. */
function graduatedLines(label: string, tiers: readonly RatingPriceTier[], units: bigint): DraftLine[] {
  const lines: DraftLine[] = [];
  let below = 0n;
  for (const [index, tier] of tiers.entries()) {
    if (units <= below && index > 0) break;
    const ceiling = tier.upTo === null ? units : BigInt(tier.upTo);
    const inTier = (units < ceiling ? units : ceiling) - below;
    const name = `${label}, tier ${index + 1} (${tierRange(tiers, index)})`;
    lines.push(usageLine('graduated', name, inTier, unitPrice(tier)));
    if (inTier > 0n && (tier.flatAmountMinor ?? 0) > 0) {
      lines.push(usageLine('graduated', `${name}, flat fee`, 1n, whole(tier.flatAmountMinor ?? 0)));
    }
    below = ceiling;
  }
  return lines;
}

/** Every unit at the price of the tier the total falls in, plus that tier's flat fee. */
function volumeLines(label: string, tiers: readonly RatingPriceTier[], units: bigint): DraftLine[] {
  const index = tiers.findIndex((tier) => tier.upTo === null || units <= BigInt(tier.upTo));
  const tier = tiers[index];
  const name = `${label}, all units at tier ${index + 1} (${tierRange(tiers, index)})`;
  const lines = [usageLine('volume', name, units, unitPrice(tier))];
  // No units, no tier reached: nothing is owed, not even the first tier's flat fee.
  if (units > 0n && (tier.flatAmountMinor ?? 0) > 0) {
    lines.push(usageLine('volume', `${name}, flat fee`, 1n, whole(tier.flatAmountMinor ?? 0)));
  }
  return lines;
}

/** The invoice lines of one component over the time it was in force. */
export function componentLines(
  component: RatingPriceComponent,
  quantities: ComponentQuantities,
  share: PeriodShare,
): DraftLine[] {
  const { units } = quantities;
  switch (component.type) {
    case 'flat': {
      const prorated = share.partMs !== share.periodMs;
      return [
        {
          type: 'flat',
          description: prorated ? 'Flat fee (prorated)' : 'Flat fee',
          quantity: 1n,
          unitAmount: whole(component.amountMinor),
          amountMinor: prorateMinor(BigInt(component.amountMinor), share.partMs, share.periodMs),
          prorated,
        },
      ];
    }
    case 'per_unit':
      return [usageLine('per_unit', meterLabel(meterOf(component)), units, unitPrice(component))];
    case 'graduated':
      return graduatedLines(meterLabel(meterOf(component)), component.tiers, units);
    case 'volume':
      return volumeLines(meterLabel(meterOf(component)), component.tiers, units);
    case 'package': {
      const packages = ceilDivide(units, BigInt(component.packageSize));
      const label = meterLabel(meterOf(component));
      return [
        usageLine(
          'package',
          `${label}: ${units} in packages of ${component.packageSize}`,
          packages,
          whole(component.amountMinor),
        ),
      ];
    }
    case 'percentage': {
      const basisPoints = BigInt(component.percentBasisPoints);
      const rate: ExactAmount = { numerator: basisPoints, denominator: 10_000n };
      return [
        {
          type: 'percentage',
          description: `${formatDecimal(basisPoints, 2)} % of ${component.meter}`,
          quantity: quantities.transactionValueMinor,
          unitAmount: rate,
          amountMinor: roundHalfUp(quantities.transactionValueMinor * basisPoints, 10_000n),
          prorated: false,
        },
        usageLine(
          'percentage',
          `Fixed fee per ${component.meter} transaction`,
          quantities.transactionCount,
          whole(component.fixedAmountMinor),
        ),
      ];
    }
    case 'per_event':
      return [usageLine('per_event', `Events ${component.eventType}`, units, whole(component.amountMinor))];
  }
}

/** Counted requests beyond the quota, at the overage price. */
export function overageLine(limit: number, overUnits: bigint, unitPriceMinor: number): DraftLine {
  return usageLine('overage', `Requests above the quota of ${limit}`, overUnits, whole(unitPriceMinor));
}
