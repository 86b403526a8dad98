import { DependencyUnavailableError } from '@tollgate/errors';
import { type Logger } from '@tollgate/observability';
import { Redis, type RedisOptions } from 'ioredis';
import { type ConfigBus, type ConfigVersionListener } from './config-bus.port';

export interface RedisConfigBusOptions {
  /** Redis URL. A publishing connection opens on the first publish(), a dedicated subscriber on the first subscribe(). */
  redis: string;
  /** The channel is `${keyPrefix}config`, so installations sharing a Redis do not hear each other. */
  keyPrefix: string;
  /** Upper bound of connecting, publishing and confirming a subscription, in ms (default 2000). */
  timeoutMs?: number;
  /** Connection name shown by CLIENT LIST (default `tollgate-config-bus`). */
  connectionName?: string;
  logger?: Logger;
}

export function configBusChannel(keyPrefix: string): string {
  return `${keyPrefix}config`;
}

type Role = 'publisher' | 'subscriber';

/**
 * The bus over Redis pub/sub (distributed mode). Publishing fails fast while Redis is down (the
 * caller's write has succeeded already; gateways catch up by their periodic resync). The
 * subscriber connection reconnects forever and resubscribes by itself (ioredis autoResubscribe);
 * versions published while it was away are not replayed.
 */
export class RedisConfigBus implements ConfigBus {
  readonly channel: string;
  private readonly timeoutMs: number;
  private readonly listeners = new Set<ConfigVersionListener>();
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;
  private subscription: Promise<unknown> | undefined;
  private readonly lastError: Record<Role, unknown> = { publisher: undefined, subscriber: undefined };
  private closed = false;

  constructor(private readonly options: RedisConfigBusOptions) {
    this.channel = configBusChannel(options.keyPrefix);
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async publish(version: string): Promise<void> {
    this.assertOpen();
    this.publisher ??= this.open('publisher', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: this.timeoutMs,
    });
    const publisher = this.publisher;
    await this.ready(publisher, 'publisher');
    try {
      await publisher.publish(this.channel, version);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async subscribe(listener: ConfigVersionListener): Promise<() => Promise<void>> {
    this.assertOpen();
    if (!this.subscriber) {
      // Queued commands wait for the connection however long it takes: a SUBSCRIBE sent during an
      // outage takes effect when Redis is back.
      this.subscriber = this.open('subscriber', { maxRetriesPerRequest: null });
      this.subscriber.on('message', (channel: string, message: string) => {
        if (channel === this.channel) this.deliver(message);
      });
    }
    const subscriber = this.subscriber;
    this.subscription ??= subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.subscription = undefined;
      throw error;
    });
    this.listeners.add(listener);
    try {
      await this.confirmed(subscriber, this.subscription);
    } catch (error) {
      this.listeners.delete(listener);
      throw unavailable(error);
    }
    return async () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await Promise.all([this.publisher, this.subscriber].map((client) => (client ? shut(client) : undefined)));
  }

  private open(role: Role, overrides: RedisOptions): Redis {
    const client = new Redis(this.options.redis, {
      connectTimeout: this.timeoutMs,
      connectionName: this.options.connectionName ?? 'tollgate-config-bus',
      ...overrides,
    });
    let lost = false;
    // Without an 'error' listener ioredis prints every failed reconnect; log each outage once instead.
    client.on('error', (error: unknown) => {
      this.lastError[role] = error;
      if (!lost && !this.closed) {
        lost = true;
        this.options.logger?.warn(
          { err: error, channel: this.channel, role },
          'config bus: Redis unreachable; gateways rely on their periodic resync',
        );
      }
    });
    client.on('ready', () => {
      if (lost)
        this.options.logger?.info({ channel: this.channel, role }, 'config bus: Redis reachable again');
      lost = false;
    });
    return client;
  }

  private deliver(version: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(version);
      } catch (error) {
        this.options.logger?.error({ err: error, version }, 'config bus listener failed');
      }
    }
  }

  /** Waits out a first connection attempt; while Redis is known to be down, fails at once. */
  private async ready(client: Redis, role: Role): Promise<void> {
    if (client.status === 'ready') return;
    if (client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect') {
      throw unavailable(this.lastError[role] ?? new Error(`redis connection is ${client.status}`));
    }
    let onReady: (() => void) | undefined;
    try {
      await this.settle(
        client,
        new Promise<void>((resolve) => {
          onReady = resolve;
          client.once('ready', onReady);
        }),
        'redis not ready',
      );
    } catch (error) {
      throw unavailable(error);
    } finally {
      if (onReady) client.off('ready', onReady);
    }
  }

  /** Resolves when SUBSCRIBE is acknowledged; rejects on a connection error or after the timeout. */
  private async confirmed(client: Redis, subscription: Promise<unknown>): Promise<void> {
    await this.settle(client, subscription, 'subscription not confirmed');
  }

  private async settle(client: Redis, done: Promise<unknown>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onError: ((error: unknown) => void) | undefined;
    let onEnd: (() => void) | undefined;
    try {
      await Promise.race([
        done,
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`${what} after ${this.timeoutMs} ms`)), this.timeoutMs);
          onError = reject;
          onEnd = () => reject(new Error('redis connection ended'));
          client.once('error', onError);
          client.once('end', onEnd);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onError) client.off('error', onError);
      if (onEnd) client.off('end', onEnd);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DependencyUnavailableError('config bus', new Error('the bus is closed'));
  }
}

function unavailable(cause: unknown): DependencyUnavailableError {
  return cause instanceof DependencyUnavailableError ? cause : new DependencyUnavailableError('redis', cause);
}

async function shut(client: Redis): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect(); // the connection dropped meanwhile; nothing is left to flush
  }
}
