import { createHash } from 'node:crypto';
import {
  type GatewaySnapshot,
  quotaCeiling,
  type SnapshotConsumer,
  type SnapshotPlan,
  snapshotPlanKey,
  type SnapshotSpendCap,
} from '@tollgate/gateway-snapshot';
import { type Logger } from '@tollgate/observability';
import { currencyMinorDigits, type PlanDefinition, planDefinition } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { storedApiJwt } from './apis';
import { spendCapUnits } from './spend-cap-units';
import { pinnedPlanDefinition } from './subscription-plan';

type PlanRow = Awaited<ReturnType<PrismaClient['plan']['findMany']>>[number];

function snapshotPlan(plan: PlanRow, version: number, definition: PlanDefinition): SnapshotPlan {
  return {
    id: plan.id,
    version,
    name: plan.name,
    quota: { limit: definition.quota.limit, period: definition.quota.period },
    rateLimit: definition.rateLimit
      ? { perSecond: definition.rateLimit.perSecond, burst: definition.rateLimit.burst }
      : null,
    concurrency: definition.concurrency,
    allowedEndpoints: definition.allowedEndpoints.length > 0 ? [...definition.allowedEndpoints].sort() : null,
    countPolicy: { count4xx: definition.countPolicy.count4xx, count5xx: definition.countPolicy.count5xx },
    overageBufferPercent: definition.overage?.bufferPercent ?? null,
    countersUnavailable: definition.countersUnavailable,
    alertThresholds: [...definition.alertThresholds].sort((a, b) => a - b),
  };
}

/** What the builder tells operators; a pino logger fits. */
export interface GatewaySnapshotBuildOptions {
  logger?: Pick<Logger, 'warn'>;
}

type SpendCapOutcome = { cap: SnapshotSpendCap } | { error: unknown };

/**
 * Spend caps as gateways enforce them: the units a cap pays for, up to the quota ceiling the
 * gateway blocks at, priced on the subscription's pinned plan version (read as
 * subscriptionPlanDefinition reads it for the portal and billing). Only a monthly quota window is a month of spending: a daily quota plan
 * carries no cap. Memoised per plan version and amount: many developers share a plan and a cap.
 */
class SpendCapSizer {
  private readonly outcomes = new Map<string, SpendCapOutcome>();

  constructor(
    private readonly plansById: ReadonlyMap<string, PlanRow>,
    private readonly definitions: ReadonlyMap<string, PlanDefinition>,
    private readonly options: GatewaySnapshotBuildOptions,
  ) {}

  capOf(consumer: SnapshotConsumer, capMinor: number): SnapshotSpendCap | null {
    const plan = this.plansById.get(consumer.planId);
    const key = snapshotPlanKey(consumer.planId, consumer.planVersion);
    const definition = this.definitions.get(key);
    if (plan?.tier !== 'pay_per_call' || !definition || definition.quota.period !== 'month') return null;
    const memo = `${key}:${capMinor}`;
    let outcome = this.outcomes.get(memo);
    if (outcome === undefined) {
      outcome = this.size(definition, capMinor);
      this.outcomes.set(memo, outcome);
    }
    if ('cap' in outcome) return outcome.cap;
    // Prices the rating engine refuses (checked when the cap is set) must not stop every gateway's
    // snapshot: this developer goes without a cap until the plan is fixed, so say so.
    this.options.logger?.warn(
      {
        consumerId: consumer.id,
        planId: plan.id,
        planVersion: consumer.planVersion,
        capMinor,
        err: outcome.error,
      },
      'spend cap left out of the gateway snapshot: the plan version cannot be rated, so the cap is not enforced',
    );
    return null;
  }

  private size(definition: PlanDefinition, capMinor: number): SpendCapOutcome {
    try {
      const ceiling = quotaCeiling(definition.quota.limit, definition.overage?.bufferPercent);
      return {
        cap: {
          units: spendCapUnits(definition, capMinor, ceiling),
          amountMinor: capMinor,
          currency: definition.currency.toLowerCase(),
          minorDigits: currencyMinorDigits(definition.currency),
        },
      };
    } catch (error) {
      return { error };
    }
  }
}

/**
 * Reads the control plane's current truth into the snapshot gateways hold in memory: every plan's
 * latest version plus each older version someone is still subscribed to.
 */
