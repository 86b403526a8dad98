import { createHash } from 'node:crypto';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { type PrismaClient } from '@tollgate/relational';

/** Reads the control plane's current truth into the snapshot gateways hold in memory. */
export async function buildGatewaySnapshot(prisma: PrismaClient, now = Date.now()): Promise<GatewaySnapshot> {
  // Sequential reads: PGlite serves one connection at a time.
  const apis = await prisma.api.findMany({ include: { routes: true }, orderBy: { id: 'asc' } });
  const plans = await prisma.plan.findMany({ orderBy: { id: 'asc' } });
  const consumers = await prisma.consumer.findMany({
    orderBy: { id: 'asc' },
    include: {
      subscriptions: { where: { status: { not: 'canceled' } }, orderBy: { createdAt: 'desc' }, take: 1 },
    },
  });
  const keys = await prisma.apiKey.findMany({ where: { revokedAt: null }, orderBy: { id: 'asc' } });

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
    })),
    plans: plans.map((plan) => ({
      id: plan.id,
      version: plan.version,
      name: plan.name,
      quota: { limit: plan.quotaLimit, period: plan.quotaPeriod },
      rateLimit:
        plan.ratePerSecond !== null
          ? { perSecond: plan.ratePerSecond, burst: plan.rateBurst ?? plan.ratePerSecond }
          : null,
      concurrency: plan.concurrency,
      allowedEndpoints: plan.allowedEndpoints.length > 0 ? plan.allowedEndpoints : null,
      countPolicy: { count4xx: plan.count4xx, count5xx: plan.count5xx },
    })),
    consumers: consumers.flatMap((consumer) => {
      const subscription = consumer.subscriptions[0];
      if (!subscription) return [];
      return [
        {
          id: consumer.id,
          status: consumer.status,
          suspendedReason: consumer.suspendedReason,
          planId: subscription.planId,
          periodAnchor: subscription.periodAnchor.toISOString(),
          timeZone: consumer.timeZone,
        },
      ];
    }),
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
