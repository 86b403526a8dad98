import { createHash } from 'node:crypto';

/**
 * The checksum Prisma Migrate stores in `_prisma_migrations.checksum`: the SHA-256 of the
 * migration script, as 64 lowercase hex digits.
 */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/** Hex without zero padding, the format old schema engines wrote (prisma-engines#1887). */
function unpaddedHex(script: string): string {
  return Array.from(createHash('sha256').update(script, 'utf8').digest(), (byte) => byte.toString(16)).join(
    '',
  );
}

/**
 * Whether `script` matches a recorded checksum, with the same tolerance as Prisma Migrate: a
 * checkout that converted LF to CRLF (or back) still matches, and so do checksums written by
 * old engines without zero padding.
 */
export function scriptMatchesChecksum(script: string, recorded: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  const render = recorded.length > 0 && recorded.length !== 64 ? unpaddedHex : migrationChecksum;
  return variants.some((variant) => render(variant) === recorded);
}