export async function buildGatewaySnapshot(
  prisma: PrismaClient,
  now = Date.now(),
  options: GatewaySnapshotBuildOptions = {},
): Promise<GatewaySnapshot> {
  // Sequential reads: PGlite serves one connection at a time.
  const apis = await prisma.api.findMany({
    include: { routes: { orderBy: { id: 'asc' } } },
    orderBy: { id: 'asc' },
  });
  const plans = await prisma.plan.findMany({ orderBy: { id: 'asc' } });
  const consumers = await prisma.consumer.findMany({
    orderBy: { id: 'asc' },
    include: {
      subscriptions: { where: { status: { not: 'canceled' } }, orderBy: { createdAt: 'desc' }, take: 1 },
    },
  });
  const keys = await prisma.apiKey.findMany({ where: { revokedAt: null }, orderBy: { id: 'asc' } });

  const snapshotConsumers: SnapshotConsumer[] = [];
  const spendCaps = new Map<string, number>();
  for (const consumer of consumers) {
    const subscription = consumer.subscriptions[0];
    if (!subscription) continue;
    // A scheduled move whose date has passed applies now, even before a job rewrites the row.
    const moved =
      subscription.pendingPlanId !== null &&
      subscription.pendingPlanVersion !== null &&
      subscription.pendingEffectiveAt !== null &&
      subscription.pendingEffectiveAt.getTime() <= now;
    const suspended = consumer.status === 'suspended' || subscription.status === 'suspended';
    snapshotConsumers.push({
      id: consumer.id,
      status: suspended ? 'suspended' : 'active',
      suspendedReason:
        consumer.status === 'suspended'
          ? consumer.suspendedReason
          : suspended
            ? 'the subscription is suspended'
            : null,
      planId: moved ? (subscription.pendingPlanId as string) : subscription.planId,
      planVersion: moved ? (subscription.pendingPlanVersion as number) : subscription.planVersion,
      periodAnchor: subscription.periodAnchor.toISOString(),
      timeZone: consumer.timeZone,
      externalId: consumer.externalId,
    });
    if (subscription.spendCapMinor !== null) spendCaps.set(consumer.id, subscription.spendCapMinor);
  }

  // Older versions in use: their frozen definitions.
  const plansById = new Map(plans.map((plan) => [plan.id, plan]));
  const pinned = new Map<string, Set<number>>();
  for (const consumer of snapshotConsumers) {
    const plan = plansById.get(consumer.planId);
    if (!plan || plan.version === consumer.planVersion) continue;
    const versions = pinned.get(plan.id) ?? new Set<number>();
    versions.add(consumer.planVersion);
    pinned.set(plan.id, versions);
  }
  const storedVersions =
    pinned.size === 0
      ? []
      : await prisma.planVersion.findMany({
          where: { planId: { in: [...pinned.keys()] } },
          select: { planId: true, version: true, definition: true },
        });
  const stored = new Map(storedVersions.map((row) => [`${row.planId}@${row.version}`, row.definition]));

  const snapshotPlans: SnapshotPlan[] = [];
  const definitions = new Map<string, PlanDefinition>();
  for (const plan of plans) {
    const latest = planDefinition(plan);
    snapshotPlans.push(snapshotPlan(plan, plan.version, latest));
    definitions.set(`${plan.id}@${plan.version}`, latest);
    for (const version of [...(pinned.get(plan.id) ?? [])].sort((a, b) => a - b)) {
      // A version without a row (data written before versions existed) gets the current limits.
      const definition = pinnedPlanDefinition(stored.get(`${plan.id}@${version}`), latest);
      snapshotPlans.push(snapshotPlan(plan, version, definition));
      definitions.set(`${plan.id}@${version}`, definition);
    }
  }
  const sizer = new SpendCapSizer(plansById, definitions, options);
  for (const consumer of snapshotConsumers) {
    const capMinor = spendCaps.get(consumer.id);
    const plan = plansById.get(consumer.planId);
    if (capMinor === undefined || plan?.tier !== 'pay_per_call') continue;
    consumer.spendCap = sizer.capOf(consumer, capMinor);
  }

  const content = {
    apis: apis.map((api) => ({
      id: api.id,
      name: api.name,
      pathPrefix: api.pathPrefix,
      upstreamUrl: api.upstreamUrl,
      stripPrefix: api.stripPrefix,
      routes: api.routes.map((route) => ({
        method: route.method,
        pathTemplate: route.pathTemplate,
        endpoint: `${route.method} ${route.pathTemplate}`,
        costWeight: route.costWeight,
      })),
      keyInQuery: api.keyInQuery,
      jwt: storedApiJwt(api.jwt),
    })),
    plans: snapshotPlans,
    consumers: snapshotConsumers,
    keys: keys.map((key) => ({
      hash: key.hash,
      keyId: key.id,
      consumerId: key.consumerId,
      expiresAt: key.expiresAt ? key.expiresAt.getTime() : null,
    })),
  };
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 32);
  return { version, generatedAt: now, ...content };
}
