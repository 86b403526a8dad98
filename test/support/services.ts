import { Client } from 'pg';

/** The real services the integration tests use (the same defaults as `npm run services:up`). */
export const postgresUrl = process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const kafkaBrokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
export const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Runs `work` with a connection to the maintenance database (to create and drop test databases). */
export async function withPostgres<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The URL of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
