import { type ClickHouseAnalyticsStore } from '@tollgate/analytics';
import { type BillingProvider } from '@tollgate/billing-stripe';
import { type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { requestsMeter, type UsageEventRow } from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { patchConsumer } from '@tollgate/plans-data';
import {
  consumerPatchSchema,
  parseInput,
  planDefinition,
  type PlanCreateInput,
} from '@tollgate/plans-domain';
import { consumerInvoiceEstimate, type InvoiceEstimateView } from '@tollgate/plans-portal';
import { type PrismaClient } from '@tollgate/relational';
import Stripe from 'stripe';
import {
  createTestConsumer,
  createTestPlan,
  insertUsageRows,
  quietLogger,
  resourceStack,
  startBillingHarness,
  usageEventRow,
} from '../testing/billing-test-support';
import { UsagePush } from '../usage-push/usage-push';
import { stripeObjectKinds, stripePlanLayout } from './stripe-plan-mapping';
import { StripeSync } from './stripe-sync';

// What Stripe would invoice against what Tollgate estimates, for the same plan and usage: plans
// synced to the Stripe test server, usage metered into chDB and pushed as meter events, then
// Tollgate's estimate compared with Stripe's invoice preview, to the minor unit.
const secretKey = 'sk_test_invoice_agreement';

/** Rows of usage: `count` events, each with these business units, counted or not, from a source. */
interface UsageBatch {
  count: number;
  usage?: Record<string, number>;
  counted?: boolean;
  source?: string;
}

interface Scenario {
  name: string;
  plan: Omit<PlanCreateInput, 'name'>;
  usage: UsageBatch[];
  /** Tollgate's estimate of the Stripe-billable components, and so Stripe's total. */
  expectedTotal: number;
  /** Price component types Stripe cannot bill: left out of both sides. */
  excluded?: string[];
  /**
   * The consumer began the period on this plan, used it, then moved to `plan` (a new subscription
   * in the same period): that earlier usage is the earlier plan's and billed on neither side.
   */
  movedFrom?: { plan: Omit<PlanCreateInput, 'name'>; usage: UsageBatch[] };
}

const usd = 'usd';

const scenarios: Scenario[] = [
  {
    name: 'flat fee + per unit (requests and a business unit)',
    plan: {
      quota: { limit: 100_000, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 4900, currency: usd },
        { type: 'per_unit', unitAmountMinor: 2, currency: usd },
        { type: 'per_unit', unitAmountMinor: 5, currency: usd, meter: 'sms' },
      ],
    },
    // 37 requests × 2 + 20 SMS × 5 + 4900
    usage: [{ count: 10, usage: { sms: 2 } }, { count: 27 }],
    expectedTotal: 5074,
  },
  {
    name: 'graduated tiers with a tier flat fee',
    plan: {
      quota: { limit: 100_000, period: 'month' },
      prices: [
        {
          type: 'graduated',
          currency: usd,
          tiers: [
            { upTo: 10, unitAmountMinor: 0 },
            { upTo: 50, unitAmountMinor: 3, flatAmountMinor: 25 },
            { upTo: null, unitAmountMinor: 1 },
          ],
        },
      ],
    },
    // 10 × 0 + 40 × 3 + 25 + 14 × 1
    usage: [{ count: 64 }],
    expectedTotal: 159,
  },
  {
    name: 'volume tiers with a flat fee on a summed business unit',
    plan: {
      quota: { limit: 100_000, period: 'month' },
      prices: [
        {
          type: 'volume',
          currency: usd,
          meter: 'tokens',
          tiers: [
            { upTo: 1000, unitAmountMinor: 2 },
            { upTo: null, unitAmountMinor: 1, flatAmountMinor: 500 },
          ],
        },
      ],
    },
    // 1,800 tokens, all at tier 2: 1800 × 1 + 500
    usage: [{ count: 12, usage: { tokens: 150 } }],
    expectedTotal: 2300,
  },
  {
    name: 'package pricing (a started package is a whole package) + flat fee',
    plan: {
      quota: { limit: 100_000, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 1000, currency: usd },
        { type: 'package', packageSize: 1000, amountMinor: 200, currency: usd, meter: 'emails' },
      ],
    },
    // 3,500 emails → 4 packages × 200 + 1000
    usage: [{ count: 5, usage: { emails: 700 } }],
    expectedTotal: 1800,
  },
  {
    name: 'overage beyond the monthly quota; uncounted requests are free',
    plan: {
      quota: { limit: 50, period: 'month' },
      overage: { bufferPercent: 100, unitPriceMinor: 7, currency: usd },
      prices: [{ type: 'flat', amountMinor: 2000, currency: usd }],
    },
    // 72 counted requests: 22 above the quota × 7 + 2000; the 3 uncounted (5xx) are not billed.
    usage: [{ count: 72 }, { count: 3, counted: false }],
    expectedTotal: 2154,
  },
  {
    name: 'percentage and per-event components, which Stripe cannot bill',
    plan: {
      quota: { limit: 100_000, period: 'month' },
      prices: [
        { type: 'per_unit', unitAmountMinor: 3, currency: usd },
        {
          type: 'percentage',
          percentBasisPoints: 250,
          fixedAmountMinor: 30,
          currency: usd,
          meter: 'txn_value',
        },
        { type: 'per_event', eventType: 'invoice.paid', amountMinor: 40, currency: usd },
      ],
    },
    // Stripe bills the 10 requests × 3 only; Tollgate also rates 2.5 % of 40,000 + 4 × 30 and 2 × 40.
    usage: [{ count: 4, usage: { txn_value: 10_000 } }, { count: 6 }, { count: 2, source: 'invoice.paid' }],
    expectedTotal: 30,
    excluded: ['percentage', 'per_event'],
  },
  {
    name: 'plan changed mid-period: from free to flat fee + per request',
    movedFrom: {
      plan: { tier: 'free', quota: { limit: 1000, period: 'month' }, prices: [] },
      usage: [{ count: 20 }],
    },
    plan: {
      quota: { limit: 100_000, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 1000, currency: usd },
        { type: 'per_unit', unitAmountMinor: 2, currency: usd },
      ],
    },
    // 1000 + 10 requests × 2 since the move; the 20 requests on the free plan are not charged.
    usage: [{ count: 10 }],
    expectedTotal: 1020,
  },
];

