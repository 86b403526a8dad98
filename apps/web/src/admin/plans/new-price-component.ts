import { type PriceComponentInput } from '@tollgate/plans-domain';

export type PriceType = PriceComponentInput['type'];

/** A new component of `type` with sensible starting values, in `currency`. */
export function newPriceComponent(type: PriceType, currency: string): PriceComponentInput {
  switch (type) {
    case 'flat':
      return { type, amountMinor: 4900, currency };
    case 'per_unit':
      return { type, unitAmountMinor: 1, currency };
    case 'graduated':
    case 'volume':
      return {
        type,
        currency,
        tiers: [
          { upTo: 10000, unitAmountMinor: 0 },
          { upTo: null, unitAmountMinor: 1 },
        ],
      };
    case 'package':
      return { type, packageSize: 1000, amountMinor: 500, currency };
    case 'percentage':
      return { type, percentBasisPoints: 250, fixedAmountMinor: 30, meter: 'amount', currency };
    case 'per_event':
      return { type, eventType: 'order.created', amountMinor: 5, currency };
  }
}
