/** Called with each published config version; must not throw (errors are logged and dropped). */
export type ConfigVersionListener = (version: string) => void;

/**
 * Announces that a new configuration version exists (the plans service publishes the gateway
 * snapshot's version after every write). It carries only the version, not the config: a receiver
 * that does not hold that version pulls it. Delivery is at most once; receivers also resync
 * periodically, so a message lost during an outage only delays propagation.
 */
export interface ConfigBus {
  /** Hands the version to every subscriber of the bus (in every process, for a shared bus). */
  publish(version: string): Promise<void>;
  /**
   * Resolves once the listener will receive every version published from then on; resolves with
   * a function that stops the delivery to this listener.
   */
  subscribe(listener: ConfigVersionListener): Promise<() => Promise<void>>;
  /** Ends every subscription and releases connections; later calls reject. */
  close(): Promise<void>;
}
