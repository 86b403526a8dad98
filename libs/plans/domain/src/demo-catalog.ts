/** What a first start seeds: the demo upstream's API and three plans. */

export interface PriceComponent {
  type: 'flat';
  amountMinor: number;
  currency: string;
}

export interface PlanDefinition {
  slug: string;
  name: string;
  tier: 'free' | 'pay_per_call' | 'subscription' | 'enterprise';
  quotaLimit: number;
  quotaPeriod: 'month' | 'day';
  ratePerSecond: number | null;
  rateBurst: number | null;
  concurrency: number | null;
  prices: PriceComponent[];
}

export const demoPlans: PlanDefinition[] = [
  {
    slug: 'free',
    name: 'Free',
    tier: 'free',
    quotaLimit: 1_000,
    quotaPeriod: 'month',
    ratePerSecond: 5,
    rateBurst: 10,
    concurrency: 2,
    prices: [],
  },
  {
    slug: 'starter',
    name: 'Starter',
    tier: 'subscription',
    quotaLimit: 50_000,
    quotaPeriod: 'month',
    ratePerSecond: 10,
    rateBurst: 20,
    concurrency: 5,
    prices: [{ type: 'flat', amountMinor: 4_900, currency: 'usd' }],
  },
  {
    slug: 'pro',
    name: 'Pro',
    tier: 'subscription',
    quotaLimit: 500_000,
    quotaPeriod: 'month',
    ratePerSecond: 50,
    rateBurst: 100,
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
