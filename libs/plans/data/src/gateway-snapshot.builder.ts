import { createHash } from 'node:crypto';
import { type GatewaySnapshot, type SnapshotConsumer, type SnapshotPlan } from '@tollgate/gateway-snapshot';
import { countersUnavailablePolicies, type PlanDefinition, planDefinition } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { storedApiJwt } from './apis';
import { spendCapUnits } from './spend-cap-units';

type PlanRow = Awaited<ReturnType<PrismaClient['plan']['findMany']>>[number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/**
 * A stored PlanVersion definition, field by field: whatever is missing or malformed (rows written
 * before a field existed) falls back to the plan's current value, so an old subscriber is never
 * left without limits.
 */
function storedDefinition(stored: unknown, fallback: PlanDefinition): PlanDefinition {
  if (!isRecord(stored)) return fallback;
  const quota = isRecord(stored['quota']) ? stored['quota'] : {};
  const rateLimit = stored['rateLimit'];
  const countPolicy = isRecord(stored['countPolicy']) ? stored['countPolicy'] : {};
  const allowed = stored['allowedEndpoints'];
  const concurrency = stored['concurrency'];
  const overage = stored['overage'];
  const countersUnavailable = stored['countersUnavailable'];
  return {
    ...fallback,
    countersUnavailable: (countersUnavailablePolicies as readonly unknown[]).includes(countersUnavailable)
      ? (countersUnavailable as PlanDefinition['countersUnavailable'])
      : fallback.countersUnavailable,
    quota: {
      limit: isCount(quota['limit']) ? quota['limit'] : fallback.quota.limit,
      period:
        quota['period'] === 'month' || quota['period'] === 'day' ? quota['period'] : fallback.quota.period,
    },
    rateLimit:
      rateLimit === null
        ? null
        : isRecord(rateLimit) && isCount(rateLimit['perSecond'])
          ? {
              perSecond: rateLimit['perSecond'],
              burst: isCount(rateLimit['burst']) ? rateLimit['burst'] : rateLimit['perSecond'],
            }
          : fallback.rateLimit,
    concurrency: concurrency === null || isCount(concurrency) ? concurrency : fallback.concurrency,
    overage:
      overage === null
        ? null
        : isRecord(overage) &&
            isCount(overage['bufferPercent']) &&
            isCount(overage['unitPriceMinor']) &&
            typeof overage['currency'] === 'string'
          ? {
              bufferPercent: overage['bufferPercent'],
              unitPriceMinor: overage['unitPriceMinor'],
              currency: overage['currency'],
            }
          : fallback.overage,
    allowedEndpoints:
      Array.isArray(allowed) && allowed.every((entry) => typeof entry === 'string')
        ? allowed
        : fallback.allowedEndpoints,
    countPolicy: {
      count4xx:
        typeof countPolicy['count4xx'] === 'boolean'
          ? countPolicy['count4xx']
          : fallback.countPolicy.count4xx,
      count5xx:
        typeof countPolicy['count5xx'] === 'boolean'
          ? countPolicy['count5xx']
          : fallback.countPolicy.count5xx,
    },
  };
}

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

/**
 * A spend cap as gateways enforce it: the units it pays for, up to the quota ceiling. Only a
 * monthly quota window is a month of spending; a daily quota plan carries no cap.
 */
function spendCapOf(definition: PlanDefinition, capMinor: number): SnapshotConsumer['spendCap'] {
  if (definition.quota.period !== 'month') return null;
  const { limit } = definition.quota;
  const buffer = definition.overage?.bufferPercent ?? 0;
  const ceiling = limit + Math.floor((limit * buffer) / 100);
  try {
    return {
      units: spendCapUnits(definition, capMinor, ceiling),
      amountMinor: capMinor,
      currency: definition.currency.toLowerCase(),
    };
  } catch {
    // Prices the rating engine refuses (checked when the cap is set) must not stop every gateway's
    // snapshot: this consumer alone goes without a cap until the plan is fixed.
    return null;
  }
}

/**
 * Reads the control plane's current truth into the snapshot gateways hold in memory: every plan's
 * latest version plus each older version someone is still subscribed to.
 */
export async function buildGatewaySnapshot(prisma: PrismaClient, now = Date.now()): Promise<GatewaySnapshot> {
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
      const definition = storedDefinition(stored.get(`${plan.id}@${version}`), latest);
      snapshotPlans.push(snapshotPlan(plan, version, definition));
      definitions.set(`${plan.id}@${version}`, definition);
    }
  }
  for (const consumer of snapshotConsumers) {
    const capMinor = spendCaps.get(consumer.id);
    const plan = plansById.get(consumer.planId);
    const definition = definitions.get(`${consumer.planId}@${consumer.planVersion}`);
    if (capMinor === undefined || plan?.tier !== 'pay_per_call' || !definition) continue;
    consumer.spendCap = spendCapOf(definition, capMinor);
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
