export interface EstimateLine {
  description?: string;
  label?: string;
  amountMinor?: number;
}

/** Reads the fields the estimate endpoint answers; tolerant of its exact nesting. */
export function readEstimate(value: unknown) {
  const root = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const estimate = (
    root['estimate'] && typeof root['estimate'] === 'object' ? root['estimate'] : root
  ) as Record<string, unknown>;
  const forecast = (
    root['forecast'] && typeof root['forecast'] === 'object' ? root['forecast'] : root
  ) as Record<string, unknown>;
  const number = (input: unknown) => (typeof input === 'number' ? input : undefined);
  return {
    currency: String(estimate['currency'] ?? root['currency'] ?? 'usd'),
    soFarMinor:
      number(estimate['subtotalMinor']) ?? number(root['amountMinor']) ?? number(root['totalMinor']),
    projectedMinor: number(forecast['projectedAmountMinor']) ?? number(root['projectedAmountMinor']),
    quotaReachedAt: (forecast['quotaReachedAt'] ?? root['quotaReachedAt']) as string | null | undefined,
    lines: (Array.isArray(estimate['lines']) ? estimate['lines'] : []) as EstimateLine[],
  };
}
