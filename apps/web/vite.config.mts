import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Alias } from 'vite';

const webRoot = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(webRoot, '..', '..');

/**
 * The monorepo's `@tollgate/*` path aliases, so forms validate with the API's own zod schemas.
 * Only what the web app imports is bundled; it must import browser-safe entries only
 * (`@tollgate/plans-domain`, `@tollgate/plans-portal/inputs`, `@tollgate/errors`).
 */
function monorepoAliases(): Alias[] {
  const base = JSON.parse(readFileSync(resolve(repositoryRoot, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return Object.entries(base.compilerOptions.paths).map(([name, [target]]) => ({
    find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
    replacement: resolve(repositoryRoot, target),
  }));
}

// Vite loads its configuration from the default export.
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  resolve: { alias: monorepoAliases() },
  build: {
    outDir: resolve(repositoryRoot, 'dist', 'web'),
    emptyOutDir: true,
    sourcemap: true,
    // The largest chunk is the shared schema and chart code (zod, recharts), about 680 kB before gzip.
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npx vite apps/web` during development: API calls go to a running `npm start`.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
