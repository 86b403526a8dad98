import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';

/**
 * `npm run bench`: one proxy hop through the embedded gateway, side by side with the same
 * requests sent straight to the upstream (the baseline), in the same run on the same machine.
 * Results: bench/results/gateway-hop-<timestamp>.json and bench/results/latest.md.
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 10_000);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const root = join(__dirname, '..');

interface Measurement {
  name: string;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function load(
  name: string,
  origin: string,
  path: string,
  headers: Record<string, string>,
): Promise<Measurement> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const run = async (deadline: number, record: boolean) => {
    while (Date.now() < deadline) {
      const started = process.hrtime.bigint();
      try {
        const response = await pool.request({ method: 'GET', path, headers });
        await response.body.dump();
        if (response.statusCode !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      if (record) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: connections }, () => run(Date.now() + 1000, false))); // warm-up
  const started = Date.now();
  await Promise.all(Array.from({ length: connections }, () => run(started + durationMs, true)));
  const elapsed = (Date.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) =>
    Number(latencies[Math.floor(quantile * (latencies.length - 1))].toFixed(2));
  return {
    name,
    requests: latencies.length,
    errors,
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  const target = spawn(
    process.execPath,
    ['-r', join(root, 'tools', 'register.cjs'), join(__dirname, 'gateway-target.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    target.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes('\n')) resolve(buffer.split('\n')[0]);
    });
    target.once('exit', (code) => reject(new Error(`bench target exited with ${code}`)));
  });
  const { echoUrl, gatewayUrl, key } = JSON.parse(line) as {
    echoUrl: string;
    gatewayUrl: string;
    key: string;
  };
  try {
    const baseline = await load('upstream directly (baseline)', echoUrl, '/hello', {});
    const rssBefore = rssOf(target.pid as number);
    const gateway = await load('through the gateway', gatewayUrl, '/echo/hello', { 'x-api-key': key });
    const rssAfter = rssOf(target.pid as number);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      settings: { durationMs, connections },
      baseline,
      gateway,
      ratio: { throughput: Number((gateway.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)) },
      targetProcessRssBytes: { beforeGatewayLoad: rssBefore, afterGatewayLoad: rssAfter },
    };
    const directory = join(__dirname, 'results');
    mkdirSync(directory, { recursive: true });
    const stamp = result.date.replace(/[:.]/g, '-');
    writeFileSync(join(directory, `gateway-hop-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const table = [
      `# Gateway hop benchmark (${result.date})`,
      '',
      `${result.machine.cpus} CPUs, Node ${result.machine.node}, ${connections} connections, ${durationMs} ms per run; load generator, gateway and upstream share the machine.`,
      '',
      '| run | requests/s | p50 ms | p99 ms | errors |',
      '| --- | --- | --- | --- | --- |',
      ...[baseline, gateway].map(
        (m) => `| ${m.name} | ${m.requestsPerSecond} | ${m.p50Ms} | ${m.p99Ms} | ${m.errors} |`,
      ),
      '',
      `Gateway throughput / baseline: **${result.ratio.throughput}**. Gateway + upstream process RSS after the run: ${(rssAfter / 2 ** 20).toFixed(0)} MiB.`,
      '',
    ].join('\n');
    writeFileSync(join(directory, 'latest.md'), table);
    process.stdout.write(`${table}\n`);
  } finally {
    target.kill('SIGKILL');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
