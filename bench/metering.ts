import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAnalyticsStore } from '@tollgate/analytics';
import { uuidv7 } from '@tollgate/ids';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type BenchProcess, cpuMicros, repositoryRoot, startTypeScript, stopAll } from './bench-processes';
import { type SelfTimeEntry, summariseCpuProfile } from './cpu-profile-summary';

/**
 * `npm run bench:metering -- --events N --out FILE`: the metering app (its own process, Kafka →
 * chDB) in two phases.
 *
 * 1. Throughput: N events are produced first, then metering starts and drains them; events/s from
 *    its partition assignment to the last row inserted, and events per CPU second of its process.
 * 2. Lag: events produced at a steady rate (`--rate`, `--lag-seconds`); per event, the time from
 *    its production (`ts`) to its insert (`ingested_at`, stamped by ClickHouse), p50/p99.
 *
 * Then the app stops, chDB is opened on its data directory and every figure is checked against
 * what is stored (count = distinct ids = events produced). `--profile` runs the app with
 * `--cpu-prof` and summarises the profile over the throughput phase. See docs/metering.md.
 */
const { values: options } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    out: { type: 'string' },
    rate: { type: 'string', default: '20000' },
    'lag-seconds': { type: 'string', default: '10' },
    partitions: { type: 'string', default: '6' },
    'batch-rows': { type: 'string', default: '50000' },
    'flush-ms': { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
    app: { type: 'string', default: 'apps/metering/src/main.ts' },
  },
});
const events = Number(options.events);
const lagRate = Number(options.rate);
const lagSeconds = Number(options['lag-seconds']);
const partitions = Number(options.partitions);
const batchRows = Number(options['batch-rows']);
const flushMs = Number(options['flush-ms']);
const kafkaBroker = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const consumers = Array.from({ length: 50 }, (_, index) => `cons_bench_${index}`);

function eventJson(index: number, ts: number): { key: string; value: string } {
  const consumerId = consumers[index % consumers.length];
  return {
    key: consumerId,
    value: JSON.stringify({
      id: uuidv7(ts),
      ts,
      consumerId,
      planId: 'plan_bench',
      apiId: 'api_bench',
      endpoint: index % 3 === 0 ? 'POST /v1/messages' : 'GET /v1/orders/:id',
      method: index % 3 === 0 ? 'POST' : 'GET',
      status: index % 50 === 0 ? 503 : 200,
      requestBytes: 120 + (index % 200),
      responseBytes: 2048 + (index % 1000),
      latencyMs: 3.25,
      upstreamLatencyMs: 2.5,
      cached: false,
      counted: index % 50 !== 0,
      usage: index % 3 === 0 ? { sms: 1 } : {},
    }),
  };
}

