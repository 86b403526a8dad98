import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { AnalyticsStoreError } from './analytics-store.error';

export type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/**
 * libchdb runs one ClickHouse engine per process, bound to one data directory: a second directory
 * is refused while any connection to the first is open (measured with chdb 3.4). Several
 * connections to the same directory coexist, and each keeps its own session state (`USE`, `SET`),
 * so every store gets its own connection and only the directory is shared.
 */
let bound: { directory: string; connections: number } | undefined;

export interface ChdbLease {
  connection: ClientConnection;
  /** Call after the client holding the connection is closed. */
  release: () => void;
}

export function openChdbConnection(dataDirectory: string): ChdbLease {
  const directory = resolve(dataDirectory);
  if (bound && bound.directory !== directory) {
    throw new AnalyticsStoreError(
      `chDB is already open at ${bound.directory} in this process and cannot also open ${directory}: ` +
        'the embedded engine binds one data directory per process; close every analytics store first',
      { operation: 'connect' },
    );
  }
  mkdirSync(directory, { recursive: true });
  let connection: ClientConnection;
  try {
    // chDB re-exports `@clickhouse/client-common`'s Connection type while `@clickhouse/client` bundles
    // its own copy; the shapes are the same contract, the declarations are not the same symbols.
    connection = createChdbConnection({ path: directory }) as unknown as ClientConnection;
  } catch (error) {
    throw new AnalyticsStoreError(
      `chDB could not open ${directory}: ${error instanceof Error ? error.message : String(error)} ` +
        '(one process per chDB data directory: is another Tollgate process using it?)',
      { operation: 'connect' },
      { cause: error },
    );
  }
  bound = { directory, connections: (bound?.connections ?? 0) + 1 };
  let released = false;
  return {
    connection,
    release: () => {
      if (released || !bound) return;
      released = true;
      bound.connections -= 1;
      if (bound.connections === 0) bound = undefined;
    },
  };
}
