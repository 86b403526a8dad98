export * from './billing-links.port';
export * from './create-plans-http-app';
export * from './plans-http.module';
export * from './plans-http.tokens';
export * from './snapshot-cache';
export * from './scheduled-subscription-changes';
