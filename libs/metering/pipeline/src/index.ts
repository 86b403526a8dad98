export * from './metering-processor';
export * from './usage-queries';
