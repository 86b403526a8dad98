import { type QuotaEvent, quotaEventId } from '@tollgate/access-log';
import { type Logger } from '@tollgate/observability';
import { type EventLogProducer } from '@tollgate/ports';

export interface QuotaEventSink {
  /** Hands an event over; never throws and never blocks the request. */
  publish(event: Omit<QuotaEvent, 'id'>): void;
  /** Resolves when every event handed over is sent (or given up on). */
  flush(): Promise<void>;
}

export interface QuotaEventPublisherOptions {
  producer: EventLogProducer;
  topic: string;
  logger: Logger;
  /** Attempts per event before it is given up on (default 5; backoff 200 ms, doubling). */
  attempts?: number;
}

const maxRemembered = 50_000;

/**
 * Publishes quota threshold events, keyed by consumer, each (consumer, period, kind) once per node.
 * Sends are retried with backoff and then given up on with an error log: the billing worker also
 * re-checks usage from ClickHouse on a schedule, so a lost event delays an alert, never drops it.
 */
export class QuotaEventPublisher implements QuotaEventSink {
  private readonly sent = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly attempts: number;

  constructor(private readonly options: QuotaEventPublisherOptions) {
    this.attempts = options.attempts ?? 5;
  }

  publish(event: Omit<QuotaEvent, 'id'>): void {
    const id = quotaEventId(event.consumerId, event.periodStart, event.type, event.threshold);
    if (this.sent.has(id)) return;
    if (this.sent.size >= maxRemembered) this.sent.clear();
    this.sent.add(id);
    const sending = this.send({ id, ...event }).finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async send(event: QuotaEvent): Promise<void> {
    const message = { key: event.consumerId, value: JSON.stringify(event), headers: { type: event.type } };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.options.producer.send(this.options.topic, [message]);
        return;
      } catch (error) {
        if (attempt >= this.attempts) {
          this.options.logger.error({ err: error, eventId: event.id }, 'quota event could not be sent');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      }
    }
  }
}
