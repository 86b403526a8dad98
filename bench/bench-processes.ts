import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repositoryRoot = join(__dirname, '..');
/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const clockTicksPerSecond = 100;

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Bytes written to stdout and stderr so far (logging on the hot path shows up here). */
  outputBytes: () => number;
  /** Resolves with the first output line matching `pattern`. */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string>;
  stop: (timeoutMs?: number) => Promise<void>;
}

const started: BenchProcess[] = [];

/** Starts a command; everything started here is stopped by `stopAll` (also when the run fails). */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  environment: Record<string, string> = {},
): BenchProcess {
  const child = spawn(command, args, {
    cwd: repositoryRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let outputBytes = 0;
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    outputBytes += chunk.length;
    // Keep the tail only: a chatty process must not grow this process's memory during the run.
    output = (output + chunk.toString()).slice(-64 * 1024);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => {
    running = false;
    for (const listener of listeners) listener();
  });
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`${name}: nothing matching ${pattern} in ${timeoutMs} ms:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const check = () => {
        const line = output.split('\n').find((candidate) => pattern.test(candidate));
        if (line !== undefined || !running) {
          clearTimeout(timer);
          listeners.delete(check);
          if (line !== undefined) resolve(line);
          else reject(new Error(`${name} exited early:\n${output.slice(-3000)}`));
        }
      };
      listeners.add(check);
      check();
    });
  const stop = async (timeoutMs = 15_000) => {
    if (running) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
  const handle = { name, child, output: () => output, outputBytes: () => outputBytes, waitFor, stop };
  started.push(handle);
  return handle;
}

/** Runs a TypeScript entry point of this repository in its own Node process. */
export function startTypeScript(
  name: string,
  entry: string,
  args: string[],
  environment: Record<string, string> = {},
  nodeArguments: string[] = [],
): BenchProcess {
  return startProcess(
    name,
    process.execPath,
    [
      ...nodeArguments,
      '-r',
      join(repositoryRoot, 'tools', 'register.cjs'),
      join(repositoryRoot, entry),
      ...args,
    ],
    environment,
  );
}

export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((handle) => handle.stop()));
}

/** User + system CPU time of a process so far, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicksPerSecond;
}

/** Direct children of a process (nginx's workers), found through /proc. */
export function childPids(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}
