import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@tollgate/observability';
import { createPlansHttpApp, openApiDocument, type PlansHttpDependencies } from '@tollgate/plans-http';
import { format, resolveConfig } from 'prettier';

/**
 * Writes the control plane's OpenAPI document to docs/openapi.json; `--check` fails when the
 * committed file differs (run by npm test). Only route metadata is read: no dependency is called.
 */
async function main(): Promise<void> {
  const path = join(__dirname, '..', 'docs', 'openapi.json');
  const unused = new Proxy({}, { get: () => undefined }) as PlansHttpDependencies;
  const app = await createPlansHttpApp(unused, { logger: createLogger({ app: 'openapi', level: 'silent' }) });
  const document = openApiDocument(app);
  await app.close();
  const text = await format(JSON.stringify(document), { ...(await resolveConfig(path)), filepath: path });
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(path, 'utf8');
    } catch {
      committed = '';
    }
    if (committed !== text) {
      process.stderr.write('docs/openapi.json is out of date: run `npm run openapi`.\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(path, text);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
