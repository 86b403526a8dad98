import { type AccessLogEvent } from '@tollgate/access-log';
import { type Logger } from '@tollgate/observability';
import { type EventLogProducer, type OutgoingMessage } from '@tollgate/ports';
import { type Registry } from 'prom-client';
import { type AccessLogSpool, type SpoolBatch } from './access-log-spool';
import { registerAccessLogSpoolMetrics } from './access-log-spool-metrics';

// Re-exported here so the lib's index (edited by others) needs no change for the spool.
export { AccessLogSpool, type AccessLogSpoolOptions, type SpoolBatch } from './access-log-spool';
export { registerAccessLogSpoolMetrics } from './access-log-spool-metrics';

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
  /**
   * Durable overflow (see `docs/gateway-events.md`): when the in-memory buffer reaches `maxBuffered`
   * events, or a flush finds the event log failing, the buffer moves to this spool; spooled events
   * are sent first, oldest first. Without a spool the buffer is unbounded (tests, embedded logs).
   */
  spool?: AccessLogSpool;
  /** Most events held in memory before they move to the spool (default 10 000). */
  maxBuffered?: number;
  /** Where the spool's gauges and counters are registered. */
  registry?: Registry;
}

/** A batch in the hands of the producer. */
interface InFlight {
  events: AccessLogEvent[];
  /** Set when the batch was read from the spool: acknowledging it there once sent. */
  fromSpool: SpoolBatch | null;
  /** A memory batch that was also written to the spool while in flight (it heads the spool then). */
  spooled: boolean;
}

interface FlushWaiter {
  /** Resolve once this many events (counted since start) are sent. */
  target: number;
  resolve: () => void;
}

/**
 * Header on a record that may repeat one already in the log (a send retried after a failure that
 * may have reached the broker, or a replay from the spool): metering looks such ids up before it
 * stores them (docs/gateway-events.md).
 */
export const accessLogResendHeader = 'tollgate-resend';
const resendHeaders: Readonly<Record<string, string>> = Object.freeze({ [accessLogResendHeader]: '1' });

function toMessage(event: AccessLogEvent, resend: boolean): OutgoingMessage {
  return resend
    ? { key: event.consumerId, value: JSON.stringify(event), headers: resendHeaders }
    : { key: event.consumerId, value: JSON.stringify(event) };
}

/**
 * Batches access-log events to the event log off the request path. `emit()` only appends to a
 * buffer; one send is in flight at a time, so events keep their order. A failed send keeps its
 * events at the head of the buffer and is retried with backoff.
 *
 * With a spool, the events form one queue, oldest first: [spool][batch in flight][memory buffer].
 * The buffer moves to the end of the spool when it is full (broker down or slow) or when a flush
 * meets a failing broker; while the spool holds events they are sent before the buffer. An event is
 * removed from the spool only after its send resolved, so it is always in the spool or sent.
 */
export class AccessLogEmitter {
  private readonly producer: EventLogProducer;
  private readonly topic: string;
  private readonly logger: Logger;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxBuffered: number;
  private spool: AccessLogSpool | null;

