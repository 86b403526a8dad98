import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseAnalyticsStore, createAnalyticsStore, migrateAnalytics } from '@tollgate/analytics';
import { type BillingProvider, createStripeBilling } from '@tollgate/billing-stripe';
import { startStripeTestServer, type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { createInProcessJobs } from '@tollgate/jobs';
import { createSmtpMailer } from '@tollgate/mail';
import { startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { toClickHouseDateTime, type UsageEventRow } from '@tollgate/metering-domain';
import { UsageQueries } from '@tollgate/metering-pipeline';
import { createLogger } from '@tollgate/observability';
import {
  ConsumerWebhooks,
  createConsumer,
  createPlan,
  defineWebhookDeliveryJob,
  type PlanDetailView,
  verifyTollgateSignature,
} from '@tollgate/plans-data';
import {
  type ConsumerCreateInput,
  consumerCreateSchema,
  parseInput,
  type PlanCreateInput,
  planCreateSchema,
} from '@tollgate/plans-domain';
import { type Jobs, type Mailer } from '@tollgate/ports';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import { type StripeSync } from '../stripe-sync/stripe-sync';

// What the billing worker's contract specs share: scratch stores (PostgreSQL, chDB), the Stripe
// test server, an SMTP server, a consumer's webhook endpoint, a recording logger, usage rows,
// plans and consumers, and polling. Each `start…`/`create…` helper returns something with close().

interface Closable {
  close(): Promise<void>;
}

/** Collects what a spec file starts; close() closes it all, the last started first. */
export function resourceStack(): {
  add<T extends Closable>(resource: Promise<T>): Promise<T>;
  close(): Promise<void>;
} {
  const started: Closable[] = [];
  return {
    async add(resource) {
      const ready = await resource;
      started.push(ready);
      return ready;
    },
    async close() {
      for (const resource of started.splice(0).reverse()) await resource.close();
    },
  };
}

const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function withAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${(error as Error).message}); run npm run services:up`,
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase extends Closable {
  prisma: PrismaClient;
}

/** A new, migrated PostgreSQL database for one spec file, dropped by close(). */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const database = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin(`CREATE DATABASE "${database}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const store: RelationalStore = await createRelationalStoreFromConfig({
    DATABASE_URL: url.toString(),
    TOLLGATE_DATA_DIR: '/nonexistent',
  });
  return {
    prisma: store.prisma,
    async close() {
      await store.close();
      await withAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    },
  };
}

export interface ScratchAnalytics extends Closable {
  analytics: ClickHouseAnalyticsStore;
  usage: UsageQueries;
}

