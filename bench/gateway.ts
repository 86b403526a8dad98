import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import {
  type BenchProcess,
  childPids,
  cpuMicros,
  repositoryRoot,
  startProcess,
  startTypeScript,
  stopAll,
} from './bench-processes';
import { type SelfTimeEntry, summariseCpuProfile } from './cpu-profile-summary';
import {
  type LoadRequest,
  type LoadResult,
  openLoop,
  type OpenLoopResult,
  undiciClosedLoop,
  wrkClosedLoop,
} from './load-generators';
import { nginxConfig } from './nginx-config';

/**
 * `npm run bench:gateway -- --duration S --out FILE`: the echo upstream called directly, a bare Node
 * proxy, Tollgate with full policy (standalone gateway on Redis + Kafka, snapshot from a plans process on
 * a fresh Postgres database) and nginx, side by side in one run. Each target is its own process; the load
 * generator is wrk (or this process). See docs/benchmarks.md.
 */
const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    out: { type: 'string' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '1000' },
  },
});
const durationSeconds = Number(options.duration);
const connections = Number(options.connections);
const openLoopRate = Number(options.rate);
const warmUpSeconds = 2;
const postgresUrl = 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = 'redis://127.0.0.1:6379';
const kafkaBroker = '127.0.0.1:9092';

interface Target {
  name: string;
  description: string;
  request: LoadRequest;
  /** The process(es) doing the work being compared (the proxy; for `direct`, the upstream). */
  pids: () => number[];
  /** Other processes whose CPU the scenario also costs (the upstream behind a proxy, Redis). */
  extraPids: () => Record<string, number>;
}

interface ScenarioResult {
  name: string;
  description: string;
  closedLoop: LoadResult & { connections: number; cpuMicrosPerRequest: Record<string, number> };
  openLoop: OpenLoopResult & { cpuMicrosPerRequest: Record<string, number> };
}

function onPath(command: string): boolean {
  const directories = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return directories.some((directory) => directory && existsSync(join(directory, command)));
}

function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  return onPath('nginx') ? 'nginx' : null;
}

