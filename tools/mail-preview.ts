import { join } from 'node:path';
import { writeMailPreviews } from '@tollgate/billing-worker';

/** Renders every notice with sample data into tmp/mail-preview/ (HTML and text) to look at them. */
async function main(): Promise<void> {
  const directory = join(__dirname, '..', 'tmp', 'mail-preview');
  const files = await writeMailPreviews(directory);
  process.stdout.write(`${files.length} files written to ${directory}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
