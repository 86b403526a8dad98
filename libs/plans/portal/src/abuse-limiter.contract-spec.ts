import { randomUUID } from 'node:crypto';
import { createMemoryCounters, createRedisCounters } from '@tollgate/counters';
import { type Counters } from '@tollgate/ports';
import { defaultPortalAbuseLimits, PortalAbuseLimiter, TooManyAttemptsError } from './abuse-limiter';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// The same limiter over both Counters adapters: memory (embedded) and Redis (distributed).
const adapters: Array<[string, () => Counters]> = [
  ['memory', () => createMemoryCounters()],
  ['redis', () => createRedisCounters({ redis: redisUrl, keyPrefix: `tgtest:${randomUUID()}:` })],
];

async function refusal(attempt: Promise<void>): Promise<TooManyAttemptsError> {
  try {
    await attempt;
  } catch (error) {
    expect(error).toBeInstanceOf(TooManyAttemptsError);
    return error as TooManyAttemptsError;
  }
  throw new Error('expected TooManyAttemptsError');
}

describe.each(adapters)('PortalAbuseLimiter (%s counters)', (_name, create) => {
  let counters: Counters;
  let clock: number;
  const now = () => clock;
  const small = {
    signupPerIp: { limit: 3, windowSeconds: 60 },
    signupPerEmail: { limit: 2, windowSeconds: 60 },
    loginFailuresPerAccount: { limit: 2, windowSeconds: 900 },
  };

  beforeEach(async () => {
    counters = create();
    await counters.ping(); // an unreachable Redis fails the suite here
    // Windows align to epoch multiples, and the adapters expire keys by the real clock: start 10 s
    // into the next hour, so every window a test touches still lies in the future.
    clock = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 10_000;
  });

  afterEach(async () => {
    await counters.close();
  });

  it('allows up to the limit per IP, then refuses with the seconds left in the window', async () => {
    const limiter = new PortalAbuseLimiter(counters, small, now);
    for (let i = 0; i < 3; i += 1) await limiter.consume('signupPerIp', { ip: '203.0.113.7' });
    clock += 15_000;
    const refused = await refusal(limiter.consume('signupPerIp', { ip: '203.0.113.7' }));
    // Window [clock0 - 10 s, clock0 + 50 s): 25 s have passed since the window opened.
    expect(refused.retryAfterSeconds).toBe(35);
    expect(refused.code).toBe('limit_exceeded');
    expect(refused.details).toEqual({ retryAfterSeconds: 35 });
  });

  it('counts each IP and each email separately', async () => {
    const limiter = new PortalAbuseLimiter(counters, small, now);
    for (let i = 0; i < 3; i += 1) await limiter.consume('signupPerIp', { ip: '203.0.113.7' });
    await limiter.consume('signupPerIp', { ip: '2001:db8::1' });
    await limiter.consume('signupPerEmail', { email: 'a@example.com' });
    await limiter.consume('signupPerEmail', { email: 'a@example.com' });
    await refusal(limiter.consume('signupPerEmail', { email: 'a@example.com' }));
    await limiter.consume('signupPerEmail', { email: 'b@example.com' });
    // Rules do not share counters either.
    await limiter.consume('mailRequestPerIp', { ip: '203.0.113.7' });
  });

  it('opens a new allowance when the window ends', async () => {
    const limiter = new PortalAbuseLimiter(counters, small, now);
    for (let i = 0; i < 3; i += 1) await limiter.consume('signupPerIp', { ip: '198.51.100.1' });
    await refusal(limiter.consume('signupPerIp', { ip: '198.51.100.1' }));
    clock += 60_000;
    await limiter.consume('signupPerIp', { ip: '198.51.100.1' });
  });

  it('checks failures without counting, and records them unconditionally', async () => {
    const limiter = new PortalAbuseLimiter(counters, small, now);
    const account = { email: 'victim@example.com' };
    await limiter.assertAllowed('loginFailuresPerAccount', account);
    await limiter.assertAllowed('loginFailuresPerAccount', account);
    await limiter.record('loginFailuresPerAccount', account);
    await limiter.assertAllowed('loginFailuresPerAccount', account);
    await limiter.record('loginFailuresPerAccount', account);
    const refused = await refusal(limiter.assertAllowed('loginFailuresPerAccount', account));
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    await limiter.assertAllowed('loginFailuresPerAccount', { email: 'someone-else@example.com' });
  });

  it('enforces the documented defaults (10 signups per IP per hour)', async () => {
    const limiter = new PortalAbuseLimiter(counters, {}, now);
    expect(limiter.limits).toEqual(defaultPortalAbuseLimits);
    for (let i = 0; i < 10; i += 1) await limiter.consume('signupPerIp', { ip: '192.0.2.10' });
    await refusal(limiter.consume('signupPerIp', { ip: '192.0.2.10' }));
  });

  it('keeps emails out of counter keys (hash-tagged, hashed)', async () => {
    const seen: string[] = [];
    const spy: Counters = {
      ...counters,
      incrementWithin: (key, amount, limit, expiresAtMs) => {
        seen.push(key);
        return counters.incrementWithin(key, amount, limit, expiresAtMs);
      },
    };
    const limiter = new PortalAbuseLimiter(spy, small, now);
    await limiter.consume('signupPerEmail', { email: 'private@example.com' });
    await limiter.consume('signupPerIp', { ip: '192.0.2.1' });
    expect(seen[0]).toMatch(/^portal:\{email:[0-9a-f]{32}\}:signupPerEmail:\d+$/);
    expect(seen[0]).not.toContain('private');
    expect(seen[1]).toMatch(/^portal:\{ip:192\.0\.2\.1\}:signupPerIp:\d+$/);
  });
});
