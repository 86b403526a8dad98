import { createAnalyticsStoreFromConfig, migrateAnalytics } from '@tollgate/analytics';
import { analyticsArea, dataDirArea, logArea, parseConfig, relationalArea } from '@tollgate/config';
import { createLogger } from '@tollgate/observability';
import { createRelationalStoreFromConfig } from '@tollgate/relational';
import { z } from 'zod';

/** `npm run migrate`: applies the PostgreSQL (Prisma) and ClickHouse migrations, then exits. */
const schema = z.object({
  ...logArea.shape,
  ...relationalArea.shape,
  ...analyticsArea.shape,
  ...dataDirArea.shape,
});

async function main(): Promise<void> {
  const config = parseConfig('migrate', schema);
  const logger = createLogger({ app: 'migrate', level: config.LOG_LEVEL });
  const relational = await createRelationalStoreFromConfig(config, logger);
  await relational.close();
  const analytics = await createAnalyticsStoreFromConfig(config, logger);
  const { applied } = await migrateAnalytics(analytics);
  await analytics.close();
  logger.info({ clickhouse: applied }, 'migrations applied');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
