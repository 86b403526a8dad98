import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type JobHandler, type Jobs } from '@tollgate/ports';
import {
  createRelationalStoreFromConfig,
  type PrismaClient,
  type RelationalStore,
} from '@tollgate/relational';
import { Client } from 'pg';
import { Agent, fetch } from 'undici';
import {
  ConsumerWebhooks,
  consumerWebhookDeliveries,
  defineWebhookDeliveryJob,
  privateWebhookAddressError,
  type WebhooksLogger,
} from './consumer-webhooks';
import { pinnedLookup } from './webhook-address';

// Consumer webhooks against the real PostgreSQL and a real HTTP receiver on 127.0.0.1: a private
// address, so it is refused unless private networks are allowed.
const adminUrl = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function withAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const silent: WebhooksLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('consumer webhooks and private addresses (PostgreSQL, HTTP)', () => {
  const database = `tollgate_webhooks_${randomBytes(6).toString('hex')}`;
  let store: RelationalStore;
  let prisma: PrismaClient;
  let receiver: Server;
  let port = 0;
  let connections = 0;
  let requests = 0;

  beforeAll(async () => {
    await withAdmin(`CREATE DATABASE "${database}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    store = await createRelationalStoreFromConfig({
      DATABASE_URL: url.toString(),
      TOLLGATE_DATA_DIR: '/nonexistent',
    });
    prisma = store.prisma;
    receiver = createServer((request, response) => {
      requests += 1;
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    receiver.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await store?.close();
    await withAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }, 60_000);

  beforeEach(() => {
    connections = 0;
    requests = 0;
  });

  async function consumerWithUrl(webhookUrl: string): Promise<string> {
    const id = `cons_${randomBytes(6).toString('hex')}`;
    await prisma.consumer.create({
      data: { id, name: id, email: `${id}@example.com`, webhookUrl, webhookSecret: 'whsec_contract' },
    });
    return id;
  }

  const webhooks = (allowPrivateNetworks?: boolean) =>
    new ConsumerWebhooks({ prisma, logger: silent, timeoutMs: 2_000, attempts: 1, allowPrivateNetworks });

  it.each([
    ['an IPv4 loopback literal', () => `http://127.0.0.1:${port}/hook?token=secret`],
    ['an IPv6 loopback literal', () => `http://[::1]:${port}/hook`],
    ['an IPv4-mapped IPv6 literal', () => `http://[::ffff:127.0.0.1]:${port}/hook`],
    ['a name that resolves to loopback', () => `http://localhost:${port}/hook`],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses %s without connecting, and records why', async (_label, url) => {
    const consumerId = await consumerWithUrl(url());
    const delivery = await webhooks().sendTest(consumerId);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 1,
      responseStatus: null,
      error: privateWebhookAddressError,
    });
    expect(connections).toBe(0);
    expect(requests).toBe(0);
  });

  it('refuses a name that resolves to a private address, whatever other addresses it has', async () => {
    const consumerId = await consumerWithUrl(`http://hooks.example.test:${port}/hook`);
    const resolving = new ConsumerWebhooks({
      prisma,
      logger: silent,
      timeoutMs: 2_000,
      attempts: 1,
      resolveHost: () =>
        Promise.resolve([
          { address: '93.184.216.34', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ]),
    });
    expect(await resolving.sendTest(consumerId)).toMatchObject({ error: privateWebhookAddressError });
    expect(connections).toBe(0);
  });

  it('connects to the vetted address, not to what the name resolves to now', async () => {
    // `.invalid` never resolves: the request can only reach the receiver through the pinned address.
    const agent = new Agent({ connect: { lookup: pinnedLookup([{ address: '127.0.0.1', family: 4 }]) } });
    try {
      const response = await fetch(`http://pinned.invalid:${port}/hook`, {
        method: 'POST',
        body: '{}',
        dispatcher: agent,
      });
      expect(response.status).toBe(204);
      expect(requests).toBe(1);
    } finally {
      await agent.destroy();
    }
  });

  it('delivers to a private address when private networks are allowed', async () => {
    const consumerId = await consumerWithUrl(`http://127.0.0.1:${port}/hook`);
    const delivery = await webhooks(true).sendTest(consumerId);
    expect(delivery).toMatchObject({ status: 'delivered', responseStatus: 204, error: null });
    expect(requests).toBe(1);
  });

  it('lists deliveries newest first, and answers not found for an unknown consumer', async () => {
    const consumerId = await consumerWithUrl(`http://127.0.0.1:${port}/hook`);
    const first = await webhooks(true).sendTest(consumerId);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await webhooks().sendTest(consumerId);
    const listed = await consumerWebhookDeliveries(prisma, consumerId, 10);
    expect(listed.map((delivery) => delivery.id)).toEqual([second.id, first.id]);
    expect(listed[0]).toMatchObject({ consumerId, status: 'failed', error: privateWebhookAddressError });
    await expect(consumerWebhookDeliveries(prisma, 'cons_missing')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('names a failed delivery job by id and status only, never by its URL', async () => {
    const consumerId = await consumerWithUrl(`http://127.0.0.1:${port}/hook?token=s3cr3t`);
    let handler: JobHandler<{ deliveryId: string }> | undefined;
    const queued: Array<{ deliveryId: string }> = [];
    const jobs = {
      define: (_name: string, registered: JobHandler<{ deliveryId: string }>) => {
        handler = registered;
      },
      enqueue: (_name: string, data: { deliveryId: string }) => {
        queued.push(data);
        return Promise.resolve(data.deliveryId);
      },
    } as unknown as Jobs; // Only define and enqueue are used here.
    const queuing = new ConsumerWebhooks({ prisma, jobs, logger: silent, timeoutMs: 2_000, attempts: 1 });
    defineWebhookDeliveryJob(jobs, queuing);
    const id = await queuing.queue({ consumerId, eventType: 'quota.threshold', payload: {} });
    expect(queued).toEqual([{ deliveryId: id }]);
    const failure = await handler?.({ deliveryId: id ?? '' }, { jobId: id ?? '', attempt: 1 }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toBe(`Webhook delivery ${id} not delivered (status failed)`);
    expect(failure?.message).not.toContain('s3cr3t');
    expect(connections).toBe(0);
  });
});
