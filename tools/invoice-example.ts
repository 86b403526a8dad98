import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnalyticsStore, migrateAnalytics } from '@tollgate/analytics';
import { createStripeBilling } from '@tollgate/billing-stripe';
import { startStripeTestServer } from '@tollgate/billing-stripe/testing';
import {
  type BillingWorkerLogger,
  stripeObjectKinds,
  stripePlanLayout,
  StripeSync,
  UsagePush,
} from '@tollgate/billing-worker';
import { toClickHouseDateTime, type UsageEventRow } from '@tollgate/metering-domain';
import { UsageQueries } from '@tollgate/metering-pipeline';
import { createLogger } from '@tollgate/observability';
import { createConsumer, createPlan } from '@tollgate/plans-data';
import { consumerCreateSchema, parseInput, planCreateSchema, planDefinition } from '@tollgate/plans-domain';
import { consumerInvoiceEstimate } from '@tollgate/plans-portal';
import { createRelationalStoreFromConfig } from '@tollgate/relational';
import Stripe from 'stripe';

/**
 * One plan, one consumer, one period's usage, run in-process (PGlite, chDB and the Stripe test
 * server, all in a temporary directory): prints Tollgate's invoice estimate next to the invoice
 * Stripe would draw up from the synced prices and the pushed meter events.
 */

const secretKey = 'sk_test_invoice_example';
const quiet: BillingWorkerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface UsageBatch {
  count: number;
  usage?: Record<string, number>;
}

// 1,240 counted requests (240 above the quota of 1,000), 180 SMS, 3,000 emails, 5 payments of 20.00.
const usageBatches: UsageBatch[] = [
  { count: 180, usage: { sms: 1 } },
  { count: 6, usage: { emails: 500 } },
  { count: 5, usage: { txn_value: 2000 } },
  { count: 1049 },
];

interface Row {
  component: string;
  tollgate?: { description: string; quantity: string; amount: number };
  stripe?: { description: string; quantity: string; amount: number };
}

/** The price an invoice line bills (an id, or the price when expanded). */
function priceIdOf(line: Stripe.InvoiceLineItem): string {
  const price = line.pricing?.price_details?.price;
  return typeof price === 'string' ? price : (price?.id ?? '');
}

function money(amountMinor: number): string {
  return (amountMinor / 100).toFixed(2);
}