/** A migrated chDB analytics store in a temporary directory, dropped and removed by close(). */
export async function createScratchAnalytics(prefix: string): Promise<ScratchAnalytics> {
  const directory = await mkdtemp(join(tmpdir(), `tollgate-${prefix.replaceAll('_', '-')}-`));
  const analytics = await createAnalyticsStore({
    database: `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`,
    dataDirectory: directory,
  });
  await migrateAnalytics(analytics);
  return {
    analytics,
    usage: new UsageQueries(analytics),
    async close() {
      await analytics.command(`DROP DATABASE IF EXISTS \`${analytics.database}\``);
      await analytics.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface StripeBilling extends Closable {
  server: StripeTestServer;
  /** The Stripe adapter, talking to `server` through the official SDK. */
  provider: BillingProvider;
}

/** The Stripe-compatible test server (on the given clock) and the Stripe adapter pointed at it. */
export async function startStripeBilling(options: {
  secretKey: string;
  now?: () => number;
  /** Retry 429s and 5xx after a few milliseconds instead of the adapter's default backoff. */
  fastRetries?: boolean;
}): Promise<StripeBilling> {
  const server = await startStripeTestServer(options.now ? { now: options.now } : {});
  const provider = createStripeBilling({
    secretKey: options.secretKey,
    apiBase: server.url,
    logger: createLogger({ app: 'stripe-test', level: 'silent' }),
    ...(options.fastRetries ? { retry: { initialDelayMs: 5, maxDelayMs: 20 } } : {}),
  });
  return { server, provider, close: () => server.close() };
}

export interface BillingHarness extends Closable {
  prisma: PrismaClient;
  analytics: ClickHouseAnalyticsStore;
  usage: UsageQueries;
  stripe: StripeTestServer;
  provider: BillingProvider;
}

/**
 * What usage billing runs against: a scratch PostgreSQL database and chDB store named after
 * `name`, and the Stripe test server on the given clock with an adapter that retries quickly.
 */
export async function startBillingHarness(options: {
  name: string;
  secretKey: string;
  now: () => number;
}): Promise<BillingHarness> {
  const resources = resourceStack();
  try {
    const { prisma } = await resources.add(createScratchDatabase(`tollgate_${options.name}`));
    const { analytics, usage } = await resources.add(createScratchAnalytics(options.name));
    const { server, provider } = await resources.add(
      startStripeBilling({ secretKey: options.secretKey, now: options.now, fastRetries: true }),
    );
    return { prisma, analytics, usage, stripe: server, provider, close: () => resources.close() };
  } catch (error) {
    await resources.close();
    throw error;
  }
}

export interface MailCatcher extends Closable {
  smtp: TestSmtpServer;
  /** Sends to `smtp`. */
  mailer: Mailer;
}

/** An SMTP server that keeps every message, and a mailer sending to it from `from`. */
export async function startMailCatcher(from: string): Promise<MailCatcher> {
  const smtp = await startTestSmtpServer();
  const mailer = createSmtpMailer({ url: smtp.url, from });
  return {
    smtp,
    mailer,
    async close() {
      await mailer.close();
      await smtp.close();
    },
  };
}

export interface WebhookJobs extends Closable {
  jobs: Jobs;
  webhooks: ConsumerWebhooks;
}

/** In-process jobs and the consumer webhooks on them (50 ms backoff, 2 s timeout), started. */
export async function startWebhookJobs(options: {
  prisma: PrismaClient;
  logger: BillingWorkerLogger;
  attempts: number;
  /** Register the delivery job, so queued webhooks are sent. */
  deliver: boolean;
}): Promise<WebhookJobs> {
  const jobs = createInProcessJobs({ logger: createLogger({ app: 'jobs', level: 'silent' }) });
  const webhooks = new ConsumerWebhooks({
    prisma: options.prisma,
    jobs,
    logger: options.logger,
    timeoutMs: 2_000,
    attempts: options.attempts,
    backoffMs: 50,
    // The receiver listens on 127.0.0.1.
    allowPrivateNetworks: true,
  });
  if (options.deliver) defineWebhookDeliveryJob(jobs, webhooks);
  await jobs.start();
  return { jobs, webhooks, close: () => jobs.close() };
}

export interface ReceivedWebhook {
  path: string;
  body: string;
  signature: string | undefined;
  /** The signature verified against the path's secret. */
  verified: boolean;
  eventType: string | undefined;
  deliveryId: string | undefined;
  /** What the receiver answered. */
  answered: number;
}

export interface WebhookReceiver extends Closable {
  /** Base URL; each consumer gets its own path below it. */
  url: string;
  received: ReceivedWebhook[];
  /** The secret a path's deliveries are verified with. */
  setSecret(path: string, secret: string): void;
  /** The next `count` deliveries to `path` are answered with HTTP 500. */
  failNext(path: string, count: number): void;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A consumer's webhook endpoint on 127.0.0.1: verifies each delivery as a consumer would. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const secrets = new Map<string, string>();
  const failures = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const path = request.url ?? '/';
      const signature = request.headers['tollgate-signature'] as string | undefined;
      const secret = secrets.get(path);
      const verified = secret !== undefined && verifyTollgateSignature(body, signature, secret).valid;
      const failing = failures.get(path) ?? 0;
      if (failing > 0) failures.set(path, failing - 1);
      const answered = !verified ? 400 : failing > 0 ? 500 : 200;
      received.push({
        path,
        body,
        signature,
        verified,
        eventType: request.headers['tollgate-event'] as string | undefined,
        deliveryId: request.headers['tollgate-delivery'] as string | undefined,
        answered,
      });
      response.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'no');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    setSecret: (path, secret) => secrets.set(path, secret),
    failNext: (path, count) => failures.set(path, count),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A billing worker logger that keeps every line in `lines`. */
export function recordingLogger(): BillingWorkerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  return { lines, info: record('info'), warn: record('warn'), error: record('error') };
}

/** A billing worker logger that drops every line. */
export const quietLogger: BillingWorkerLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let logOffset = 0;

/**
 * One gateway usage event of a consumer on a plan at `ts` (epoch ms): a counted `GET` answered
 * 200 with no business units, unless `overrides` say otherwise. Each row gets the next log offset.
 */
export function usageEventRow(
  consumerId: string,
  planId: string,
  ts: number,
  overrides: Partial<UsageEventRow> = {},
): UsageEventRow {
  logOffset += 1;
  return {
    id: randomUUID(),
    ts: toClickHouseDateTime(ts),
    consumer_id: consumerId,
    plan_id: planId,
    api_id: 'api_test',
    endpoint: 'GET /v1/orders/:id',
    method: 'GET',
    status: 200,
    request_bytes: 10,
    response_bytes: 20,
    latency_ms: 1,
    upstream_latency_ms: 1,
    cached: false,
    counted: true,
    usage: {},
    source: 'gateway',
    log_topic: 'billing-test',
    log_partition: 0,
    log_offset: String(logOffset),
    ...overrides,
  };
}

/** Inserts the rows into `usage_events` as one batch of its own (a fresh deduplication token). */
export async function insertUsageRows(
  analytics: ClickHouseAnalyticsStore,
  rows: UsageEventRow[],
): Promise<void> {
  await analytics.insert('usage_events', rows, { deduplicationToken: `billing-test:${randomUUID()}` });
}

/** A plan from the create body; the quota defaults to 100,000 requests a month. */
export function createTestPlan(
  prisma: PrismaClient,
  body: Partial<PlanCreateInput> & { name: string },
): Promise<PlanDetailView> {
  return createPlan(
    prisma,
    parseInput(planCreateSchema, { quota: { limit: 100_000, period: 'month' }, ...body }),
  );
}

/** A consumer from the create body (name, email, planId and anything else it allows). */
export function createTestConsumer(
  prisma: PrismaClient,
  body: Pick<ConsumerCreateInput, 'name' | 'email' | 'planId'> & Partial<ConsumerCreateInput>,
) {
  return createConsumer(prisma, parseInput(consumerCreateSchema, body));
}

/**
 * A consumer on the plan whose webhook URL is its own path on `receiver` (registered with its
 * secret), mailed at `<name>@example.com`; returns its ids, path, email and subscription.
 */
export async function consumerWithWebhook(
  prisma: PrismaClient,
  receiver: WebhookReceiver,
  planId: string,
  name: string,
  extra: Partial<ConsumerCreateInput> = {},
) {
  const path = `/${name}`;
  const consumer = await createTestConsumer(prisma, {
    name,
    email: `${name}@example.com`,
    planId,
    ...extra,
    webhookUrl: `${receiver.url}${path}`,
  });
  const row = await prisma.consumer.findUniqueOrThrow({
    where: { id: consumer.id },
    include: { subscriptions: true },
  });
  receiver.setSecret(path, row.webhookSecret as string);
  const subscription = row.subscriptions[0];
  if (!subscription) throw new Error(`consumer ${name} has no subscription`);
  return { consumerId: consumer.id, subscriptionId: subscription.id, subscription, path, email: row.email };
}

/**
 * A consumer on a paid plan, synced to Stripe: returns its ids, the Stripe subscription and
 * customer the sync created, and when its subscription began.
 */
export async function syncedSubscriber(
  prisma: PrismaClient,
  sync: StripeSync,
  body: { name: string; email: string; planId: string },
) {
  const consumer = await createTestConsumer(prisma, body);
  await sync.syncAll();
  const subscription = await prisma.subscription.findFirstOrThrow({ where: { consumerId: consumer.id } });
  return {
    consumerId: consumer.id,
    subscriptionId: subscription.id,
    stripeSubscriptionId: subscription.stripeSubscriptionId as string,
    customerId: subscription.stripeCustomerId as string,
    createdAt: subscription.createdAt.getTime(),
  };
}