const planChange = 'plan changed mid-period: from free to flat fee + per request';

interface Compared {
  scenario: Scenario;
  estimate: InvoiceEstimateView;
  invoice: Stripe.Invoice;
  /** Component type of each Stripe line, from the price it bills. */
  stripeTypes: string[];
  skipped: string[];
  /** Counted requests of the consumer over the estimate's whole period, on any plan. */
  periodRequests: number;
}

function sumByType(entries: Array<{ type: string; amount: number }>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const { type, amount } of entries) sums[type] = (sums[type] ?? 0) + amount;
  return sums;
}

describe('invoice agreement: Tollgate estimate = Stripe invoice preview (PostgreSQL, chDB, Stripe test server)', () => {
  const resources = resourceStack();
  let prisma: PrismaClient;
  let analytics: ClickHouseAnalyticsStore;
  let usage: UsageQueries;
  let server: StripeTestServer;
  let provider: BillingProvider;
  let sdk: Stripe;
  let clock = Date.now();
  let offset = 0;
  const compared = new Map<string, Compared>();

  /** The batches as usage events of one consumer on one plan, a little before `around`. */
  const usageRows = (consumerId: string, planId: string, batches: UsageBatch[], around: number) =>
    batches.flatMap((batch) =>
      Array.from({ length: batch.count }, (): UsageEventRow => {
        offset += 1;
        return usageEventRow(consumerId, planId, around - 500 + (offset % 400), {
          api_id: 'api_agreement',
          endpoint: 'POST /v1/messages',
          method: 'POST',
          status: batch.counted === false ? 503 : 200,
          counted: batch.counted ?? true,
          usage: batch.usage ?? {},
          source: batch.source ?? 'gateway',
          log_topic: 'invoice-agreement-test',
        });
      }),
    );

  beforeAll(async () => {
    ({
      prisma,
      analytics,
      usage,
      stripe: server,
      provider,
    } = await resources.add(startBillingHarness({ name: 'invoice_agreement', secretKey, now: () => clock })));
    sdk = new Stripe(secretKey, { host: server.host, port: server.port, protocol: 'http' });

    const consumers = new Map<string, { consumerId: string; planId: string }>();
    for (const [index, scenario] of scenarios.entries()) {
      const plan = await createTestPlan(prisma, { name: `Agreement ${index + 1}`, ...scenario.plan });
      const earlier = scenario.movedFrom
        ? await createTestPlan(prisma, { name: `Agreement ${index + 1} before`, ...scenario.movedFrom.plan })
        : undefined;
      const consumer = await createTestConsumer(prisma, {
        name: `Consumer ${index + 1}`,
        email: `agreement-${index + 1}@acme.test`,
        planId: earlier?.id ?? plan.id,
      });
      if (scenario.movedFrom && earlier) {
        // Usage on the earlier plan, then the move: a new subscription, created after that usage.
        const began = (await prisma.subscription.findFirstOrThrow({ where: { consumerId: consumer.id } }))
          .createdAt;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, began.getTime() + 600 - Date.now())));
        const before = usageRows(consumer.id, earlier.id, scenario.movedFrom.usage, Date.now());
        await insertUsageRows(analytics, before);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await patchConsumer(prisma, consumer.id, parseInput(consumerPatchSchema, { planId: plan.id }));
      }
      consumers.set(scenario.name, { consumerId: consumer.id, planId: plan.id });
    }
    await new StripeSync({ prisma, provider, logger: quietLogger }).syncAll();
    const subscriptions = await prisma.subscription.findMany();
    clock = Math.max(Date.now(), ...subscriptions.map((row) => row.createdAt.getTime())) + 1_000;

    for (const scenario of scenarios) {
      const { consumerId, planId } = consumers.get(scenario.name) as { consumerId: string; planId: string };
      const rows = usageRows(consumerId, planId, scenario.usage, clock);
      await insertUsageRows(analytics, rows);
    }
    clock += 1_000;
    await new UsagePush({ prisma, usage, provider, logger: quietLogger, now: () => new Date(clock) }).run();

    const priceTypes = new Map<string, string>();
    for (const scenario of scenarios) {
      const { consumerId, planId } = consumers.get(scenario.name) as { consumerId: string; planId: string };
      const plan = await prisma.plan.findUniqueOrThrow({ where: { id: planId } });
      const definition = planDefinition(plan);
      const layout = stripePlanLayout(plan.id, plan.version, definition);
      const typeOfKey = (key: string) =>
        key === 'overage' ? 'overage' : (definition.prices[Number(key.slice(1))]?.type ?? key);
      const recorded = await prisma.stripeObject.findMany({
        where: {
          kind: stripeObjectKinds.price,
          localId: { in: layout.prices.map((price) => price.localId) },
        },
      });
      for (const row of recorded) {
        const key = layout.prices.find((price) => price.localId === row.localId)?.key ?? '';
        priceTypes.set(row.stripeId, typeOfKey(key));
      }
      const subscription = await prisma.subscription.findFirstOrThrow({
        where: { consumerId, status: { not: 'canceled' } },
      });
      const estimate = await consumerInvoiceEstimate(prisma, usage, consumerId, clock);
      const inPeriod = await usage.totals(consumerId, { from: Date.parse(estimate.periodStart), to: clock }, [
        requestsMeter,
      ]);
      const invoice = await sdk.invoices.createPreview({
        subscription: subscription.stripeSubscriptionId as string,
      });
      compared.set(scenario.name, {
        scenario,
        estimate,
        invoice,
        stripeTypes: invoice.lines.data.map(
          (line) => priceTypes.get(line.pricing?.price_details?.price as string) ?? 'unknown',
        ),
        skipped: layout.skipped.map((skipped) => skipped.type),
        periodRequests: inPeriod.requests,
      });
    }
  }, 180_000);

  afterAll(() => resources.close(), 60_000);

  const comparison = (name: string): Compared => {
    const found = compared.get(name);
    if (!found) throw new Error(`scenario "${name}" was not compared`);
    return found;
  };

  it.each(scenarios.map((scenario) => [scenario.name]))(
    '%s: the totals agree to the minor unit, component by component',
    (name) => {
      const { scenario, estimate, invoice, stripeTypes } = comparison(name);
      const excluded = new Set(scenario.excluded ?? []);
      const tollgateLines = estimate.lines.filter((line) => !excluded.has(line.type));
      const tollgateTotal = tollgateLines.reduce((sum, line) => sum + line.amountMinor, 0);
      expect({ tollgate: tollgateTotal, stripe: invoice.total }).toEqual({
        tollgate: scenario.expectedTotal,
        stripe: scenario.expectedTotal,
      });
      expect(invoice.subtotal).toBe(invoice.total);
      expect(invoice.currency).toBe(estimate.currency.toLowerCase());
      expect(
        sumByType(
          invoice.lines.data.map((line, index) => ({ type: stripeTypes[index] ?? '', amount: line.amount })),
        ),
      ).toEqual(sumByType(tollgateLines.map((line) => ({ type: line.type, amount: line.amountMinor }))));
    },
  );

  it('leaves percentage and per-event components out of Stripe, and only those', () => {
    const { estimate, stripeTypes, skipped } = comparison(
      'percentage and per-event components, which Stripe cannot bill',
    );
    expect(skipped).toEqual(['percentage', 'per_event']);
    expect(stripeTypes).toEqual(['per_unit']);
    // Tollgate still rates them: 2.5 % of 40,000 + 4 × 30 fixed fees, and 2 events × 40.
    const rated = sumByType(estimate.lines.map((line) => ({ type: line.type, amount: line.amountMinor })));
    expect(rated).toEqual({ per_unit: 30, percentage: 1120, per_event: 80 });
    expect(estimate.subtotalMinor).toBe(1230);
  });

  it('bills a plan changed mid-period only for the usage since the change, on both sides', () => {
    const { estimate, invoice, stripeTypes, periodRequests } = comparison(planChange);
    // All 30 requests fall in the period, but the 20 made on the free plan belong to that plan.
    expect(periodRequests).toBe(30);
    expect(estimate.usage.requests).toBe(10);
    expect(estimate.lines.map((line) => [line.type, line.quantity, line.amountMinor])).toEqual([
      ['flat', 1, 1000],
      ['per_unit', 10, 20],
    ]);
    expect(invoice.lines.data.map((line, index) => [stripeTypes[index], line.quantity, line.amount])).toEqual(
      [
        ['flat', 1, 1000],
        ['per_unit', 10, 20],
      ],
    );
  });

  it('has no component left out of Stripe in the other plans', () => {
    for (const scenario of scenarios.filter((candidate) => candidate.excluded === undefined)) {
      expect({ plan: scenario.name, skipped: comparison(scenario.name).skipped }).toEqual({
        plan: scenario.name,
        skipped: [],
      });
    }
  });
});
