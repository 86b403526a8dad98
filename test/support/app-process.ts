import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoInfo } from '@tollgate/plans-data';

export const repositoryRoot = join(__dirname, '..', '..');

/** A free TCP port on 127.0.0.1 (the OS picks it; released before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when a line of output matches, rejects on exit or timeout. */
  waitForOutput: (pattern: RegExp, timeoutMs: number) => Promise<void>;
  /** Sends the signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>;
  exited: Promise<number | null>;
}

/** Runs one of the project's entry points (a TypeScript file) as its own process. */
export function startApp(entry: string, environment: Record<string, string>): AppProcess {
  const child = spawn(
    process.execPath,
    ['-r', join(repositoryRoot, 'tools', 'register.cjs'), join(repositoryRoot, entry)],
    {
      cwd: repositoryRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        LOG_LEVEL: 'info',
        ...environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
    for (const listener of listeners) listener();
  });

  const waitForOutput = (pattern: RegExp, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(
            `${entry}: no output matching ${pattern} within ${timeoutMs} ms. Output:\n${output.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        } else if (!running) {
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`${entry} exited before printing ${pattern}. Output:\n${output.slice(-4000)}`));
        }
      };
      listeners.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) => {
    if (running) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return { child, output: () => output, waitForOutput, stop, exited };
}

/** Polls `probe` until it returns a value that satisfies `accept`, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${what}: not reached within ${timeoutMs} ms; last value ${JSON.stringify(last)}${lastError ? `, last error ${String(lastError)}` : ''}`,
  );
}

export interface EmbeddedPlatform {
  platform: AppProcess;
  demo: DemoInfo;
  dataDirectory: string;
  /** Kills the process and removes its data. */
  dispose: () => Promise<void>;
}

/** `npm start` in a fresh data directory on free ports; resolves once it is ready with its demo.json. */
export async function startEmbeddedPlatform(
  name: string,
  environment: Record<string, string> = {},
): Promise<EmbeddedPlatform> {
  const dataDirectory = await mkdtemp(join(tmpdir(), `tollgate-${name}-`));
  const platform = startApp('apps/platform/src/main.ts', {
    TOLLGATE_DATA_DIR: dataDirectory,
    PORT: String(await freePort()),
    GATEWAY_PORT: String(await freePort()),
    DEMO_ECHO_PORT: '0',
    SNAPSHOT_POLL_MS: '500',
    ...environment,
  });
  await platform.waitForOutput(/Tollgate is ready/, 240_000);
  const demo = JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as DemoInfo;
  return {
    platform,
    demo,
    dataDirectory,
    dispose: async () => {
      await platform.stop('SIGKILL');
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}
