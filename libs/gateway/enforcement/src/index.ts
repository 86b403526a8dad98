export * from './rate-limit-fields';
export * from './spend-cap';
