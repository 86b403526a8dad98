export * from './api-client';
export * from './copy-field';
export * from './format';
export * from './forms';
export * from './layout-shell';
export * from './states';
export * from './use-resource';
