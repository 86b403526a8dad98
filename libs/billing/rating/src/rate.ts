import { type FieldIssue, ValidationError } from '@tollgate/errors';
import {
  type ComponentQuantities,
  componentLines,
  type DraftLine,
  meterOf,
  overageLine,
} from './component-lines';
import { formatExactAmount } from './minor-amount';
import {
  type RatingInput,
  type RatingPlan,
  type RatingPriceComponent,
  type RatingPriceType,
  type RatingSegment,
  type RatingUsage,
  requestsMeterName,
} from './rating-input';
import { ratingInputIssues } from './rating-input.schema';

export interface InvoiceLine {
  /** The segment whose plan holds the component (the first one, when it stayed unchanged across several). */
  readonly segment: number;
  /** Index of the component in that plan's prices; null for the overage line. */
  readonly component: number | null;
  readonly type: RatingPriceType | 'overage';
  readonly description: string;
  /** Units, packages, transactions, events; for a percentage line, the transaction value (minor units). */
  readonly quantity: number;
  /** Exact price of one unit of `quantity`, in minor units (`"0.029"` for 2.9 % of a value). */
  readonly unitAmountDecimal: string;
  /** `quantity × unitAmountDecimal` (prorated for a flat fee), rounded half up once, here. */
  readonly amountMinor: number;
  /** The time the component was in force: the period, or part of it after a plan change. */
  readonly from: Date;
  readonly to: Date;
  /** A flat fee charged for part of the period only. */
  readonly prorated: boolean;
}

export interface InvoiceEstimate {
  /** Lower-case ISO 4217 code. */
  readonly currency: string;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly lines: readonly InvoiceLine[];
  /** The sum of the lines' amounts. */
  readonly subtotalMinor: number;
}

/** A segment with the path its fields are reported under. */
interface PlacedSegment extends RatingSegment {
  readonly path: { readonly plan: string; readonly usage: string; readonly self: string };
}

/** A component (or the overage) in force over consecutive segments, unchanged. */
interface Run {
  readonly segment: number;
  readonly component: number | null;
  readonly members: number[];
}

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** Key-order independent JSON: equal components compare equal whatever order their keys were written in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function componentKey(component: RatingPriceComponent): string {
  return stableJson({ ...component, currency: component.currency.toLowerCase() });
}

function overageKey(plan: RatingPlan): string | null {
  if (!plan.overage || !plan.quota) return null;
  return `overage:${stableJson({
    unitPriceMinor: plan.overage.unitPriceMinor,
    limit: plan.quota.limit,
    period: plan.quota.period,
  })}`;
}

function placedSegments(input: RatingInput): PlacedSegment[] {
  if ('segments' in input) {
    return input.segments.map((segment, index) => ({
      ...segment,
      path: {
        plan: `segments.${index}.plan`,
        usage: `segments.${index}.usage`,
        self: `segments.${index}`,
      },
    }));
  }
  return [
    {
      from: input.periodStart,
      to: input.periodEnd,
      plan: input.plan,
      usage: input.usage,
      path: { plan: 'plan', usage: 'usage', self: 'segments.0' },
    },
  ];
}

function periodIssues(input: RatingInput, segments: readonly PlacedSegment[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (input.periodEnd.getTime() <= input.periodStart.getTime()) {
    return [{ field: 'periodEnd', message: 'Must be after periodStart' }];
  }
  if (!('segments' in input)) return issues;
  segments.forEach((segment, index) => {
    const expectedFrom = index === 0 ? input.periodStart : segments[index - 1].to;
    if (segment.from.getTime() !== expectedFrom.getTime()) {
      issues.push({
        field: `${segment.path.self}.from`,
        message: index === 0 ? 'Must be periodStart' : 'Must be the previous segment\'s "to"',
      });
    }
    if (segment.to.getTime() <= segment.from.getTime()) {
      issues.push({ field: `${segment.path.self}.to`, message: 'Must be after "from"' });
    }
  });
  const last = segments[segments.length - 1];
  if (last.to.getTime() !== input.periodEnd.getTime()) {
    issues.push({ field: `${last.path.self}.to`, message: 'Must be periodEnd' });
  }
  return issues;
}

function planIssues(currency: string, segment: PlacedSegment): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const expected = currency.toLowerCase();
  const mismatch = `Must be ${expected}, the invoice's currency`;
  segment.plan.prices.forEach((component, index) => {
    if (component.currency.toLowerCase() !== expected) {
      issues.push({ field: `${segment.path.plan}.prices.${index}.currency`, message: mismatch });
    }
  });
  const { overage, quota } = segment.plan;
  if (overage && overage.currency.toLowerCase() !== expected) {
    issues.push({ field: `${segment.path.plan}.overage.currency`, message: mismatch });
  }
  if (overage && quota?.period === 'day') {
    const windows = segment.usage.requestsPerQuotaWindow;
    const field = `${segment.path.usage}.requestsPerQuotaWindow`;
    if (windows === undefined) {
      issues.push({ field, message: 'Required for the overage of a daily quota (one entry per day)' });
    } else if (windows.reduce((sum, value) => sum + BigInt(value), 0n) !== BigInt(segment.usage.requests)) {
      issues.push({ field, message: 'Must add up to requests' });
    }
  }
  return issues;
}

