import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appConfigSchemas, variableMeta } from '@tollgate/config';
import { format, resolveConfig } from 'prettier';
import { type z } from 'zod';

/**
 * Regenerates the configuration table in README.md from the config schemas.
 * `--check` exits non-zero when the README is out of date (run by npm test).
 */
const begin = '<!-- config-table:begin -->';
const end = '<!-- config-table:end -->';

interface Row {
  name: string;
  description: string;
  defaultValue: string;
  secret: boolean;
  apps: string[];
}

function defaultOf(field: z.ZodType): string {
  const def = (field as unknown as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
  if (def.type === 'default') {
    const value =
      typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
    return `\`${String(value)}\``;
  }
  return def.type === 'optional' ? '(unset)' : '**required**';
}

export function configTable(): string {
  const rows = new Map<string, Row>();
  for (const [app, schema] of Object.entries(appConfigSchemas)) {
    for (const [name, field] of Object.entries(schema.shape)) {
      const existing = rows.get(name);
      if (existing) {
        existing.apps.push(app);
        continue;
      }
      const meta = variableMeta(field as z.ZodType);
      rows.set(name, {
        name,
        description: meta?.description ?? '',
        defaultValue: defaultOf(field as z.ZodType),
        secret: meta?.secret === true,
        apps: [app],
      });
    }
  }
  const lines = [
    '| variable | default | apps | description |',
    '| --- | --- | --- | --- |',
    ...[...rows.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(
        (row) =>
          `| \`${row.name}\`${row.secret ? ' (secret)' : ''} | ${row.defaultValue} | ${row.apps.join(', ')} | ${row.description} |`,
      ),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const readmePath = join(__dirname, '..', 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`README.md has no ${begin} … ${end} block`);
  const replaced = `${readme.slice(0, from + begin.length)}\n${configTable()}\n${readme.slice(to)}`;
  // Formatted as Prettier would, so `prettier --check` and this check agree.
  const updated = await format(replaced, { ...(await resolveConfig(readmePath)), filepath: readmePath });
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      process.stderr.write('README.md configuration table is out of date: run `npm run docs:config`.\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(readmePath, updated);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
