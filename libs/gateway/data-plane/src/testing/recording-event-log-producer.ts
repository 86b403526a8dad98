import { type AccessLogEvent } from '@tollgate/access-log';
import { type EventLogProducer, type OutgoingMessage } from '@tollgate/ports';

/** An EventLogProducer that keeps what it is sent, and can be told to fail the next sends. */
export class RecordingEventLogProducer implements EventLogProducer {
  readonly sends: Array<{ topic: string; messages: OutgoingMessage[] }> = [];
  private failuresLeft = 0;
  private readonly waiters: Array<{ count: number; topic: string; resolve: () => void }> = [];

  /** The next `count` sends reject without recording anything. */
  failNext(count: number): void {
    this.failuresLeft = count;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('event log unavailable (test double set to fail)');
    }
    this.sends.push({ topic, messages: [...messages] });
    for (const waiter of [...this.waiters]) {
      if (this.messages(waiter.topic).length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  async close(): Promise<void> {}

  messages(topic: string): OutgoingMessage[] {
    return this.sends.filter((send) => send.topic === topic).flatMap((send) => send.messages);
  }

  /** The access-log events sent to a topic, parsed. */
  events(topic: string): AccessLogEvent[] {
    return this.messages(topic).map((message) => JSON.parse(message.value) as AccessLogEvent);
  }

  /** Resolves once at least `count` messages have been sent to the topic. */
  waitForMessages(topic: string, count: number): Promise<void> {
    if (this.messages(topic).length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, topic, resolve }));
  }
}
