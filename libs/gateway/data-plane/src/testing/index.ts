export * from './in-memory-counters';
export * from './recording-event-log-producer';
export * from './snapshot-fixture';
