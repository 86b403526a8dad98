export * from './counters.factory';
export * from './memory-counters.adapter';
export * from './redis-counters.adapter';
export * from './gcra';
export * from './failover-counters';
