import { type ClientConfig } from 'pg';

export interface ConnectionOptions {
  config: ClientConfig;
  /** Prisma's `?schema=` URL parameter, which `pg` itself does not understand. */
  schema?: string;
}

/** `pg` settings for a Prisma-style PostgreSQL URL. */
export function connectionOptions(url: string): ConnectionOptions {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { config: { connectionString: parsed.toString() }, schema };
}