function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function side(line: Row['tollgate'], width: number): string {
  if (line === undefined) return ' '.repeat(width + 20);
  return `${cell(line.description, width)} ${line.quantity.padStart(7)} ${money(line.amount).padStart(10)}`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-invoice-example-'));
  const relational = await createRelationalStoreFromConfig({ TOLLGATE_DATA_DIR: join(directory, 'pg') });
  const analytics = await createAnalyticsStore({
    database: 'invoice_example',
    dataDirectory: join(directory, 'chdb'),
  });
  const server = await startStripeTestServer();
  try {
    await migrateAnalytics(analytics);
    const { prisma } = relational;
    const provider = createStripeBilling({
      secretKey,
      apiBase: server.url,
      logger: createLogger({ app: 'invoice-example', level: 'silent' }),
    });
    const plan = await createPlan(
      prisma,
      parseInput(planCreateSchema, {
        name: 'Growth',
        quota: { limit: 1000, period: 'month' },
        overage: { bufferPercent: 50, unitPriceMinor: 3, currency: 'usd' },
        prices: [
          { type: 'flat', amountMinor: 4900, currency: 'usd' },
          { type: 'per_unit', unitAmountMinor: 1, currency: 'usd' },
          {
            type: 'graduated',
            currency: 'usd',
            meter: 'sms',
            tiers: [
              { upTo: 100, unitAmountMinor: 0 },
              { upTo: null, unitAmountMinor: 4, flatAmountMinor: 50 },
            ],
          },
          { type: 'package', packageSize: 1000, amountMinor: 200, currency: 'usd', meter: 'emails' },
          {
            type: 'percentage',
            percentBasisPoints: 290,
            fixedAmountMinor: 30,
            currency: 'usd',
            meter: 'txn_value',
          },
        ],
      }),
    );
    const consumer = await createConsumer(
      prisma,
      parseInput(consumerCreateSchema, { name: 'Acme', email: 'billing@acme.example', planId: plan.id }),
    );
    await new StripeSync({ prisma, provider, logger: quiet }).syncAll();

    // The period's usage, as the metering pipeline would have stored it.
    const at = Date.now();
    let offset = 0;
    const rows = usageBatches.flatMap((batch) =>
      Array.from({ length: batch.count }, (): UsageEventRow => {
        offset += 1;
        return {
          id: randomUUID(),
          ts: toClickHouseDateTime(at - 1),
          consumer_id: consumer.id,
          plan_id: plan.id,
          api_id: 'api_example',
          endpoint: 'POST /v1/messages',
          method: 'POST',
          status: 200,
          request_bytes: 100,
          response_bytes: 200,
          latency_ms: 3,
          upstream_latency_ms: 2,
          cached: false,
          counted: true,
          usage: batch.usage ?? {},
          source: 'gateway',
          log_topic: 'invoice-example',
          log_partition: 0,
          log_offset: String(offset),
        };
      }),
    );
    await analytics.insert('usage_events', rows, { deduplicationToken: 'invoice-example' });
    const usage = new UsageQueries(analytics);
    await new UsagePush({ prisma, usage, provider, logger: quiet }).run();

    const now = Math.max(Date.now(), at + 1);
    const estimate = await consumerInvoiceEstimate(prisma, usage, consumer.id, now);
    const subscription = await prisma.subscription.findFirstOrThrow({ where: { consumerId: consumer.id } });
    const stripe = new Stripe(secretKey, { host: server.host, port: server.port, protocol: 'http' });
    const invoice = await stripe.invoices.createPreview({
      subscription: subscription.stripeSubscriptionId as string,
    });

    // Which price component each Stripe line bills, from the prices the sync recorded.
    const planRow = await prisma.plan.findUniqueOrThrow({ where: { id: plan.id } });
    const definition = planDefinition(planRow);
    const layout = stripePlanLayout(planRow.id, planRow.version, definition);
    const recorded = await prisma.stripeObject.findMany({ where: { kind: stripeObjectKinds.price } });
    const typeOfPrice = new Map(
      recorded.map((row) => {
        const key = layout.prices.find((price) => price.localId === row.localId)?.key ?? '';
        const component = /^c(\d+)$/.exec(key)?.[1];
        const type =
          key === 'overage'
            ? 'overage'
            : component === undefined
              ? 'unknown'
              : (definition.prices[Number(component)]?.type ?? 'unknown');
        return [row.stripeId, type];
      }),
    );
    const order = [...definition.prices.map((price) => price.type), 'overage'];
    const rowsByComponent = order.map((component): Row[] => {
      const ours = estimate.lines.filter((line) => line.type === component);
      const theirs = invoice.lines.data.filter((line) => typeOfPrice.get(priceIdOf(line)) === component);
      const count = Math.max(ours.length, theirs.length);
      return Array.from({ length: count }, (_, index): Row => {
        const line = ours[index];
        const stripeLine = theirs[index];
        return {
          component: index === 0 ? component : '',
          ...(line
            ? {
                tollgate: {
                  description: line.description,
                  quantity: String(line.quantity),
                  amount: line.amountMinor,
                },
              }
            : {}),
          ...(stripeLine
            ? {
                stripe: {
                  description: (stripeLine.description ?? '').replace(/ \(plan_[^)]*\)/, ''),
                  quantity: String(stripeLine.quantity ?? stripeLine.quantity_decimal ?? ''),
                  amount: stripeLine.amount,
                },
              }
            : {}),
        };
      });
    });

    const skipped = new Set(layout.skipped.map((entry) => entry.type));
    const billable = estimate.lines
      .filter((line) => !skipped.has(line.type))
      .reduce((sum, line) => sum + line.amountMinor, 0);
    const width = 38;
    const stripeWidth = 44;
    const out: string[] = [];
    out.push(
      `Plan "${plan.name}", consumer ${consumer.name}: period ${estimate.periodStart} – ${estimate.periodEnd}, amounts in ${estimate.currency}`,
    );
    out.push('');
    out.push(
      `${'component'.padEnd(11)}| ${cell('Tollgate estimate', width)} ${'qty'.padStart(7)} ${'amount'.padStart(10)} | ${cell('Stripe invoice preview', stripeWidth)} ${'qty'.padStart(7)} ${'amount'.padStart(10)}`,
    );
    const rule = `${'-'.repeat(11)}+${'-'.repeat(width + 21)}+${'-'.repeat(stripeWidth + 21)}`;
    out.push(rule);
    for (const row of rowsByComponent.flat()) {
      const stripeSide =
        row.stripe === undefined && row.component !== '' && skipped.has(row.component)
          ? cell('(not billed by Stripe)', stripeWidth + 19)
          : side(row.stripe, stripeWidth);
      out.push(`${row.component.padEnd(11)}| ${side(row.tollgate, width)} | ${stripeSide}`.trimEnd());
    }
    out.push(rule);
    const totals = (label: string, ours: number, theirs: string) =>
      `${label.padEnd(11)}| ${cell('', width)} ${''.padStart(7)} ${money(ours).padStart(10)} | ${cell('', stripeWidth)} ${''.padStart(7)} ${theirs.padStart(10)}`.trimEnd();
    out.push(totals('billable', billable, money(invoice.total)));
    out.push(totals('all', estimate.subtotalMinor, ''));
    out.push('');
    out.push(
      billable === invoice.total
        ? `Agreement: Tollgate and Stripe both bill ${money(billable)} ${estimate.currency}.`
        : `MISMATCH: Tollgate ${money(billable)}, Stripe ${money(invoice.total)} ${estimate.currency}.`,
    );
    if (skipped.size > 0) {
      out.push(
        `Not billed through Stripe (${[...skipped].join(', ')}): ${money(estimate.subtotalMinor - billable)} ${estimate.currency}, rated by Tollgate only.`,
      );
    }
    out.push(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    process.stdout.write(`${out.join('\n')}\n`);
    if (billable !== invoice.total) process.exitCode = 1;
  } finally {
    await server.close();
    await analytics.close();
    await relational.close();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
