import { adminClient, type AdminCall } from './support/admin-client';
import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from './support/app-process';
import { type PortalCall, portalClient, verifiedDeveloper } from './support/portal-developer';

jest.setTimeout(300_000);

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
  [extension: string]: unknown;
}

/**
 * A developer on a pay-per-call plan sets a monthly spend cap in the portal; the running gateway
 * admits exactly the requests the cap pays for, then answers 402 until the cap is raised or removed.
 */
describe('spend cap (portal → snapshot → gateway, embedded platform)', () => {
  let embedded: EmbeddedPlatform;
  let admin: AdminCall;
  let portal: PortalCall;
  let cookie = '';
  let consumerId = '';
  let payPerCallPlanId = '';

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('spend-cap');
    admin = adminClient(() => embedded.demo.apiUrl, embedded.demo.adminToken);
    portal = portalClient(() => embedded);
    ({ cookie, consumerId } = await verifiedDeveloper(embedded, 'capped@example.com', 'Capped'));
    const plan = await admin<{ id: string }>('POST', '/api/admin/plans', {
      name: 'Metered',
      tier: 'pay_per_call',
      quota: { limit: 1000, period: 'month' },
      prices: [{ type: 'per_unit', unitAmountMinor: 2, currency: 'usd' }],
    });
    payPerCallPlanId = plan.id;
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  const problemOf = async (response: Response): Promise<Problem> => {
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    return (await response.json()) as Problem;
  };

  it('refuses a cap on a free plan with a 400 naming capMinor', async () => {
    const refused = await portal('/spend-cap', { method: 'PUT', cookie, json: { capMinor: 500 } });
    expect(refused.status).toBe(400);
    const problem = await problemOf(refused);
    expect(problem.errors?.map((issue) => issue.field)).toEqual(['capMinor']);
    expect(problem.errors?.[0].message).toMatch(/pay-per-call/);
    expect(await (await portal('/spend-cap', { cookie })).json()).toMatchObject({
      capMinor: null,
      eligible: false,
    });
  });

  it('answers 402 problem+json with the rate-limit headers once the cap would be passed', async () => {
    await admin('PATCH', `/api/admin/consumers/${consumerId}`, { planId: payPerCallPlanId });

    for (const bad of [{ capMinor: -5 }, { capMinor: 2.5 }, { capMinor: '7' }, {}]) {
      const refused = await portal('/spend-cap', { method: 'PUT', cookie, json: bad });
      expect(refused.status).toBe(400);
      expect((await problemOf(refused)).errors?.map((issue) => issue.field)).toEqual(['capMinor']);
    }

    // 7 minor units at 2 per request pay for 3 requests.
    const set = await portal('/spend-cap', { method: 'PUT', cookie, json: { capMinor: 7 } });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ capMinor: 7, currency: 'usd', eligible: true, capUnits: 3 });

    const created = await portal('/keys', { method: 'POST', cookie, json: { name: 'capped' } });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const call = () =>
      fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}`, {
        headers: { authorization: `Bearer ${key}` },
      });
    // The gateway polls the snapshot: wait until it knows the key, then count from there.
    await eventually(
      async () => (await call()).status,
      (status) => status === 200,
      20_000,
      'key known',
    );
    const statuses: number[] = [];
    let refusal: Response | undefined;
    for (let index = 0; index < 4; index += 1) {
      const response = await call();
      statuses.push(response.status);
      if (response.status === 402) refusal = response;
      else await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 402, 402]); // the first call above was the cap's first request
    const refused = refusal as Response;
    const problem = await problemOf(refused);
    expect(problem).toMatchObject({
      type: 'https://tollgate.dev/problems/spend-cap-reached',
      status: 402,
      limit: 'spend_cap',
      capMinor: 7,
      currency: 'usd',
      capUnits: 3,
    });
    expect(problem.detail).toContain('0.07 USD');
    expect(problem.detail).toContain(String(problem['resetsAt']));
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('997');
    expect(refused.headers.get('ratelimit')).toMatch(/"quota";r=997;t=\d+/);

    // Removing the cap lets requests through again, without having counted the refusals.
    const removed = await portal('/spend-cap', { method: 'PUT', cookie, json: { capMinor: null } });
    expect(await removed.json()).toMatchObject({ capMinor: null, capUnits: null });
    const after = await eventually(
      async () => call(),
      (response) => response.status === 200,
      20_000,
      'cap removed',
    );
    expect(after.headers.get('x-ratelimit-remaining')).toBe('996');
  });
});
