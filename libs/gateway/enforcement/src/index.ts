export * from './rate-limit-fields';
