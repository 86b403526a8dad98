import { roundHalfUp } from './minor-amount';

/**
 * The share of `amountMinor` for `partMs` of a `periodMs` period, rounded half up to a minor unit.
 * Exact: the whole period gives the whole amount, and two complementary parts add up to the
 * amount or (when both fall on exactly half a minor unit) one more.
 */
export function prorateMinor(amountMinor: bigint, partMs: bigint, periodMs: bigint): bigint {
  if (partMs === periodMs) return amountMinor;
  return roundHalfUp(amountMinor * partMs, periodMs);
}
