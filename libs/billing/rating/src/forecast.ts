import { type FieldIssue, ValidationError } from '@tollgate/errors';
import { ceilDivide, roundHalfUp } from './minor-amount';
import { type InvoiceEstimate, rate } from './rate';
import { type RatingPlan, type RatingTransactions, type RatingUsage } from './rating-input';
import { fieldIssues, ratingUsageSchema } from './rating-input.schema';

const dayMs = 86_400_000;
export const defaultRecentWindowMs = 7 * dayMs;

export interface ForecastInput {
  readonly currency: string;
  readonly periodStart: Date;
  /** Exclusive. */
  readonly periodEnd: Date;
  /** Within `[periodStart, periodEnd]`. */
  readonly now: Date;
  readonly plan: RatingPlan;
  /** Usage from periodStart to now. */
  readonly usedSoFar: RatingUsage;
  /** Usage over the `recentWindowMs` before now, even where that reaches into the previous period. */
  readonly usageLast7Days: RatingUsage;
  /** How long `usageLast7Days` covers: 7 days unless the consumer has less history. */
  readonly recentWindowMs?: number;
  /** Counted requests the period allows; absent: the plan's period quota; null: none. */
  readonly quotaLimit?: number | null;
}

export type QuotaForecastStatus =
  /** No quota to reach. */
  | 'no_quota'
  /** Used up already; `quotaReachedAt` is `now`. */
  | 'reached'
  /** Reached at `quotaReachedAt`, before the period ends. */
  | 'projected'
  /** Not reached this period at the recent rate (or there is no recent usage). */
  | 'not_reached';

export interface Forecast {
  /** Usage so far plus the recent daily rate over the rest of the period. */
  readonly projectedUsage: RatingUsage;
  readonly quotaLimit: number | null;
  readonly quotaStatus: QuotaForecastStatus;
  /** When the quota is used up at the recent rate; null when it is not this period. */
  readonly quotaReachedAt: Date | null;
  /** The projected usage rated on the plan. */
  readonly projectedAmountMinor: number;
  readonly estimate: InvoiceEstimate;
}

/** `soFar + recent × remaining / window`, rounded half up to a whole unit. */
function project(soFar: number, recent: number, remainingMs: bigint, windowMs: bigint): number {
  const projected = BigInt(soFar) + roundHalfUp(BigInt(recent) * remainingMs, windowMs);
  if (projected > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError([{ field: 'usageLast7Days', message: 'Projects usage above 2^53 - 1' }]);
  }
  return Number(projected);
}

function projectRecord<T>(
  soFar: Readonly<Record<string, T>> | undefined,
  recent: Readonly<Record<string, T>> | undefined,
  combine: (soFar: T | undefined, recent: T | undefined) => T,
): Record<string, T> | undefined {
  if (soFar === undefined && recent === undefined) return undefined;
  const keys = new Set([...Object.keys(soFar ?? {}), ...Object.keys(recent ?? {})]);
  return Object.fromEntries([...keys].map((key) => [key, combine(soFar?.[key], recent?.[key])]));
}

/**
 * Spreads the projected further requests evenly over the days left (24-hour windows from now),
 * after the windows so far: an estimate that does not know where the consumer's days begin.
 */
function projectWindows(windowsSoFar: readonly number[], further: number, remainingMs: number): number[] {
  const days = Math.ceil(remainingMs / dayMs);
  if (days === 0) return [...windowsSoFar];
  const base = Math.floor(further / days);
  const extra = further - base * days;
  return [...windowsSoFar, ...Array.from({ length: days }, (_, index) => base + (index < extra ? 1 : 0))];
}

