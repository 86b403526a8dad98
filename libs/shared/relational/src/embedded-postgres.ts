import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** PGlite (PostgreSQL in WASM) with its data on disk, reachable over the Postgres wire protocol. */
export interface EmbeddedPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`; PGlite ignores the database name. */
  url: string;
  dataDirectory: string;
  close(): Promise<void>;
}

type WorkerMessage =
  { type: 'ready'; address: string } | { type: 'closed' } | { type: 'error'; message: string };

// PGlite is one backend session: every socket shares it and the server runs one protocol
// message at a time. Prisma gets a single pooled connection; the few extra slots are for the
// migration applier and tools that connect one after another, never concurrently.
const MAX_SOCKETS = 4;

function nextMessage(worker: Worker): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage): void => {
      cleanup();
      resolve(message);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`The PGlite worker exited with code ${code}`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Opens (or creates) the database under `${dataDirectory}/pglite` in a worker thread and
 * serves it on 127.0.0.1 with a port the OS picks.
 */
export async function startEmbeddedPostgres(dataDirectory: string): Promise<EmbeddedPostgres> {
  const directory = join(dataDirectory, 'pglite');
  const worker = new Worker(join(__dirname, 'embedded-postgres.worker.cjs'), {
    workerData: { directory, maxConnections: MAX_SOCKETS },
    // The worker is plain CommonJS; the parent's loader hooks (e.g. a TypeScript register) are not needed there.
    execArgv: [],
  });
  const started = await nextMessage(worker).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  if (started.type !== 'ready') {
    await worker.terminate();
    throw new Error(
      `PGlite could not open ${directory}: ${started.type === 'error' ? started.message : started.type}`,
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url: `postgresql://postgres@${started.address}/postgres`,
    dataDirectory: directory,
    close: () => {
      closing ??= (async () => {
        const stopped = nextMessage(worker);
        worker.postMessage({ type: 'close' });
        try {
          const reply = await stopped;
          if (reply.type === 'error') throw new Error(`PGlite did not close cleanly: ${reply.message}`);
        } finally {
          await worker.terminate();
        }
      })();
      return closing;
    },
  };
}
