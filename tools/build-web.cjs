// Builds the web app (apps/web → dist/web) when the build is missing or older than its sources.
// Runs before `npm start` (prestart) and before the integration and browser tests, so a fresh
// clone serves /portal and /admin after `npm install` alone. `--force` always builds.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const output = join(root, 'dist', 'web', 'index.html');
// The web app and the browser-safe libs whose zod schemas its forms import.
const sources = [
  'apps/web/src',
  'apps/web/index.html',
  'apps/web/vite.config.mts',
  'apps/web/postcss.config.cjs',
  'libs/plans/domain/src',
  'libs/metering/domain/src',
  'libs/shared/billing-period/src',
  'libs/shared/errors/src',
  'libs/billing/rating/src',
  'libs/metering/domain/src',
  'libs/plans/portal/src/portal-inputs.ts',
  'tsconfig.base.json',
  'package-lock.json',
];

function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

function isUpToDate() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((source) => newestChange(join(root, source)) <= built);
}

if (!process.argv.includes('--force') && isUpToDate()) {
  console.log('web app: dist/web is up to date');
  process.exit(0);
}

console.log('web app: building dist/web (vite build apps/web)');
const result = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'apps/web', '--logLevel', 'warn'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (result.status !== 0) {
  console.error('web app: the build failed');
  process.exit(result.status ?? 1);
}
