import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryCounters } from '@tollgate/counters';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import { createSmtpMailer } from '@tollgate/mail';
import { startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { type Counters } from '@tollgate/ports';
import { createRelationalStoreFromConfig, type RelationalStore } from '@tollgate/relational';
import { Client } from 'pg';
import { PortalAbuseLimiter, TooManyAttemptsError } from './abuse-limiter';
import {
  confirmPasswordReset,
  requestPasswordReset,
  signupDeveloper,
  verifyDeveloperEmail,
} from './developer-accounts';
import {
  createDeveloperKey,
  listDeveloperKeys,
  revokeDeveloperKey,
  rotateDeveloperKey,
} from './developer-keys';
import { chooseDeveloperPlan, developerProfile, listPortalPlans } from './developer-plans';
import { developerOfSession, loginDeveloper, logoutDeveloper } from './developer-sessions';
import { type PortalContext } from './portal-context';

// Use cases against a real PostgreSQL (a scratch database) and a real SMTP server.
const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
jest.setTimeout(60_000);

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const client = { ip: '203.0.113.9' };
const password = 'correct horse battery';

describe('developer portal use cases (PostgreSQL + SMTP)', () => {
  const database = `tollgate_portal_${randomBytes(6).toString('hex')}`;
  const dataDirectory = mkdtempSync(join(tmpdir(), 'tollgate-portal-'));
  let store: RelationalStore;
  let smtp: TestSmtpServer;
  let counters: Counters;
  let context: PortalContext;
  const plans = { free: '', hobby: '', starter: '' };

  const linkTokenOf = async (to: string, subject: RegExp): Promise<string> => {
    const mail = await smtp.waitFor((message) => message.to.includes(to) && subject.test(message.subject));
    const match = /token=([A-Za-z0-9_.%-]+)/.exec(mail.text ?? '');
    if (!match) throw new Error(`no token in ${mail.text}`);
    return decodeURIComponent(match[1]);
  };

  const verifiedDeveloper = async (email: string) => {
    await signupDeveloper(context, { email, password, name: email.split('@')[0] }, client);
    await verifyDeveloperEmail(context, await linkTokenOf(email, /^Verify your email/));
    const session = await loginDeveloper(context, { email, password }, client);
    const developer = await developerOfSession(store.prisma, session.token);
    if (!developer) throw new Error('no developer for a fresh session');
    return { developer, session };
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${database}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    store = await createRelationalStoreFromConfig({
      DATABASE_URL: url.toString(),
      TOLLGATE_DATA_DIR: dataDirectory,
    });
    smtp = await startTestSmtpServer();
    counters = createMemoryCounters();
    context = {
      prisma: store.prisma,
      mailer: createSmtpMailer({ url: smtp.url, from: 'Tollgate <no-reply@tollgate.test>' }),
      publicUrl: 'https://portal.example.test/',
      signingSecret: 'contract-secret',
      // Small per-account failure allowance; generous elsewhere so the suite is not throttled.
      limiter: new PortalAbuseLimiter(counters, {
        signupPerIp: { limit: 100, windowSeconds: 3600 },
        loginPerIp: { limit: 100, windowSeconds: 900 },
        loginFailuresPerAccount: { limit: 3, windowSeconds: 900 },
      }),
    };
    const seed = async (slug: string, prices: object[], createdAt: Date) => {
      const id = prefixedId('plan');
      await store.prisma.plan.create({
        data: {
          id,
          slug,
          name: slug,
          tier: prices.length ? 'subscription' : 'free',
          quotaLimit: 100,
          prices,
          createdAt,
        },
      });
      await store.prisma.consumerGroup.create({ data: { id: prefixedId('cgrp'), name: slug, planId: id } });
      return id;
    };
    plans.hobby = await seed('hobby', [], new Date('2020-01-01'));
    plans.free = await seed('free', [], new Date('2021-01-01'));
    plans.starter = await seed(
      'starter',
      [{ type: 'flat', amountMinor: 4900, currency: 'usd' }],
      new Date('2021-01-01'),
    );
    await seed('secret', [], new Date('2021-01-01')).then((id) =>
      store.prisma.plan.update({ where: { id }, data: { isPublic: false } }),
    );
  });

  afterAll(async () => {
    await context?.mailer.close();
    await smtp?.close();
    await counters?.close();
    await store?.close();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('signs up over SMTP: normalised email, scrypt hash, a signed 24 h link to the public URL', async () => {
    const view = await signupDeveloper(context, { email: 'ann@example.com', password, name: 'Ann' }, client);
    expect(view).toMatchObject({ email: 'ann@example.com', name: 'Ann', emailVerified: false });
    const mail = await smtp.waitFor((message) => message.to.includes('ann@example.com'));
    expect(mail.subject).toBe('Verify your email for Tollgate');
    expect(mail.text).toMatch(/https:\/\/portal\.example\.test\/api\/portal\/verify\?token=\S+/);
    const stored = await store.prisma.developer.findUniqueOrThrow({ where: { id: view.id } });
    expect(stored.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // No consumer before verification.
    expect(await store.prisma.consumer.count({ where: { developerId: view.id } })).toBe(0);
  });

  it('answers a duplicate email with a bare conflict', async () => {
    const attempt = signupDeveloper(context, { email: 'ann@example.com', password, name: 'Other' }, client);
    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toThrow('An account with this email already exists');
  });

  it('refuses login before verification (403), then verifies into a consumer on the free plan', async () => {
    await expect(loginDeveloper(context, { email: 'ann@example.com', password }, client)).rejects.toThrow(
      ForbiddenError,
    );
    const token = await linkTokenOf('ann@example.com', /^Verify/);
    await expect(verifyDeveloperEmail(context, `${token}x`)).rejects.toThrow(ValidationError);
    const developer = await verifyDeveloperEmail(context, token);
    expect(developer.emailVerified).toBe(true);
    // Idempotent: the same link again creates nothing more.
    await verifyDeveloperEmail(context, token);
    const consumers = await store.prisma.consumer.findMany({
      where: { developerId: developer.id },
      include: { subscriptions: true, group: true },
    });
    expect(consumers).toHaveLength(1);
    expect(consumers[0]).toMatchObject({
      name: 'Ann',
      email: 'ann@example.com',
      group: { planId: plans.free },
    });
    expect(consumers[0].subscriptions).toEqual([
      expect.objectContaining({ planId: plans.free, planVersion: 1, status: 'active' }),
    ]);
  });

  it('gives the same 401 for a wrong password and an unknown email, and throttles failures per account', async () => {
    const wrong = await loginDeveloper(
      context,
      { email: 'ann@example.com', password: 'not the password' },
      client,
    ).catch((error: unknown) => error);
    const unknown = await loginDeveloper(context, { email: 'nobody@example.com', password }, client).catch(
      (error: unknown) => error,
    );
    expect(wrong).toBeInstanceOf(UnauthenticatedError);
    expect(unknown).toBeInstanceOf(UnauthenticatedError);
    expect((wrong as Error).message).toBe((unknown as Error).message);
    await expect(
      loginDeveloper(context, { email: 'ann@example.com', password: 'not the password' }, client),
    ).rejects.toThrow(UnauthenticatedError);
    await expect(
      loginDeveloper(context, { email: 'ann@example.com', password: 'not the password' }, client),
    ).rejects.toThrow(UnauthenticatedError);
    // Three failures used the allowance: even the right password waits now.
    await expect(loginDeveloper(context, { email: 'ann@example.com', password }, client)).rejects.toThrow(
      TooManyAttemptsError,
    );
  });

  it('resets a password by mail once, ending every session', async () => {
    const { developer, session } = await verifiedDeveloper('bob@example.com');
    const deliver = await requestPasswordReset(context, 'bob@example.com', client);
    await deliver();
    const token = await linkTokenOf('bob@example.com', /^Reset your Tollgate password/);
    await confirmPasswordReset(context, { token, password: 'a brand new password' });
    expect(await developerOfSession(store.prisma, session.token)).toBeUndefined();
    await expect(confirmPasswordReset(context, { token, password: 'yet another password' })).rejects.toThrow(
      ValidationError,
    );
    const again = await loginDeveloper(
      context,
      { email: 'bob@example.com', password: 'a brand new password' },
      client,
    );
    expect(again.developer.id).toBe(developer.id);
    await logoutDeveloper(store.prisma, again.token);
    expect(await developerOfSession(store.prisma, again.token)).toBeUndefined();
    // Unknown emails get no mail and no error.
    await (
      await requestPasswordReset(context, 'ghost@example.com', client)
    )();
  });

  it("never lets one developer touch another's keys", async () => {
    const a = await verifiedDeveloper('carol@example.com');
    const b = await verifiedDeveloper('dave@example.com');
    const key = await createDeveloperKey(store.prisma, a.developer, { name: 'ci' });
    expect(key.key).toMatch(/^tg_live_/);
    await expect(revokeDeveloperKey(store.prisma, b.developer, key.id)).rejects.toThrow(NotFoundError);
    await expect(rotateDeveloperKey(store.prisma, b.developer, key.id)).rejects.toThrow(NotFoundError);
    expect(await listDeveloperKeys(store.prisma, b.developer)).toEqual([]);
    expect((await listDeveloperKeys(store.prisma, a.developer)).map((view) => view.id)).toEqual([key.id]);
    expect((await store.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).revokedAt).toBeNull();
  });

  it('switches to a free plan at once keeping the period anchor; refuses paid and private plans', async () => {
    const { developer } = await verifiedDeveloper('erin@example.com');
    const before = await developerProfile(store.prisma, developer);
    expect(before.plan?.slug).toBe('free');
    const after = await chooseDeveloperPlan(store.prisma, developer, plans.hobby);
    expect(after.plan?.slug).toBe('hobby');
    expect(after.subscription?.periodAnchor).toBe(before.subscription?.periodAnchor);
    expect(after.subscription?.id).not.toBe(before.subscription?.id);
    const consumer = await store.prisma.consumer.findFirstOrThrow({
      where: { developerId: developer.id },
      include: { group: true, subscriptions: { orderBy: { createdAt: 'asc' } } },
    });
    expect(consumer.group?.planId).toBe(plans.hobby);
    expect(consumer.subscriptions.map((subscription) => subscription.status)).toEqual(['canceled', 'active']);
    await expect(chooseDeveloperPlan(store.prisma, developer, plans.starter)).rejects.toThrow(
      'Paid plans go through checkout',
    );
    const secret = await store.prisma.plan.findUniqueOrThrow({ where: { slug: 'secret' } });
    await expect(chooseDeveloperPlan(store.prisma, developer, secret.id)).rejects.toThrow(NotFoundError);
    const listed = await listPortalPlans(store.prisma);
    // Free plans first; the private one is not listed.
    expect(
      listed
        .map((plan) => plan.slug)
        .slice(0, 2)
        .sort(),
    ).toEqual(['free', 'hobby']);
    expect(listed.map((plan) => plan.slug)[2]).toBe('starter');
    expect(listed).toHaveLength(3);
    expect(listed.find((plan) => plan.slug === 'starter')).toMatchObject({
      free: false,
      priceSummary: ['49.00 USD per month'],
    });
  });

  it('a plan chosen while downgraded for non-payment leaves dunning no plan to restore', async () => {
    // As dunning leaves it once the invoice is paid and before it restores the plan.
    const downgraded = async (email: string) => {
      const { developer } = await verifiedDeveloper(email);
      const consumer = await store.prisma.consumer.findFirstOrThrow({ where: { developerId: developer.id } });
      await store.prisma.subscription.updateMany({
        where: { consumerId: consumer.id },
        data: { downgradedFromPlanId: plans.starter },
      });
      return { developer, consumerId: consumer.id };
    };
    const staying = await downgraded('fay@example.com');
    await chooseDeveloperPlan(store.prisma, staying.developer, plans.free);
    expect(
      await store.prisma.subscription.findMany({
        where: { consumerId: staying.consumerId },
        select: { planId: true, downgradedFromPlanId: true },
      }),
    ).toEqual([{ planId: plans.free, downgradedFromPlanId: null }]);

    const moving = await downgraded('gus@example.com');
    await chooseDeveloperPlan(store.prisma, moving.developer, plans.hobby);
    const subscriptions = await store.prisma.subscription.findMany({
      where: { consumerId: moving.consumerId },
      orderBy: { createdAt: 'asc' },
    });
    expect(subscriptions.map((row) => [row.status, row.downgradedFromPlanId])).toEqual([
      ['canceled', null],
      ['active', null],
    ]);
  });
});
