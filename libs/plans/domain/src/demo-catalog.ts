import { type PlanCreateInput } from './plan.schema';

/** What a first start seeds: the demo upstream's API and three plans (bodies of the plan-create use case). */
export const demoPlans: (PlanCreateInput & { slug: string })[] = [
  {
    slug: 'free',
    name: 'Free',
    tier: 'free',
    quota: { limit: 1_000, period: 'month' },
    rateLimit: { perSecond: 5, burst: 10 },
    concurrency: 2,
    prices: [],
  },
  {
    slug: 'starter',
    name: 'Starter',
    tier: 'subscription',
    quota: { limit: 50_000, period: 'month' },
    rateLimit: { perSecond: 10, burst: 20 },
    concurrency: 5,
    prices: [{ type: 'flat', amountMinor: 4_900, currency: 'usd' }],
  },
  {
    slug: 'pro',
    name: 'Pro',
    tier: 'subscription',
    quota: { limit: 500_000, period: 'month' },
    rateLimit: { perSecond: 50, burst: 100 },
    concurrency: 20,
    prices: [{ type: 'flat', amountMinor: 19_900, currency: 'usd' }],
  },
];

export const demoApi = {
  name: 'Echo (demo)',
  pathPrefix: '/echo',
  /** A request path through the gateway that reaches the demo upstream. */
  demoPath: '/echo/hello',
  demoPlanSlug: 'free',
};