/** Sends `count` events in batches, several in flight; resolves when all are acknowledged. */
async function produceAll(producer: Producer, topic: string, count: number): Promise<void> {
  const batch = 5000;
  const inFlight = new Set<Promise<unknown>>();
  for (let start = 0; start < count; start += batch) {
    const now = Date.now();
    const messages = [];
    for (let index = start; index < Math.min(count, start + batch); index += 1) {
      messages.push(eventJson(index, now));
    }
    const sending = producer.send({ topic, acks: 1, messages });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** Open loop: every 10 ms the events due by then, stamped with the time they are sent. */
async function produceAtRate(
  producer: Producer,
  topic: string,
  rate: number,
  seconds: number,
): Promise<number> {
  const started = Date.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  const sends: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
    if (due > sent) {
      const now = Date.now();
      const messages = [];
      for (let index = sent; index < due; index += 1) messages.push(eventJson(index, now));
      sends.push(producer.send({ topic, acks: 1, messages }));
      sent = due;
    }
    await new Promise((wait) => setTimeout(wait, 10));
  }
  await Promise.all(sends);
  return total;
}

async function metric(opsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(name));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string, app: BenchProcess) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null)
      throw new Error(`metering exited while waiting for ${what}:\n${app.output().slice(-3000)}`);
    try {
      if (await probe()) return;
    } catch {
      // Not up yet.
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  throw new Error(`timed out waiting for ${what}:\n${app.output().slice(-3000)}`);
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

interface LagFigures {
  events: number;
  rate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function markdown(result: {
  date: string;
  machine: { cpus: number; model: string | undefined; node: string; loadAverage: number[] };
  settings: Record<string, unknown>;
  throughput: {
    events: number;
    seconds: number;
    eventsPerSecond: number;
    cpuSeconds: number;
    eventsPerCpuSecond: number;
    inserts: number;
    rowsPerInsert: number;
  };
  lag: LagFigures;
  checks: Record<string, unknown>;
  profile: { samples: number; entries: SelfTimeEntry[] } | null;
  notes: string[];
}): string {
  const { throughput, lag } = result;
  const lines = [
    `# Metering benchmark (${result.date})`,
    '',
    `Metering process: \`${String(result.settings['app'])}\`. ${result.machine.cpus} CPUs (${result.machine.model ?? 'unknown'}), Node ${result.machine.node}, load average before the run ${result.machine.loadAverage.map((value) => value.toFixed(2)).join(' / ')}. ` +
      `Kafka broker, producer and metering share the machine; metering writes to chDB in its own process.`,
    '',
    '| phase | events | result |',
    '| --- | ---: | --- |',
    `| throughput (drain a backlog) | ${throughput.events} | **${throughput.eventsPerSecond} events/s** in ${throughput.seconds} s; ${throughput.cpuSeconds} CPU s in the metering process = **${throughput.eventsPerCpuSecond} events per CPU second**; ${throughput.inserts} inserts, ${throughput.rowsPerInsert} rows per insert |`,
    `| lag at ${lag.rate} events/s | ${lag.events} | produce → insert p50 **${lag.p50Ms} ms**, p90 ${lag.p90Ms} ms, p99 **${lag.p99Ms} ms**, max ${lag.maxMs} ms |`,
    '',
    `Checks (chDB opened after the app stopped): ${Object.entries(result.checks)
      .map(([key, value]) => `${key} = ${String(value)}`)
      .join('; ')}.`,
    '',
    ...result.notes.map((note) => `- ${note}`),
  ];
  if (result.profile) {
    lines.push(
      '',
      `## Metering CPU profile over the throughput phase (top self time, ${result.profile.samples} samples)`,
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

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<void> {
  for (const [name, value] of Object.entries({
    events,
    lagRate,
    lagSeconds,
    partitions,
    batchRows,
    flushMs,
  })) {
    if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  }
  const { loadavg } = await import('node:os');
  const date = new Date().toISOString();
  const out = resolve(
    options.out ?? join(repositoryRoot, 'bench', 'results', `metering-${date.replace(/[:.]/g, '-')}.json`),
  );
  const suffix = randomBytes(4).toString('hex');
  const topic = `tollgate.access-log.bench-${suffix}`;
  const ingestTopic = `tollgate.ingest.bench-${suffix}`;
  const dataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-bench-metering-'));
  const profileDirectory = await mkdtemp(join(tmpdir(), 'tollgate-bench-metering-profile-'));
  const kafka = new Kafka({
    brokers: [kafkaBroker],
    clientId: `tollgate-bench-${suffix}`,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  interruptCleanUp = async () => {
    await admin.deleteTopics({ topics: [topic, ingestTopic] }).catch(() => undefined);
    await rm(dataDirectory, { recursive: true, force: true });
    await rm(profileDirectory, { recursive: true, force: true });
  };
  const notes: string[] = [];
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const opsPort = await freePort();
    const app = startTypeScript(
      'metering',
      options.app,
      [],
      {
        KAFKA_BROKERS: kafkaBroker,
        ACCESS_LOG_TOPIC: topic,
        INGEST_TOPIC: ingestTopic,
        ACCESS_LOG_PARTITIONS: String(partitions),
        METERING_GROUP_ID: `tollgate-bench-metering-${suffix}`,
        METERING_BATCH_ROWS: String(batchRows),
        METERING_FLUSH_MS: String(flushMs),
        // Long enough to survive the SIGSTOP below without losing the group membership.
        METERING_SESSION_TIMEOUT_MS: '300000',
        TOLLGATE_DATA_DIR: dataDirectory,
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
        // Lets `--app` point at an entry outside the repository.
        ...(process.env['NODE_PATH'] ? { NODE_PATH: process.env['NODE_PATH'] } : {}),
      },
      options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : [],
    );
    running = app;
    const pid = app.child.pid as number;
    const inserted = () => metric(opsPort, 'tollgate_metering_rows_inserted_total');
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok,
      180_000,
      'metering ready',
      app,
    );
    // Warm-up (not measured): the group is joined, the code is compiled and chDB has written parts.
    const warmUp = Math.min(20_000, Math.ceil(events / 10));
    await produceAll(producer, topic, warmUp);
    await waitFor(async () => (await inserted()) >= warmUp, 180_000, 'the warm-up inserted', app);

    const insertCountBefore = await metric(opsPort, 'tollgate_metering_inserts_total');
    // The backlog is produced while metering is stopped (SIGSTOP), then it drains it.
    app.child.kill('SIGSTOP');
    process.stdout.write(`producing ${events} events to ${topic} (metering stopped)…\n`);
    const producedAt = Date.now();
    await produceAll(producer, topic, events);
    process.stdout.write(`produced in ${Date.now() - producedAt} ms; metering drains them…\n`);
    app.child.kill('SIGCONT');
    const resumed = { cpu: cpuMicros(pid), at: Date.now(), hr: Number(process.hrtime.bigint() / 1000n) };
    let drainedAt = 0;
    await waitFor(
      async () => {
        const done = (await inserted()) >= warmUp + events;
        if (done) drainedAt = Date.now();
        return done;
      },
      600_000,
      `${events} rows inserted`,
      app,
    );
    const cpuAfter = cpuMicros(pid);
    const hrFrom = resumed.hr;
    const hrTo = Number(process.hrtime.bigint() / 1000n);
    const inserts = (await metric(opsPort, 'tollgate_metering_inserts_total')) - insertCountBefore;
    const insertRowsHistogram = (await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text())
      .split('\n')
      .filter((line) => line.startsWith('tollgate_metering_insert_rows_bucket'))
      .map((line) => `${/le="([^"]+)"/.exec(line)?.[1] ?? '?'}: ${line.slice(line.lastIndexOf(' ') + 1)}`);
    const seconds = (drainedAt - resumed.at) / 1000;
    const cpuSeconds = (cpuAfter - resumed.cpu) / 1e6;
    const throughput = {
      events,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(events / seconds),
      cpuSeconds: Number(cpuSeconds.toFixed(2)),
      eventsPerCpuSecond: Math.round(events / cpuSeconds),
      inserts,
      rowsPerInsert: Math.round(events / Math.max(inserts, 1)),
      /** Cumulative insert sizes since the app started (warm-up included), from its metrics. */
      insertRowsHistogram,
    };
    process.stdout.write(`throughput: ${JSON.stringify(throughput)}\n`);

    process.stdout.write(`lag phase: ${lagRate} events/s for ${lagSeconds} s…\n`);
    const lagStartedAt = Date.now();
    const lagEvents = await produceAtRate(producer, topic, lagRate, lagSeconds);
    await waitFor(
      async () => (await inserted()) >= warmUp + events + lagEvents,
      120_000,
      'the lag phase inserted',
      app,
    );
    await producer.disconnect();
    await app.stop(60_000);
    if (app.child.exitCode !== 0) notes.push(`metering exited with ${app.child.exitCode} after SIGTERM.`);

    // One process per chDB data directory: opened only now that the app is gone.
    const store = await createAnalyticsStore({ dataDirectory, database: 'tollgate' });
    let lag: LagFigures;
    let checks: Record<string, unknown>;
    try {
      const [totals] = await store.query<{ rows: string; ids: string }>(
        'SELECT count() AS rows, uniqExact(id) AS ids FROM usage_events WHERE log_topic = {topic:String}',
        { topic },
      );
      const lags = await store.query<{ lag: number }>(
        "SELECT toFloat64(dateDiff('millisecond', ts, ingested_at)) AS lag FROM usage_events " +
          'WHERE log_topic = {topic:String} AND ts >= fromUnixTimestamp64Milli({from:Int64})',
        { topic, from: lagStartedAt },
      );
      const sorted = lags.map((row) => row.lag).sort((a, b) => a - b);
      lag = {
        events: sorted.length,
        rate: lagRate,
        p50Ms: quantile(sorted, 0.5),
        p90Ms: quantile(sorted, 0.9),
        p99Ms: quantile(sorted, 0.99),
        maxMs: sorted.at(-1) ?? 0,
      };
      checks = {
        rowsStored: Number(totals.rows),
        distinctIds: Number(totals.ids),
        eventsProduced: warmUp + events + lagEvents,
        exactlyOnce:
          Number(totals.rows) === warmUp + events + lagEvents &&
          Number(totals.ids) === warmUp + events + lagEvents,
      };
    } finally {
      await store.close();
    }
    if (lag.events !== lagEvents)
      notes.push(`the lag query found ${lag.events} of ${lagEvents} lag-phase events.`);

    const profileFile = readdirSync(profileDirectory).find((name) => name.endsWith('.cpuprofile'));
    const profile =
      options.profile && profileFile
        ? summariseCpuProfile(join(profileDirectory, profileFile), hrFrom, hrTo, 15, repositoryRoot)
        : null;
    if (options.profile && !profile) notes.push('The profiled app wrote no .cpuprofile.');
    notes.push(
      `Throughput: after a warm-up of ${warmUp} events, the backlog is produced while the app is stopped (SIGSTOP); timed from SIGCONT to the first metrics poll (every 100 ms) showing every row inserted. CPU: utime+stime of the metering process from /proc (chDB's threads included).`,
      'Lag: ingested_at (ClickHouse DEFAULT now64(3), evaluated while the insert runs) minus ts (set when the producer sent the event); the row is visible a few milliseconds after ingested_at.',
    );
    const result = {
      date,
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        loadAverage: loadavg(),
      },
      settings: {
        app: options.app,
        events,
        warmUpEvents: warmUp,
        partitions,
        batchRows,
        flushMs,
        lagRate,
        lagSeconds,
        profile: options.profile,
        broker: kafkaBroker,
      },
      throughput,
      lag,
      checks,
      notes,
      profile,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const table = markdown(result);
    // A variant (`--app`) gets its table next to its JSON, not in place of the app's latest figures.
    const defaultApp = options.app === 'apps/metering/src/main.ts';
    writeFileSync(
      defaultApp
        ? join(repositoryRoot, 'bench', 'results', 'metering-latest.md')
        : out.replace(/(\.json)?$/, '.md'),
      table,
    );
    process.stdout.write(`\n${table}\nJSON: ${out}\n`);
    if (!checks['exactlyOnce'])
      throw new Error(`stored rows do not match what was produced: ${JSON.stringify(checks)}`);
  } finally {
    // A stopped (SIGSTOP) process would not act on the SIGTERM of stopAll.
    if (running?.child.exitCode === null) running.child.kill('SIGCONT');
    await stopAll();
    await interruptCleanUp();
    await admin.disconnect();
  }
}

/** What an interrupted run must still remove. */
let interruptCleanUp: () => Promise<void> = async () => undefined;
/** The metering process, killed on any exit (it may be stopped with SIGSTOP at that moment). */
let running: BenchProcess | undefined;
process.on('exit', () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGKILL');
  }
});

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
