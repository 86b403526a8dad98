export * from './analytics-migration.runner';
export {
  type AnalyticsAdapter,
  type AnalyticsConfig,
  type AnalyticsLogger,
  type AnalyticsStoreOptions,
  type ClickHouseAnalyticsStore,
  createAnalyticsStore,
  createAnalyticsStoreFromConfig,
} from './analytics-store.adapter';
export {
  type AnalyticsOperation,
  type AnalyticsStoreErrorDetails,
  AnalyticsMigrationError,
  AnalyticsStoreError,
} from './analytics-store.error';
export * from './usage-offsets.query';
