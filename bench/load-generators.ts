import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Pool } from 'undici';

const run = promisify(execFile);

export interface LoadRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  generator: 'wrk' | 'undici-closed-loop' | 'node-open-loop';
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface OpenLoopResult extends LoadResult {
  targetRate: number;
  /** Same percentiles measured from when the request was actually sent (hides queueing). */
  serviceP50Ms: number;
  serviceP99Ms: number;
}

function percentile(sorted: number[], quantile: number): number {
  if (sorted.length === 0) return Number.NaN;
  return round(sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]);
}

function round(value: number): number {
  return Number(value.toFixed(3));
}

/** wrk prints durations as `512.00us`, `1.20ms` or `2.01s`. */
function wrkDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`unreadable wrk duration "${text}"`);
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return round(Number(match[1]) * factor);
}

export function parseWrkOutput(output: string): LoadResult {
  const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? Number.NaN);
  const latency = (label: string): number => {
    const match = new RegExp(`^\\s+${label}%\\s+(\\S+)`, 'm').exec(output);
    return match ? wrkDurationMs(match[1]) : Number.NaN;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors =
    (socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0) +
    (Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0) || 0);
  return {
    generator: 'wrk',
    requests: number(/(\d+) requests in/),
    errors,
    requestsPerSecond: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
  };
}

/** Closed loop with wrk (a process of its own, one thread: the targets need the other core). */
export async function wrkClosedLoop(
  target: LoadRequest,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const headerArguments = Object.entries(target.headers).flatMap(([name, value]) => [
    '-H',
    `${name}: ${value}`,
  ]);
  const { stdout } = await run(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      ...headerArguments,
      `${target.origin}${target.path}`,
    ],
    { timeout: (seconds + 30) * 1000 },
  );
  return parseWrkOutput(stdout);
}

/** Closed loop in this process when wrk is not installed: `connections` loops, one request each at a time. */
export async function undiciClosedLoop(
  target: LoadRequest,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const startedAt = process.hrtime.bigint();
  const loop = async () => {
    while (Date.now() < deadline) {
      const started = process.hrtime.bigint();
      try {
        const response = await pool.request({ method: 'GET', path: target.path, headers: target.headers });
        await response.body.dump();
        if (response.statusCode >= 400) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    generator: 'undici-closed-loop',
    requests: latencies.length,
    errors,
    requestsPerSecond: Math.round(latencies.length / elapsedSeconds),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/**
 * Open loop at a fixed rate: request i is due at start + i / rate whatever happened to the earlier ones,
 * and its latency counts from that due time, so a stalled target is charged for the requests it kept
 * waiting (no coordinated omission). Timers fire about every millisecond; all requests due by then go out.
 */
export async function openLoop(target: LoadRequest, seconds: number, rate: number): Promise<OpenLoopResult> {
  const pool = new Pool(target.origin, { connections: 512, pipelining: 1, keepAliveTimeout: 4000 });
  const total = Math.floor(rate * seconds);
  const intervalNs = 1e9 / rate;
  const fromSchedule: number[] = [];
  const fromSend: number[] = [];
  let errors = 0;
  let sent = 0;
  let finished = 0;
  const startedAt = process.hrtime.bigint();
  const elapsedNs = () => Number(process.hrtime.bigint() - startedAt);
  await new Promise<void>((resolve) => {
    const settle = () => {
      finished += 1;
      if (finished === total) resolve();
    };
    const fire = (dueNs: number) => {
      const sentNs = elapsedNs();
      pool
        .request({ method: 'GET', path: target.path, headers: target.headers })
        .then(async (response) => {
          await response.body.dump();
          if (response.statusCode >= 400) errors += 1;
        })
        .catch(() => {
          errors += 1;
        })
        .finally(() => {
          const doneNs = elapsedNs();
          fromSchedule.push((doneNs - dueNs) / 1e6);
          fromSend.push((doneNs - sentNs) / 1e6);
          settle();
        });
    };
    const tick = () => {
      const now = elapsedNs();
      while (sent < total && sent * intervalNs <= now) {
        fire(sent * intervalNs);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, 0);
    };
    if (total === 0) resolve();
    else tick();
  });
  const elapsedSeconds = elapsedNs() / 1e9;
  await pool.close();
  fromSchedule.sort((a, b) => a - b);
  fromSend.sort((a, b) => a - b);
  return {
    generator: 'node-open-loop',
    targetRate: rate,
    requests: total,
    errors,
    requestsPerSecond: Math.round(total / elapsedSeconds),
    p50Ms: percentile(fromSchedule, 0.5),
    p99Ms: percentile(fromSchedule, 0.99),
    serviceP50Ms: percentile(fromSend, 0.5),
    serviceP99Ms: percentile(fromSend, 0.99),
  };
}