async function withPostgres<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The Redis server's pid (INFO server), so its CPU can be charged to the Tollgate scenario; 0 if unknown. */
async function redisServerPid(): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    return Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? 0);
  } finally {
    redis.disconnect();
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`gave up waiting for ${what}: the process exited`);
    try {
      if (await probe()) return;
    } catch {
      // Not up yet.
    }
    await new Promise((wait) => setTimeout(wait, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function urlFrom(handle: BenchProcess): Promise<string> {
  const line = await handle.waitFor(/^\{"url":/, 60_000);
  return (JSON.parse(line) as { url: string }).url;
}

function cpuOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
}

/** Runs `load` and charges the CPU the target processes spent meanwhile to each completed request. */
async function measured<T extends LoadResult>(
  target: Target,
  load: () => Promise<T>,
): Promise<T & { cpuMicrosPerRequest: Record<string, number> }> {
  const pids = target.pids();
  const extra = target.extraPids();
  const before = {
    target: cpuOf(pids),
    ...Object.fromEntries(Object.entries(extra).map(([k, pid]) => [k, cpuMicros(pid)])),
  };
  const result = await load();
  const after = {
    target: cpuOf(pids),
    ...Object.fromEntries(Object.entries(extra).map(([k, pid]) => [k, cpuMicros(pid)])),
  };
  const perRequest = Object.fromEntries(
    Object.keys(before).map((key) => [
      key,
      Number(
        (
          ((after as Record<string, number>)[key] - (before as Record<string, number>)[key]) /
          Math.max(result.requests, 1)
        ).toFixed(1),
      ),
    ]),
  );
  return { ...result, cpuMicrosPerRequest: perRequest };
}

function closedLoop(useWrk: boolean, request: LoadRequest, seconds: number): Promise<LoadResult> {
  return useWrk
    ? wrkClosedLoop(request, seconds, connections)
    : undiciClosedLoop(request, seconds, connections);
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | null {
  if (numerator === undefined || denominator === undefined || denominator === 0) return null;
  return Number((numerator / denominator).toFixed(3));
}

function markdown(result: {
  date: string;
  machine: { cpus: number; model: string | undefined; node: string };
  settings: Record<string, unknown>;
  notes: string[];
  scenarios: ScenarioResult[];
  ratios: Record<string, number | null>;
  addedLatencyMs: { p50: number | null; p99: number | null };
  profile: { samples: number; entries: SelfTimeEntry[] } | null;
}): string {
  const lines = [
    `# Gateway benchmark (${result.date})`,
    '',
    `${result.machine.cpus} CPUs (${result.machine.model ?? 'unknown'}), Node ${result.machine.node}; load generator and targets share the machine. ` +
      `Closed loop: ${connections} connections, ${durationSeconds} s; open loop: ${openLoopRate} requests/s, ${durationSeconds} s, latency from the scheduled send time.`,
    '',
    '| scenario | max req/s | closed p50 / p99 ms | open-loop p50 / p99 ms | CPU µs/req (proxy) | CPU µs/req (upstream) | CPU µs/req (Redis) | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.scenarios.map((scenario) => {
      const cpu = scenario.closedLoop.cpuMicrosPerRequest;
      return `| ${scenario.name} | ${scenario.closedLoop.requestsPerSecond} | ${scenario.closedLoop.p50Ms} / ${scenario.closedLoop.p99Ms} | ${scenario.openLoop.p50Ms} / ${scenario.openLoop.p99Ms} | ${scenario.name === 'direct' ? '–' : cpu['target']} | ${scenario.name === 'direct' ? cpu['target'] : (cpu['upstream'] ?? '–')} | ${cpu['redis'] ?? '–'} | ${scenario.closedLoop.errors + scenario.openLoop.errors} |`;
    }),
    '',
    `Tollgate / bare proxy (max req/s): **${result.ratios['tollgateVsBareProxy'] ?? 'n/a'}**; Tollgate / nginx: **${result.ratios['tollgateVsNginx'] ?? 'n/a'}**. ` +
      `Added latency at ${openLoopRate} req/s (Tollgate − direct): p50 **${result.addedLatencyMs.p50 ?? 'n/a'} ms**, p99 **${result.addedLatencyMs.p99 ?? 'n/a'} ms**.`,
    '',
    ...result.notes.map((note) => `- ${note}`),
  ];
  if (result.profile) {
    lines.push(
      '',
      `## Gateway CPU profile under closed-loop load (top self time, ${result.profile.samples} samples)`,
      '',
      '| self % | function | location | called from (share of this row) |',
      '| ---: | --- | --- | --- |',
      ...result.profile.entries.map(
        (entry) =>
          `| ${entry.selfPercent} | \`${entry.function}\` | ${entry.location} | ${(entry.calledFrom ?? [])
            .map((caller) => `${caller.caller} (${caller.percent} %)`)
            .join('; ')} |`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (!(durationSeconds > 0) || !(connections > 0) || !(openLoopRate > 0)) {
    throw new Error('--duration, --connections and --rate must be positive numbers');
  }
  const date = new Date().toISOString();
  const out = resolve(
    options.out ?? join(repositoryRoot, 'bench', 'results', `gateway-${date.replace(/[:.]/g, '-')}.json`),
  );
  const suffix = randomBytes(4).toString('hex');
  const database = `tollgate_bench_${suffix}`;
  const keyPrefix = `tg-bench-${suffix}:`;
  const topic = `tollgate.access-log.bench-${suffix}`;
  const adminToken = `tg_admin_bench_${randomBytes(16).toString('hex')}`;
  const gatewayToken = `tg_gateway_bench_${randomBytes(16).toString('hex')}`;
  const directories: string[] = [];
  const directory = async (name: string) => {
    const path = await mkdtemp(join(tmpdir(), `tollgate-bench-${name}-`));
    directories.push(path);
    return path;
  };
  const useWrk = onPath('wrk');
  const nginx = nginxBinary();
  const notes: string[] = [];
  if (!useWrk)
    notes.push(
      'wrk is not installed: the closed loop ran in the orchestrating Node process (undici), which is slower than wrk and caps the figures lower.',
    );
  if (!nginx)
    notes.push('nginx is not installed: the nginx scenario was skipped (apt-get install -y nginx wrk).');
  let databaseCreated = false;
  interruptCleanUp = async () => {
    await cleanUp({ database: databaseCreated ? database : null, keyPrefix, topic });
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  };

  try {
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
    databaseCreated = true;

    const echo = startTypeScript('echo upstream', 'bench/echo-target.ts', []);
    const echoUrl = await urlFrom(echo);
    const bare = startTypeScript('bare proxy', 'bench/bare-proxy-target.ts', [echoUrl]);
    const bareUrl = await urlFrom(bare);

    const plansPort = await freePort();
    const shared = {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      GATEWAY_TOKEN: gatewayToken,
      LOG_LEVEL: 'warn',
    };
    const databaseUrl = new URL(postgresUrl);
    databaseUrl.pathname = `/${database}`;
    const plans = startTypeScript('plans', 'apps/plans/src/main.ts', [], {
      ...shared,
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl.toString(),
      TOLLGATE_DATA_DIR: await directory('plans'),
      PORT: String(plansPort),
      GATEWAY_PORT: String(await freePort()),
      DEMO_ECHO_PORT: '0',
      ADMIN_TOKEN: adminToken,
    });
    await plans.waitFor(/plans is listening/, 240_000);
    const apiUrl = `http://127.0.0.1:${plansPort}`;
    const admin = async <T>(method: string, path: string, body: unknown): Promise<T> => {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return JSON.parse(text) as T;
    };
    // Every limit is enforced (and so checked in Redis) but set so high that nothing is refused.
    await admin('POST', '/api/admin/apis', {
      name: 'Bench echo',
      pathPrefix: '/bench',
      upstreamUrl: echoUrl,
    });
    const plan = await admin<{ id: string }>('POST', '/api/admin/plans', {
      name: 'Bench unlimited',
      quota: { limit: 2_000_000_000, period: 'month' },
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      concurrency: 100_000,
    });
    const consumer = await admin<{ id: string }>('POST', '/api/admin/consumers', {
      name: 'Bench consumer',
      email: `bench-${suffix}@example.com`,
      planId: plan.id,
    });
    const { key } = await admin<{ key: string }>('POST', `/api/admin/consumers/${consumer.id}/keys`, {});

    const startGateway = async (name: string, nodeArguments: string[]) => {
      const port = await freePort();
      const opsPort = await freePort();
      const handle = startTypeScript(
        name,
        'apps/gateway/src/main.ts',
        [],
        {
          ...shared,
          PLANS_URL: apiUrl,
          GATEWAY_PORT: String(port),
          GATEWAY_OPS_PORT: String(opsPort),
          SNAPSHOT_POLL_MS: '5000',
          KAFKA_BROKERS: kafkaBroker,
          ACCESS_LOG_TOPIC: topic,
          ACCESS_LOG_PARTITIONS: '1',
          TOLLGATE_DATA_DIR: await directory(name.replace(/\W+/g, '-')),
        },
        nodeArguments,
      );
      const url = `http://127.0.0.1:${port}`;
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status === 200,
        180_000,
        `${name} ready`,
        () => handle.child.exitCode === null && handle.child.signalCode === null,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; its output:\n${handle.output().slice(-3000)}`);
      });
      await eventually(
        async () => (await fetch(`${url}/bench/hello`, { headers: { 'x-api-key': key } })).status === 200,
        30_000,
        `${name} admitting the bench key`,
      );
      return { handle, url };
    };
    const gateway = await startGateway('gateway', []);

    const redisPid = await redisServerPid();
    const echoPid = echo.child.pid as number;
    const targets: Target[] = [
      {
        name: 'direct',
        description: 'the demo echo upstream called directly',
        request: { origin: echoUrl, path: '/hello', headers: {} },
        pids: () => [echoPid],
        extraPids: () => ({}),
      },
      {
        name: 'bare-proxy',
        description: 'node:http + undici Pool (gateway pool settings), no policy',
        request: { origin: bareUrl, path: '/hello', headers: {} },
        pids: () => [bare.child.pid as number],
        extraPids: () => ({ upstream: echoPid }),
      },
      {
        name: 'tollgate',
        description:
          'standalone gateway: key auth, quota + rate + concurrency in Redis, access-log events to Kafka',
        request: { origin: gateway.url, path: '/bench/hello', headers: { 'x-api-key': key } },
        pids: () => [gateway.handle.child.pid as number],
        extraPids: () => ({ upstream: echoPid, ...(redisPid > 0 ? { redis: redisPid } : {}) }),
      },
    ];
    if (nginx) {
      const nginxDirectory = await directory('nginx');
      const nginxPort = await freePort();
      writeFileSync(
        join(nginxDirectory, 'nginx.conf'),
        nginxConfig(nginxDirectory, nginxPort, Number(new URL(echoUrl).port)),
      );
      const server = startProcess('nginx', nginx, [
        '-p',
        nginxDirectory,
        '-e',
        join(nginxDirectory, 'error.log'),
        '-c',
        join(nginxDirectory, 'nginx.conf'),
        '-g',
        'daemon off;',
      ]);
      const nginxUrl = `http://127.0.0.1:${nginxPort}`;
      await eventually(
        async () => (await fetch(`${nginxUrl}/hello`)).status === 200,
        15_000,
        'nginx answering',
      );
      const masterPid = server.child.pid as number;
      targets.push({
        name: 'nginx',
        description: 'nginx, 1 worker, keep-alive upstream',
        request: { origin: nginxUrl, path: '/hello', headers: {} },
        pids: () => [masterPid, ...childPids(masterPid)],
        extraPids: () => ({ upstream: echoPid }),
      });
    }

    const scenarios: ScenarioResult[] = [];
    for (const target of targets) {
      process.stdout.write(`${target.name}: closed loop…\n`);
      await closedLoop(useWrk, target.request, warmUpSeconds); // JIT and connection warm-up, not counted
      const closed = await measured(target, () => closedLoop(useWrk, target.request, durationSeconds));
      process.stdout.write(
        `${target.name}: ${closed.requestsPerSecond} req/s (${closed.errors} errors); open loop at ${openLoopRate}/s…\n`,
      );
      await openLoop(target.request, 1, openLoopRate); // opens the generator's connections, not counted
      const open = await measured(target, () => openLoop(target.request, durationSeconds, openLoopRate));
      process.stdout.write(`${target.name}: open loop p50 ${open.p50Ms} ms, p99 ${open.p99Ms} ms\n`);
      scenarios.push({
        name: target.name,
        description: target.description,
        closedLoop: { ...closed, connections },
        openLoop: open,
      });
    }
    const gatewayOutput = gateway.handle.output().trim().split('\n');
    const gatewayLog = {
      bytes: gateway.handle.outputBytes(),
      lastLine: gatewayOutput[gatewayOutput.length - 1]?.slice(0, 500) ?? '',
    };
    await gateway.handle.stop();

    // A second gateway with the V8 profiler on, loaded the same way; only samples taken under load count.
    const profileDirectory = await directory('profile');
    // --cpu-prof is not allowed in NODE_OPTIONS, so it goes on the command line.
    const profiled = await startGateway('profiled gateway', [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDirectory}`,
    ]);
    const profileRequest = { ...targets[2].request, origin: profiled.url };
    await closedLoop(useWrk, profileRequest, warmUpSeconds);
    const from = Number(process.hrtime.bigint() / 1000n);
    await closedLoop(useWrk, profileRequest, Math.min(durationSeconds, 5));
    const to = Number(process.hrtime.bigint() / 1000n);
    await profiled.handle.stop();
    const profileFile = readdirSync(profileDirectory).find((name) => name.endsWith('.cpuprofile'));
    const profile = profileFile
      ? summariseCpuProfile(join(profileDirectory, profileFile), from, to, 15, repositoryRoot)
      : null;
    if (!profile) notes.push('The profiled gateway wrote no .cpuprofile (it did not exit cleanly).');

    const byName = new Map(scenarios.map((scenario) => [scenario.name, scenario]));
    const tollgate = byName.get('tollgate');
    const direct = byName.get('direct');
    const added = (field: 'p50Ms' | 'p99Ms') =>
      tollgate && direct ? Number((tollgate.openLoop[field] - direct.openLoop[field]).toFixed(3)) : null;
    notes.push(
      'CPU µs/req: utime+stime from /proc/<pid>/stat (10 ms ticks) over the measured run divided by completed requests; "proxy" is the proxy process (nginx: master + worker), "upstream" the echo process.',
    );
    const result = {
      date,
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      settings: {
        durationSeconds,
        warmUpSeconds,
        connections,
        openLoopRate,
        closedLoopGenerator: useWrk ? 'wrk -t1' : 'undici in the orchestrator',
        nginx: nginx !== null,
      },
      notes,
      scenarios,
      ratios: {
        tollgateVsBareProxy: ratio(
          tollgate?.closedLoop.requestsPerSecond,
          byName.get('bare-proxy')?.closedLoop.requestsPerSecond,
        ),
        tollgateVsNginx: ratio(
          tollgate?.closedLoop.requestsPerSecond,
          byName.get('nginx')?.closedLoop.requestsPerSecond,
        ),
      },
      addedLatencyMs: { p50: added('p50Ms'), p99: added('p99Ms') },
      /** What the gateway wrote to stdout/stderr (LOG_LEVEL=warn) over the whole run. */
      gatewayLog,
      profile,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const table = markdown(result);
    mkdirSync(join(repositoryRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repositoryRoot, 'bench', 'results', 'gateway-latest.md'), table);
    process.stdout.write(`\n${table}\nJSON: ${out}\n`);
  } finally {
    await stopAll();
    await cleanUp({ database: databaseCreated ? database : null, keyPrefix, topic });
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  }
}

/** Drops what the run created in the shared services; a failure here is reported, not fatal. */
async function cleanUp(created: {
  database: string | null;
  keyPrefix: string;
  topic: string;
}): Promise<void> {
  const attempts: Array<[string, () => Promise<unknown>]> = [
    [
      'postgres database',
      async () => {
        if (created.database)
          await withPostgres((client) =>
            client.query(`DROP DATABASE IF EXISTS ${created.database} WITH (FORCE)`),
          );
      },
    ],
    [
      'redis keys',
      async () => {
        const redis = new Redis(redisUrl);
        try {
          const keys = await redis.keys(`${created.keyPrefix}*`);
          if (keys.length > 0) await redis.del(...keys);
        } finally {
          redis.disconnect();
        }
      },
    ],
    [
      'kafka topic',
      async () => {
        const admin = new Kafka({ brokers: [kafkaBroker], logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        try {
          if ((await admin.listTopics()).includes(created.topic))
            await admin.deleteTopics({ topics: [created.topic] });
        } finally {
          await admin.disconnect();
        }
      },
    ],
  ];
  for (const [what, attempt] of attempts) {
    try {
      await attempt();
    } catch (error) {
      process.stderr.write(`clean-up of the ${what} failed: ${String(error)}\n`);
    }
  }
}

/** What an interrupted run must still remove from the shared services. */
let interruptCleanUp: () => Promise<void> = async () => undefined;

const interrupt = () => {
  void stopAll()
    .then(() => interruptCleanUp())
    .finally(() => process.exit(130));
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
