export * from './access-log-event';
export * from './usage-header';
export * from './quota-event';
