import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryCounters } from '@tollgate/counters';
import { createEchoUpstream } from '@tollgate/echo-upstream';
import { createInProcessEventLog } from '@tollgate/event-log';
import { createAccessLogEmitter, createGatewayServer, SnapshotStore } from '@tollgate/gateway-data-plane';
import { generateApiKey } from '@tollgate/ids';
import { createLogger } from '@tollgate/observability';

/**
 * The process under measurement: the echo upstream, and the embedded gateway in front of it
 * (in-memory counters, in-process event log with fsync). Prints its ports as one JSON line.
 */
async function main(): Promise<void> {
  const logger = createLogger({ app: 'bench', level: 'warn' });
  const echo = await createEchoUpstream({ host: '127.0.0.1', port: 0 });
  const key = generateApiKey();
  const snapshots = new SnapshotStore();
  snapshots.replace({
    version: 'bench',
    generatedAt: Date.now(),
    apis: [
      {
        id: 'api_bench',
        name: 'echo',
        pathPrefix: '/echo',
        upstreamUrl: echo.url,
        stripPrefix: true,
        routes: [],
      },
    ],
    plans: [
      {
        id: 'plan_bench',
        version: 1,
        name: 'Bench',
        quota: { limit: 1_000_000_000, period: 'month' },
        rateLimit: null,
        concurrency: null,
        allowedEndpoints: null,
        countPolicy: { count4xx: true, count5xx: false },
      },
    ],
    consumers: [
      {
        id: 'cons_bench',
        status: 'active',
        suspendedReason: null,
        planId: 'plan_bench',
        planVersion: 1,
        periodAnchor: new Date().toISOString(),
        timeZone: 'UTC',
      },
    ],
    keys: [{ hash: key.hash, keyId: 'key_bench', consumerId: 'cons_bench', expiresAt: null }],
  });
  const eventLog = createInProcessEventLog({ directory: await mkdtemp(join(tmpdir(), 'tollgate-bench-')) });
  await eventLog.ensureTopic('tollgate.access-log.v1', 6);
  const accessLog = createAccessLogEmitter({
    producer: await eventLog.producer(),
    topic: 'tollgate.access-log.v1',
    logger,
  });
  const gateway = await createGatewayServer({
    host: '127.0.0.1',
    port: 0,
    snapshots,
    counters: createMemoryCounters(),
    accessLog,
    logger,
    upstreamTimeoutMs: 30_000,
  });
  process.stdout.write(
    `${JSON.stringify({ echoUrl: echo.url, gatewayUrl: gateway.url, key: key.secret })}\n`,
  );
}

void main();
