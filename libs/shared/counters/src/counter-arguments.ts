/**
 * Counters hold whole units (requests, weighted costs): Redis INCRBY is integer-only and a float
 * would make the quota decision inexact, so both adapters reject anything else up front.
 */
export function assertCounterArguments(values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`Counter argument ${name} must be a safe integer, got ${value}`);
    }
  }
}