function inputIssues(input: ForecastInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of ['usedSoFar', 'usageLast7Days'] as const) {
    const result = ratingUsageSchema.safeParse(input[field]);
    if (!result.success) issues.push(...fieldIssues(result.error, [field]));
  }
  for (const field of ['periodStart', 'periodEnd', 'now'] as const) {
    const value = input[field] as unknown;
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      issues.push({ field, message: 'Must be a valid Date' });
    }
  }
  if (issues.length > 0) return issues;
  const { periodStart, periodEnd, now } = input;
  if (periodEnd.getTime() <= periodStart.getTime()) {
    issues.push({ field: 'periodEnd', message: 'Must be after periodStart' });
  } else if (now.getTime() < periodStart.getTime() || now.getTime() > periodEnd.getTime()) {
    issues.push({ field: 'now', message: 'Must be within the period' });
  }
  const windowMs = input.recentWindowMs;
  if (windowMs !== undefined && !(Number.isSafeInteger(windowMs) && windowMs > 0)) {
    issues.push({ field: 'recentWindowMs', message: 'Must be a positive integer of milliseconds' });
  }
  const limit = input.quotaLimit;
  if (limit !== undefined && limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
    issues.push({ field: 'quotaLimit', message: 'Must be a non-negative integer or null' });
  }
  const { overage, quota } = input.plan ?? {};
  const windows = input.usedSoFar.requestsPerQuotaWindow;
  const windowsField = 'usedSoFar.requestsPerQuotaWindow';
  if (overage && quota?.period === 'day' && windows === undefined) {
    issues.push({
      field: windowsField,
      message: 'Required for the overage of a daily quota (one entry per day so far)',
    });
  } else if (
    windows !== undefined &&
    windows.reduce((sum, value) => sum + value, 0) !== input.usedSoFar.requests
  ) {
    issues.push({ field: windowsField, message: 'Must add up to requests' });
  }
  return issues;
}

function quotaForecast(
  limit: number | null,
  usedSoFar: number,
  recent: number,
  now: Date,
  periodEnd: Date,
  windowMs: bigint,
): Pick<Forecast, 'quotaStatus' | 'quotaReachedAt'> {
  if (limit === null) return { quotaStatus: 'no_quota', quotaReachedAt: null };
  if (usedSoFar >= limit) return { quotaStatus: 'reached', quotaReachedAt: now };
  if (recent === 0) return { quotaStatus: 'not_reached', quotaReachedAt: null };
  // The first millisecond at which usedSoFar + recent × elapsed / window reaches the limit.
  const elapsed = ceilDivide(BigInt(limit - usedSoFar) * windowMs, BigInt(recent));
  const remaining = BigInt(periodEnd.getTime() - now.getTime());
  return elapsed < remaining
    ? { quotaStatus: 'projected', quotaReachedAt: new Date(now.getTime() + Number(elapsed)) }
    : { quotaStatus: 'not_reached', quotaReachedAt: null };
}

/**
 * Projects the period at the recent rate: "at the last 7 days' rate, the quota is reached on
 * <date>; the projected bill is <amount>". Every usage figure continues linearly from what was
 * used so far at its own rate over the recent window. See docs/rating.md.
 */
export function forecast(input: ForecastInput): Forecast {
  const issues = inputIssues(input);
  if (issues.length > 0) throw new ValidationError(issues);
  const { usedSoFar, usageLast7Days: recent, now, periodEnd } = input;
  const windowMs = BigInt(input.recentWindowMs ?? defaultRecentWindowMs);
  const remainingMs = BigInt(periodEnd.getTime() - now.getTime());
  const projectNumber = (soFar: number | undefined, recentValue: number | undefined) =>
    project(soFar ?? 0, recentValue ?? 0, remainingMs, windowMs);

  const requests = projectNumber(usedSoFar.requests, recent.requests);
  const windowsSoFar = usedSoFar.requestsPerQuotaWindow;
  const meters = projectRecord(usedSoFar.meters, recent.meters, projectNumber);
  const events = projectRecord(usedSoFar.events, recent.events, projectNumber);
  const transactions = projectRecord<RatingTransactions>(
    usedSoFar.transactions,
    recent.transactions,
    (soFar, recentValue) => ({
      count: projectNumber(soFar?.count, recentValue?.count),
      valueMinor: projectNumber(soFar?.valueMinor, recentValue?.valueMinor),
    }),
  );
  const projectedUsage: RatingUsage = {
    requests,
    ...(meters && { meters }),
    ...(events && { events }),
    ...(transactions && { transactions }),
    ...(windowsSoFar && {
      requestsPerQuotaWindow: projectWindows(
        windowsSoFar,
        requests - usedSoFar.requests,
        Number(remainingMs),
      ),
    }),
  };

  const periodQuota = input.plan?.quota?.period === 'month' ? input.plan.quota.limit : null;
  const quotaLimit = input.quotaLimit === undefined ? periodQuota : input.quotaLimit;
  const estimate = rate({
    currency: input.currency,
    periodStart: input.periodStart,
    periodEnd,
    plan: input.plan,
    usage: projectedUsage,
  });
  return {
    projectedUsage,
    quotaLimit,
    ...quotaForecast(quotaLimit, usedSoFar.requests, recent.requests, now, periodEnd, windowMs),
    projectedAmountMinor: estimate.subtotalMinor,
    estimate,
  };
}
