/**
 * What rating reads. The price component shapes mirror the plans' price components field for
 * field (billing may not import the plans libs), so a plan's stored components and definition are
 * accepted as they are; `plans-domain-compatibility.spec.ts` proves the assignability.
 */

/** Counted requests: a component without a meter, or with this one, prices them. */
export const requestsMeterName = 'requests';

export interface RatingPriceTier {
  /** Inclusive upper bound of the tier; null for the last, open-ended tier. */
  readonly upTo: number | null;
  readonly unitAmountMinor: number;
  /**
   * The exact unit price in minor units as a decimal string (`"0.2"` is a fifth of a cent), for
   * prices below one minor unit. When present it is the price and `unitAmountMinor` is not read.
   */
  readonly unitAmountDecimal?: string;
  readonly flatAmountMinor?: number;
}

export interface RatingFlatPrice {
  readonly type: 'flat';
  readonly amountMinor: number;
  readonly currency: string;
}

export interface RatingPerUnitPrice {
  readonly type: 'per_unit';
  readonly unitAmountMinor: number;
  /** As on a tier: an exact sub-minor price that replaces `unitAmountMinor` when present. */
  readonly unitAmountDecimal?: string;
  readonly currency: string;
  /** Absent or `requests`: counted requests. */
  readonly meter?: string;
}

/** Each unit priced by the tier it falls in, plus the flat amount of every tier entered. */
export interface RatingGraduatedPrice {
  readonly type: 'graduated';
  readonly tiers: readonly RatingPriceTier[];
  readonly currency: string;
  readonly meter?: string;
}

/** Every unit priced by the tier the total falls in, plus that tier's flat amount. */
export interface RatingVolumePrice {
  readonly type: 'volume';
  readonly tiers: readonly RatingPriceTier[];
  readonly currency: string;
  readonly meter?: string;
}

/** `amountMinor` per started block of `packageSize` units. */
export interface RatingPackagePrice {
  readonly type: 'package';
  readonly packageSize: number;
  readonly amountMinor: number;
  readonly currency: string;
  readonly meter?: string;
}

/** A share of the transaction value (basis points: 290 = 2.9 %) plus a fixed fee per transaction. */
export interface RatingPercentagePrice {
  readonly type: 'percentage';
  readonly percentBasisPoints: number;
  readonly fixedAmountMinor: number;
  readonly currency: string;
  /** The usage key that carries each transaction's value, in minor units. */
  readonly meter: string;
}

/** A price per business event of one type. */
export interface RatingPerEventPrice {
  readonly type: 'per_event';
  readonly eventType: string;
  readonly amountMinor: number;
  readonly currency: string;
}

export type RatingPriceComponent =
  | RatingFlatPrice
  | RatingPerUnitPrice
  | RatingGraduatedPrice
  | RatingVolumePrice
  | RatingPackagePrice
  | RatingPercentagePrice
  | RatingPerEventPrice;

export type RatingPriceType = RatingPriceComponent['type'];

/** Counted requests beyond the quota are billed at `unitPriceMinor` each. */
export interface RatingOverage {
  readonly unitPriceMinor: number;
  readonly currency: string;
}

export interface RatingQuota {
  /** Counted requests included per quota window. */
  readonly limit: number;
  /** `month`: one window, the billing period; `day`: one window per day of the period. */
  readonly period: 'month' | 'day';
}

/** The part of a plan definition that sets the price. A plans PlanDefinition is one. */
export interface RatingPlan {
  readonly prices: readonly RatingPriceComponent[];
  /** Absent or null: no overage line (requests beyond the quota were refused). */
  readonly overage?: RatingOverage | null;
  /** Required when `overage` is set: it says how many requests are included. */
  readonly quota?: RatingQuota;
}

/** Transactions reported under one usage key: how many, and the sum of their values. */
export interface RatingTransactions {
  readonly count: number;
  /** Sum of the transaction values, in minor units. */
  readonly valueMinor: number;
}

/** Usage in one stretch of time. Every figure is a non-negative integer. */
export interface RatingUsage {
  /** Counted requests. */
  readonly requests: number;
  /** Sum of each usage key (`sms`, `tokens`, …); a key absent here had no usage. */
  readonly meters?: Readonly<Record<string, number>>;
  /** Per usage key priced by a percentage component: the transactions and their total value. */
  readonly transactions?: Readonly<Record<string, RatingTransactions>>;
  /** Business events received, per event type. */
  readonly events?: Readonly<Record<string, number>>;
  /**
   * Counted requests of each quota window, in time order. Needed only for the overage of a plan
   * whose quota is per day (one entry per day); a period quota reads `requests`.
   */
  readonly requestsPerQuotaWindow?: readonly number[];
}

/** One plan in force over `[from, to)` and the usage in that time. */
export interface RatingSegment {
  readonly from: Date;
  readonly to: Date;
  readonly plan: RatingPlan;
  readonly usage: RatingUsage;
}

interface RatingPeriod {
  /** ISO 4217 code; every component and the overage must be in it (compared case-insensitively). */
  readonly currency: string;
  readonly periodStart: Date;
  /** Exclusive. */
  readonly periodEnd: Date;
}

/** One plan over the whole period. */
export interface SinglePlanRatingInput extends RatingPeriod {
  readonly plan: RatingPlan;
  readonly usage: RatingUsage;
}

/**
 * Plans changed during the period: segments in time order that cover `[periodStart, periodEnd)`
 * exactly, each starting where the previous one ends.
 */
export interface SegmentedRatingInput extends RatingPeriod {
  readonly segments: readonly RatingSegment[];
}

export type RatingInput = SinglePlanRatingInput | SegmentedRatingInput;
