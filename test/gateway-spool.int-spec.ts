import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessLogEvent } from '@tollgate/access-log';
import { type DemoInfo } from '@tollgate/plans-data';
import { Kafka, logLevel } from 'kafkajs';
import { type AppProcess, eventually, freePort, repositoryRoot, startApp } from './support/app-process';
import { postgresUrl, redisUrl, withPostgres } from './support/services';

jest.setTimeout(240_000);

const kafkaLib = join(repositoryRoot, 'infra', 'kafka', 'lib');

/**
 * A Kafka broker of this test alone (KRaft, one JVM) on free ports, so stopping it does not disturb
 * the shared broker other suites use. It restarts on the same storage, as a real outage would.
 */
class TestBroker {
  private process: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly directory: string,
    readonly port: number,
  ) {}

  static async create(): Promise<TestBroker> {
    const directory = await mkdtemp(join(tmpdir(), 'tollgate-spool-kafka-'));
    const port = await freePort();
    const controllerPort = await freePort();
    const broker = new TestBroker(directory, port);
    await writeFile(
      broker.properties,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        `log.dirs=${join(directory, 'data')}`,
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'default.replication.factor=1',
        'min.insync.replicas=1',
        'auto.create.topics.enable=false',
        'group.initial.rebalance.delay.ms=0',
        'num.network.threads=1',
        'num.io.threads=2',
        'background.threads=2',
        '',
      ].join('\n'),
    );
    // A cluster id is 16 bytes in base64url (22 characters). One starting with "-" would be read
    // by the storage tool as an option, so the first character is kept alphanumeric.
    let clusterId = randomBytes(16).toString('base64url');
    while (!/^[A-Za-z0-9]/.test(clusterId)) clusterId = randomBytes(16).toString('base64url');
    await broker.java([
      '-Xmx128m',
      'kafka.tools.StorageTool',
      'format',
      '--config',
      broker.properties,
      '--cluster-id',
      clusterId,
    ]);
    return broker;
  }

  get properties(): string {
    return join(this.directory, 'server.properties');
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the JVM and resolves once the broker answers metadata requests. */
  async start(): Promise<void> {
    const child = spawn(
      'java',
      [
        '-Xmx384m',
        '-Xms128m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${join(repositoryRoot, 'infra', 'kafka', 'log4j.properties')}`,
        `-Dkafka.logs.dir=${this.directory}`,
        '-cp',
        `${kafkaLib}/*`,
        'kafka.Kafka',
        this.properties,
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const admin = new Kafka({
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`the test broker exited with ${child.exitCode}`);
        await admin.connect();
        await admin.listTopics();
        await admin.disconnect();
        return true;
      },
      (ready) => ready,
      90_000,
      `test Kafka broker on ${this.brokers}`,
    );
  }

  /** SIGTERM (a controlled shutdown), then SIGKILL if it takes more than `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.process;
    if (child === null || child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop(5_000);
    await rm(this.directory, { recursive: true, force: true });
  }

  private java(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('java', ['-cp', `${kafkaLib}/*`, `-Dkafka.logs.dir=${this.directory}`, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let errors = '';
      child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`java ${args[1]} exited with ${code}: ${errors}`)),
      );
    });
  }
}

describe('gateway access-log spool (a Kafka outage under load)', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `tollgate_it_spool_${suffix}`;
  const topic = `tollgate.access-log.spool-${suffix}`;
  const adminToken = `tg_admin_it_${randomBytes(16).toString('hex')}`;
  const gatewayToken = `tg_gateway_it_${randomBytes(16).toString('hex')}`;
  const directories: string[] = [];
  const processes: AppProcess[] = [];
  let broker: TestBroker | undefined;
  let loading = false;
  let load: Promise<void> = Promise.resolve();

  const directory = async (name: string) => {
    const path = await mkdtemp(join(tmpdir(), `tollgate-${name}-`));
    directories.push(path);
    return path;
  };

  beforeAll(async () => {
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
  });

  afterAll(async () => {
    loading = false;
    await load;
    await Promise.all(processes.map((app) => app.stop('SIGKILL')));
    await broker?.dispose();
    await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  });

  it('delivers the event of every request exactly once across a 30 s broker outage', async () => {
    const plansDirectory = await directory('spool-plans');
    const ports = { plans: await freePort(), gateway: await freePort(), gatewayOps: await freePort() };
    const plans = startApp('apps/plans/src/main.ts', {
      DATABASE_URL: (() => {
        const url = new URL(postgresUrl);
        url.pathname = `/${database}`;
        return url.toString();
      })(),
      TOLLGATE_DATA_DIR: plansDirectory,
      PORT: String(ports.plans),
      DEMO_ECHO_PORT: '0',
      ADMIN_TOKEN: adminToken,
      GATEWAY_TOKEN: gatewayToken,
    });
    processes.push(plans);
    const [testBroker] = await Promise.all([
      TestBroker.create().then(async (created) => {
        broker = created;
        await created.start();
        return created;
      }),
      eventually(
        async () => (await fetch(`http://127.0.0.1:${ports.plans}/readyz`)).status,
        (status) => status === 200,
        120_000,
        'plans ready',
      ),
    ]);
    const demo = JSON.parse(await readFile(join(plansDirectory, 'demo.json'), 'utf8')) as DemoInfo;

    const gatewayDirectory = await directory('spool-gateway');
    const gateway = startApp('apps/gateway/src/main.ts', {
      KAFKA_BROKERS: testBroker.brokers,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `tg-it-spool-${suffix}:`,
      ACCESS_LOG_TOPIC: topic,
      ACCESS_LOG_PARTITIONS: '3',
      // A small buffer, so the outage moves events through the disk spool.
      ACCESS_LOG_BUFFER_EVENTS: '20',
      TOLLGATE_DATA_DIR: gatewayDirectory,
      PLANS_URL: `http://127.0.0.1:${ports.plans}`,
      GATEWAY_TOKEN: gatewayToken,
      GATEWAY_PORT: String(ports.gateway),
      GATEWAY_OPS_PORT: String(ports.gatewayOps),
      SNAPSHOT_POLL_MS: '500',
      LOG_LEVEL: 'warn',
    });
    processes.push(gateway);
    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${ports.gatewayOps}/readyz`)).status,
      (status) => status === 200,
      60_000,
      'gateway ready',
    );

    // Load: one client at a time, ~40 requests/s (the demo plan admits 5/s, the rest are 429s).
    const responses: Array<{ status: number; id: string }> = [];
    loading = true;
    load = (async () => {
      while (loading) {
        try {
          const response = await fetch(`${gatewayUrl}${demo.demoPath}`, {
            headers: { 'x-api-key': demo.demoKey },
          });
          await response.arrayBuffer();
          responses.push({ status: response.status, id: response.headers.get('x-request-id') ?? '' });
        } catch {
          // No answer, so no outcome to compare: it counts as neither admitted nor refused.
          responses.push({ status: 0, id: '' });
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const metrics = async () => (await fetch(`http://127.0.0.1:${ports.gatewayOps}/metrics`)).text();
    const gauge = (text: string, name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await testBroker.stop();
    const stoppedAt = Date.now();
    // The events of the outage end up in the spool on disk (the buffer holds only 20).
    const during = await eventually(
      metrics,
      (text) => gauge(text, 'tollgate_gateway_access_log_spool_events') > 0,
      30_000,
      'events spooled during the outage',
    );
    expect(gauge(during, 'tollgate_gateway_access_log_spool_bytes')).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - stoppedAt))));
    const beforeRestart = await metrics();
    expect(gauge(beforeRestart, 'tollgate_gateway_access_log_spool_oldest_age_seconds')).toBeGreaterThan(10);
    await testBroker.start();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    loading = false;
    await load;
    expect(gateway.child.exitCode).toBeNull();

    // Everything drains: the spool and the buffer are empty once the broker has it all.
    const drained = await eventually(
      metrics,
      (text) =>
        gauge(text, 'tollgate_gateway_access_log_spool_events') === 0 &&
        gauge(text, 'tollgate_gateway_access_log_pending') === 0,
      60_000,
      'spool replayed',
    );
    expect(gauge(drained, 'tollgate_gateway_access_log_spool_dropped_total')).toBe(0);

    // Read the topic from the beginning, up to its end.
    const kafka = new Kafka({ brokers: [testBroker.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = ends.reduce((sum, partition) => sum + Number(partition.high), 0);
    const events: AccessLogEvent[] = [];
    const consumer = kafka.consumer({ groupId: `tollgate-spool-it-${suffix}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        events.push(JSON.parse(message.value?.toString() ?? 'null') as AccessLogEvent);
      },
    });
    await eventually(
      async () => events.length,
      (count) => count >= total,
      60_000,
      'the topic read to its end',
    );
    await consumer.disconnect();

    const admitted = responses.filter((response) => response.status === 200);
    const known = responses.filter((response) => response.status === 200 || response.status === 429);
    expect(admitted.length).toBeGreaterThan(50);
    expect(known.every((response) => response.id !== '')).toBe(true);
    expect(responses.filter((response) => response.status === 0)).toEqual([]);
    const eventIds = events.map((event) => event.id);
    // No event twice, every event belongs to a response, every admitted request has its event.
    expect(new Set(eventIds).size).toBe(eventIds.length);
    const responseIds = new Set(known.map((response) => response.id));
    expect(eventIds.filter((id) => !responseIds.has(id))).toEqual([]);
    const eventIdSet = new Set(eventIds);
    expect(
      admitted.filter((response) => !eventIdSet.has(response.id)).map((response) => response.id),
    ).toEqual([]);
    expect(events.filter((event) => event.status === 200)).toHaveLength(admitted.length);
  });
});
