export type MigrationErrorCode =
  'migrations_not_found' | 'checksum_mismatch' | 'failed_migration' | 'migration_failed' | 'lock_timeout';

/** Why the schema could not be brought up to date; the process should not start serving. */
export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly migrationName?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}
