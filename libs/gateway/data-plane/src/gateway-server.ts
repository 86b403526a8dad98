import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createGatewayHandler, type GatewayDependencies, type GatewayHandler } from './gateway-handler';

export interface GatewayServerOptions extends GatewayDependencies {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** How long close() waits for requests in flight before cutting connections (default 10 s). */
  drainTimeoutMs?: number;
}

export interface GatewayServer {
  server: Server;
  handler: GatewayHandler;
  port: number;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /**
   * Graceful stop: accept nothing new, let requests in flight finish (up to drainTimeoutMs), close
   * the upstream pools, then flush the access-log emitter.
   */
  close(): Promise<void>;
}

/** Starts the data plane on plain `node:http`, no framework in between. */
export async function createGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const handler = createGatewayHandler(options);
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // close() stops accepting and drops idle keep-alive connections; busy ones finish their request.
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      handler.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      options.logger.warn(
        { activeRequests: handler.activeRequests, drainTimeoutMs },
        'requests still in flight after the drain timeout: closing their connections',
      );
    }
    // Every request is over (or abandoned): what remains are idle keep-alive connections.
    server.closeAllConnections();
    await closed;
    await handler.close();
    await options.accessLog.flush();
  };

  return {
    server,
    handler,
    port,
    url: `http://${host}:${port}`,
    close: () => (closing ??= close()),
  };
}
