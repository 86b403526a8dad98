export * from './usage-event-row';
export * from './usage-summary';
export * from './meter-definition';