  private buffer: AccessLogEvent[] = [];
  private emitted = 0;
  private sentCount = 0;
  private failedCount = 0;
  private failureStreak = 0;
  /** Events of a send that failed: the broker may have them already. */
  private readonly retried = new WeakSet<AccessLogEvent>();
  private sending = false;
  private closed = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private waiters: FlushWaiter[] = [];
  private inFlight: InFlight | null = null;
  /** Events written (or being written) to the spool and not yet sent. */
  private inSpool = 0;
  /** Events handed to `spool.append` whose write has not resolved yet. */
  private appending = 0;
  private droppedCount = 0;
  private halted = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
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
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.spool = options.spool ?? null;
    if (this.spool !== null) {
      if (options.registry !== undefined) registerAccessLogSpoolMetrics(options.registry, this.spool);
      // A spool left by a previous run is replayed before anything new.
      this.inSpool = this.spool.depth;
      this.startSending();
    }
  }

  /** Events emitted and not yet acknowledged by the event log (spooled ones included, dropped ones not). */
  get pending(): number {
    return this.emitted - this.sentCount - this.droppedCount;
  }

  /** Events in the spool (or being written to it) and not yet sent. */
  get spooled(): number {
    return this.inSpool;
  }

  /** Events lost because the spool was full or failing (each one logged as an error). */
  get dropped(): number {
    return this.droppedCount;
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
    if (this.buffer.length >= this.maxBuffered && this.spool !== null) this.spill();
    if (this.sending) return; // the running send loop picks it up
    if (this.buffer.length >= this.maxBatch) {
      this.startSending();
    } else if (this.lingerTimer === null) {
      this.lingerTimer = setTimeout(this.onLinger, this.lingerMs);
    }
  }

  /**
   * Resolves when every event emitted before this call has been sent — or, with a spool, is durably
   * in the spool: a flush that meets a failing event log moves the buffer to the spool at once.
   */
  flush(): Promise<void> {
    if (this.settled() >= this.emitted) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ target: this.emitted, resolve }));
    if (this.failureStreak > 0 && this.spool !== null) this.spill();
    this.startSending();
    return done;
  }

  /**
   * Sends what is buffered (or spools it when the event log fails), then stops the send loop; the
   * spool stays on disk for the next start (close it after this). Later emits are still sent, from
   * memory only (and logged).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.spool === null) return;
    this.halted = true;
    this.wake?.();
    await this.loop;
    this.spool = null;
    this.halted = false;
    if (this.buffer.length > 0) this.startSending();
  }

  /** How many of the oldest events are sent, spooled durably or dropped (counted). */
  private settled(): number {
    if (this.spool === null) return this.sentCount + this.droppedCount;
    // The events not settled are always the newest ones: the buffer, a memory batch in flight that
    // is not in the spool, and spool writes still under way.
    const flying = this.inFlight !== null && this.inFlight.fromSpool === null && !this.inFlight.spooled;
    return (
      this.emitted - this.buffer.length - (flying ? (this.inFlight?.events.length ?? 0) : 0) - this.appending
    );
  }

  /** Moves the buffer (after a memory batch in flight, if any) to the end of the spool. */
  private spill(): void {
    const spool = this.spool;
    if (spool === null) return;
    const events: AccessLogEvent[] = [];
    const flight = this.inFlight;
    if (flight !== null && flight.fromSpool === null && !flight.spooled) {
      // The spool is empty while a memory batch flies (memory is sent only then), so the batch heads it.
      flight.spooled = true;
      events.push(...flight.events);
    }
    for (const event of this.buffer) events.push(event);
    this.buffer = [];
    if (events.length === 0) return;
    this.inSpool += events.length;
    this.appending += events.length;
    spool.append(events).then(
      (dropped) => this.appended(events.length, dropped),
      (error: unknown) => {
        this.logger.error({ err: error, events: events.length }, 'access-log spool append failed');
        this.appended(events.length, events.length);
      },
    );
  }

  private appended(count: number, dropped: number): void {
    this.appending -= count;
    this.inSpool -= dropped;
    this.droppedCount += dropped;
    this.resolveWaiters();
  }

  private startSending(): void {
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.sending || !this.hasWork()) return;
    this.sending = true;
    this.loop = this.sendLoop().catch((error: unknown) => {
      this.logger.error({ err: error }, 'access-log send loop failed');
    });
  }

  private async sendLoop(): Promise<void> {
    try {
      while (!this.halted) {
        const batch = await this.nextBatch();
        if (batch === null) break;
        if (batch.events.length === 0) continue;
        this.inFlight = batch;
        try {
          const replay = batch.fromSpool !== null;
          await this.producer.send(
            this.topic,
            batch.events.map((event) => toMessage(event, replay || this.retried.has(event))),
          );
        } catch (error) {
          this.inFlight = null;
          for (const event of batch.events) this.retried.add(event);
          // Back to the head of memory (order is kept), unless the spool already holds the batch.
          if (batch.fromSpool === null && !batch.spooled) this.buffer = batch.events.concat(this.buffer);
          this.failedCount += 1;
          this.failureStreak += 1;
          if (this.spool !== null && (this.waiters.length > 0 || this.buffer.length >= this.maxBuffered))
            this.spill();
          const delayMs = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (this.failureStreak - 1));
          this.logger.warn(
            {
              err: error,
              pending: this.pending,
              spooled: this.inSpool,
              attempt: this.failureStreak,
              retryInMs: delayMs,
            },
            'sending access-log events failed; retrying',
          );
          await this.sleep(delayMs);
          continue;
        }
        this.inFlight = null;
        if (this.failureStreak > 0) {
          this.logger.info({ attempts: this.failureStreak }, 'access-log events are being sent again');
          this.failureStreak = 0;
        }
        await this.acknowledge(batch);
        this.sentCount += batch.events.length;
        this.resolveWaiters();
      }
    } finally {
      this.sending = false;
    }
    // An emit that came while the loop was deciding it had nothing left must not be stranded.
    if (!this.halted && this.hasWork()) this.startSending();
  }

  /** Events to send: in memory, or in the spool while it is in use (after close it stays on disk). */
  private hasWork(): boolean {
    return this.buffer.length > 0 || (this.spool !== null && this.inSpool > 0);
  }

  /** The spool's head while it holds events, else the buffer's; null when both are empty. */
  private async nextBatch(): Promise<InFlight | null> {
    if (this.spool !== null && this.inSpool > 0) {
      const read = await this.spool.read(this.maxBatch);
      if (read.events.length === 0 && this.appending === 0) {
        this.inSpool = 0; // nothing left on disk: the counter only lagged a dropped write
        return this.buffer.length > 0 ? this.nextBatch() : null;
      }
      return { events: read.events, fromSpool: read, spooled: false };
    }
    if (this.buffer.length === 0) return null;
    // Marked in flight at once (not after an await): a spill in between must see it to keep the order.
    this.inFlight = { events: this.takeBatch(), fromSpool: null, spooled: false };
    return this.inFlight;
  }

  /** Removes a sent batch from the spool (only now: until the send resolved it stays there). */
  private async acknowledge(batch: InFlight): Promise<void> {
    const spool = this.spool;
    if (spool === null) return;
    if (batch.fromSpool !== null) {
      await spool.ack(batch.fromSpool);
      this.inSpool -= batch.events.length;
    } else if (batch.spooled) {
      // The batch heads the spool (written there while it flew): skip past the copies.
      const head = await spool.read(batch.events.length);
      let same = 0;
      while (same < head.events.length && head.events[same]?.id === batch.events[same]?.id) same += 1;
      const copies = same === head.events.length ? head : await spool.read(same);
      if (same > 0) await spool.ack(copies);
      this.inSpool -= same;
    }
  }

  private sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, milliseconds);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
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
    const settled = this.settled();
    for (const waiter of this.waiters) {
      if (settled >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}

export function createAccessLogEmitter(options: AccessLogEmitterOptions): AccessLogEmitter {
  return new AccessLogEmitter(options);
}
