import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { verifyTollgateSignature } from '@tollgate/plans-data';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
import { type BillingWorkerLogger } from '../billing-worker-logger';

// Shared by the alerts and dunning contract specs: a scratch PostgreSQL database, a consumer's
// webhook endpoint that verifies signatures, and a logger that keeps what it is told.

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

export interface ScratchDatabase {
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** A new, migrated database for one spec file, dropped by close(). */
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

export interface WebhookReceiver {
  /** Base URL; each consumer gets its own path below it. */
  url: string;
  received: ReceivedWebhook[];
  /** The secret a path's deliveries are verified with. */
  setSecret(path: string, secret: string): void;
  /** The next `count` deliveries to `path` are answered with HTTP 500. */
  failNext(path: string, count: number): void;
  close(): Promise<void>;
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

export function recordingLogger(): BillingWorkerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  return { lines, info: record('info'), warn: record('warn'), error: record('error') };
}

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
