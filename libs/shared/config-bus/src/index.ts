export * from './config-bus.factory';
export * from './config-bus.port';
export * from './in-process-config-bus.adapter';
export * from './redis-config-bus.adapter';
