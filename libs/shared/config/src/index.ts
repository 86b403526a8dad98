export * from './apps';
export * from './areas';
export * from './config-error';
export * from './parse-config';
export * from './variables';
