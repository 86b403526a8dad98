export * from './api-key';
export * from './prefixed-id';
export * from './uuid-v7';
