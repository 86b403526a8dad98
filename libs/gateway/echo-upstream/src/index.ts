export * from './echo-upstream';
