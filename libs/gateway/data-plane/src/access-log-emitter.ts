import { type AccessLogEvent } from '@tollgate/access-log';
import { type Logger } from '@tollgate/observability';
import { type EventLogProducer, type OutgoingMessage } from '@tollgate/ports';

export interface AccessLogEmitterOptions {
  producer: EventLogProducer;
  topic: string;
  logger: Logger;
  /** Most events in one `send` (default 500). */
  maxBatch?: number;
  /** How long a lone event waits for company before it is sent (default 5 ms). */
  lingerMs?: number;
  /** First retry delay after a failed send; doubles up to `retryMaxMs` (defaults 100 ms / 5 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

interface FlushWaiter {
  /** Resolve once this many events (counted since start) are sent. */
  target: number;
  resolve: () => void;
}

function toMessage(event: AccessLogEvent): OutgoingMessage {
  return { key: event.consumerId, value: JSON.stringify(event) };
}

/**
 * Batches access-log events to the event log off the request path. `emit()` only appends to a
 * buffer; one send is in flight at a time, so events keep their order. A failed send keeps its
 * events at the head of the buffer and is retried with backoff: nothing is dropped. (Events still
 * buffered when the process dies are lost until the disk spool exists.)
 */
export class AccessLogEmitter {
  private readonly producer: EventLogProducer;
  private readonly topic: string;
  private readonly logger: Logger;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  private buffer: AccessLogEvent[] = [];
  private emitted = 0;
  private sentCount = 0;
  private failedCount = 0;
  private failureStreak = 0;
  private sending = false;
  private closed = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private waiters: FlushWaiter[] = [];
  private readonly onLinger = (): void => {
    this.lingerTimer = null;
    this.startSending();
  };

  constructor(options: AccessLogEmitterOptions) {
    this.producer = options.producer;
    this.topic = options.topic;
    this.logger = options.logger;
    this.maxBatch = options.maxBatch ?? 500;
    this.lingerMs = options.lingerMs ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
  }

  /** Events emitted and not yet acknowledged by the event log. */
  get pending(): number {
    return this.emitted - this.sentCount;
  }

  /** Events acknowledged by the event log since start. */
  get sent(): number {
    return this.sentCount;
  }

  /** Sends that failed (and were retried) since start. */
  get failedAttempts(): number {
    return this.failedCount;
  }

  /** Buffers one event; cheap and synchronous. */
  emit(event: AccessLogEvent): void {
    if (this.closed)
      this.logger.warn({ eventId: event.id }, 'access-log event emitted after close: sending anyway');
    this.buffer.push(event);
    this.emitted += 1;
    if (this.sending) return; // the running send loop picks it up
    if (this.buffer.length >= this.maxBatch) {
      this.startSending();
    } else if (this.lingerTimer === null) {
      this.lingerTimer = setTimeout(this.onLinger, this.lingerMs);
    }
  }

  /** Resolves when every event emitted before this call has been sent. */
  flush(): Promise<void> {
    if (this.sentCount >= this.emitted) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ target: this.emitted, resolve }));
    this.startSending();
    return done;
  }

  /** Sends what is buffered and stops lingering; later emits are still sent (and logged). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private startSending(): void {
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.sending || this.buffer.length === 0) return;
    this.sending = true;
    void this.sendLoop();
  }

  private async sendLoop(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.producer.send(this.topic, batch.map(toMessage));
        } catch (error) {
          this.buffer = batch.concat(this.buffer); // back to the head: order is kept
          this.failedCount += 1;
          this.failureStreak += 1;
          const delayMs = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (this.failureStreak - 1));
          this.logger.warn(
            { err: error, pending: this.pending, attempt: this.failureStreak, retryInMs: delayMs },
            'sending access-log events failed; retrying',
          );
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          continue;
        }
        if (this.failureStreak > 0) {
          this.logger.info({ attempts: this.failureStreak }, 'access-log events are being sent again');
          this.failureStreak = 0;
        }
        this.sentCount += batch.length;
        this.resolveWaiters();
      }
    } finally {
      this.sending = false;
    }
  }

  private takeBatch(): AccessLogEvent[] {
    if (this.buffer.length <= this.maxBatch) {
      const batch = this.buffer;
      this.buffer = [];
      return batch;
    }
    return this.buffer.splice(0, this.maxBatch);
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const waiter of this.waiters) {
      if (this.sentCount >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}

export function createAccessLogEmitter(options: AccessLogEmitterOptions): AccessLogEmitter {
  return new AccessLogEmitter(options);
}
