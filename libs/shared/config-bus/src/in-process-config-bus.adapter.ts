import { EventEmitter } from 'node:events';
import { DependencyUnavailableError } from '@tollgate/errors';
import { type Logger } from '@tollgate/observability';
import { type ConfigBus, type ConfigVersionListener } from './config-bus.port';

export interface InProcessConfigBusOptions {
  /** Where a throwing listener is reported. */
  logger?: Logger;
}

const VERSION = 'version';

/** A bus inside one process (embedded mode): listeners run synchronously during publish(). */
export class InProcessConfigBus implements ConfigBus {
  private readonly emitter = new EventEmitter();
  private closed = false;

  constructor(private readonly options: InProcessConfigBusOptions = {}) {
    this.emitter.setMaxListeners(0); // one per subscriber, not a leak
  }

  async publish(version: string): Promise<void> {
    this.assertOpen();
    this.emitter.emit(VERSION, version);
  }

  async subscribe(listener: ConfigVersionListener): Promise<() => Promise<void>> {
    this.assertOpen();
    // Isolate listeners: one that throws must not keep the others from hearing the version.
    const guarded = (version: string): void => {
      try {
        listener(version);
      } catch (error) {
        this.options.logger?.error({ err: error, version }, 'config bus listener failed');
      }
    };
    this.emitter.on(VERSION, guarded);
    return async () => {
      this.emitter.off(VERSION, guarded);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
  }

  private assertOpen(): void {
    if (this.closed) throw new DependencyUnavailableError('config bus', new Error('the bus is closed'));
  }
}
