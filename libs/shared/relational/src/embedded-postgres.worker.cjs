// Worker thread that owns PGlite and serves it over the Postgres wire protocol on 127.0.0.1.
//
// Why a worker: every PGlite query is synchronous WebAssembly work, so on the main thread it
// would stall the event loop (and the gateway's request path in embedded mode). Why plain
// CommonJS: a worker gets Node's own loader (no TypeScript hook, not Jest's module sandbox,
// which cannot run PGlite's dynamic imports), so this file must run as it is.
const { mkdirSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require('@electric-sql/pglite');
const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');

async function start() {
  mkdirSync(workerData.directory, { recursive: true });
  const db = await PGlite.create(workerData.directory);
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: workerData.maxConnections,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  parentPort.on('message', (message) => {
    if (message && message.type === 'close') {
      // Closing PGlite flushes its data directory; exiting without it can lose recent writes.
      server
        .stop()
        .then(() => db.close())
        .then(
          () => parentPort.postMessage({ type: 'closed' }),
          (error) => parentPort.postMessage({ type: 'error', message: String(error && error.stack) }),
        );
    }
  });
  // getServerConn() is `host:port`, with the port the OS picked for port 0.
  parentPort.postMessage({ type: 'ready', address: server.getServerConn() });
}

start().catch((error) => {
  parentPort.postMessage({ type: 'error', message: String((error && error.stack) || error) });
});