/** Groups each component with the same component of the following segments while it stays unchanged. */
function runsOf(segments: readonly PlacedSegment[]): Run[] {
  const runs: Run[] = [];
  let open = new Map<string, Run[]>();
  segments.forEach((segment, segmentIndex) => {
    const next = new Map<string, Run[]>();
    const place = (key: string, component: number | null) => {
      const run = open.get(key)?.shift() ?? { segment: segmentIndex, component, members: [] };
      if (run.members.length === 0) runs.push(run);
      run.members.push(segmentIndex);
      next.set(key, [...(next.get(key) ?? []), run]);
    };
    segment.plan.prices.forEach((component, index) => place(componentKey(component), index));
    const overage = overageKey(segment.plan);
    if (overage !== null) place(overage, null);
    open = next;
  });
  return runs;
}

function sum(values: readonly (number | undefined)[]): bigint {
  return values.reduce<bigint>((total, value) => total + BigInt(value ?? 0), 0n);
}

function meterUnits(usage: RatingUsage, meter: string): number | undefined {
  return meter === requestsMeterName ? usage.requests : usage.meters?.[meter];
}

function quantitiesOf(component: RatingPriceComponent, usages: readonly RatingUsage[]): ComponentQuantities {
  const none = { units: 0n, transactionCount: 0n, transactionValueMinor: 0n };
  switch (component.type) {
    case 'flat':
      return none;
    case 'percentage':
      return {
        ...none,
        transactionCount: sum(usages.map((usage) => usage.transactions?.[component.meter]?.count)),
        transactionValueMinor: sum(usages.map((usage) => usage.transactions?.[component.meter]?.valueMinor)),
      };
    case 'per_event':
      return { ...none, units: sum(usages.map((usage) => usage.events?.[component.eventType])) };
    default:
      return { ...none, units: sum(usages.map((usage) => meterUnits(usage, meterOf(component)))) };
  }
}

/** Requests beyond the quota: over the run for a period quota, window by window for a daily one. */
function overUnits(plan: RatingPlan, usages: readonly RatingUsage[]): bigint {
  const limit = BigInt(plan.quota?.limit ?? 0);
  const over = (units: bigint) => (units > limit ? units - limit : 0n);
  if (plan.quota?.period === 'day') {
    return usages
      .flatMap((usage) => usage.requestsPerQuotaWindow ?? [])
      .reduce((total, units) => total + over(BigInt(units)), 0n);
  }
  return over(sum(usages.map((usage) => usage.requests)));
}

function safeNumber(value: bigint, field: string): number {
  if (value > maxSafe) {
    throw new ValidationError([{ field, message: 'Rates to an amount or quantity above 2^53 - 1' }]);
  }
  return Number(value);
}

/**
 * Rates a billing period: one plan, or the plans in force one after another when the plan
 * changed during the period. A component that stays unchanged across a change is rated once over
 * the time it was in force (its tiers do not restart); a flat fee is prorated by that time's
 * share of the period. See docs/rating.md for the rounding rules.
 */
export function rate(input: RatingInput): InvoiceEstimate {
  const shapeIssues = ratingInputIssues(input);
  if (shapeIssues.length > 0) throw new ValidationError(shapeIssues);
  const segments = placedSegments(input);
  const issues = [
    ...periodIssues(input, segments),
    ...segments.flatMap((segment) => planIssues(input.currency, segment)),
  ];
  if (issues.length > 0) throw new ValidationError(issues);

  const periodMs = BigInt(input.periodEnd.getTime() - input.periodStart.getTime());
  const lines: InvoiceLine[] = [];
  let subtotal = 0n;
  for (const run of runsOf(segments)) {
    const first = segments[run.segment];
    const last = segments[run.members[run.members.length - 1]];
    const usages = run.members.map((index) => segments[index].usage);
    const field =
      run.component === null ? `${first.path.plan}.overage` : `${first.path.plan}.prices.${run.component}`;
    let drafts: DraftLine[];
    if (run.component === null) {
      drafts = [
        overageLine(
          first.plan.quota?.limit ?? 0,
          overUnits(first.plan, usages),
          first.plan.overage?.unitPriceMinor ?? 0,
        ),
      ];
    } else {
      const component = first.plan.prices[run.component];
      drafts = componentLines(component, quantitiesOf(component, usages), {
        partMs: BigInt(last.to.getTime() - first.from.getTime()),
        periodMs,
      });
    }
    for (const draft of drafts) {
      subtotal += draft.amountMinor;
      lines.push({
        segment: run.segment,
        component: run.component,
        type: draft.type,
        description: draft.description,
        quantity: safeNumber(draft.quantity, field),
        unitAmountDecimal: formatExactAmount(draft.unitAmount),
        amountMinor: safeNumber(draft.amountMinor, field),
        from: first.from,
        to: last.to,
        prorated: draft.prorated,
      });
    }
  }
  return {
    currency: input.currency.toLowerCase(),
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    lines,
    subtotalMinor: safeNumber(subtotal, 'segments' in input ? 'segments' : 'plan.prices'),
  };
}
