export * from './logger';
export * from './metrics';
export * from './ops-server';
export * from './readiness';
export * from './shutdown';
export * from './nest-ops-app';
export * from './run-app';
