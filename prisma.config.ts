import { defineConfig } from 'prisma/config';

// Used only by the Prisma CLI (generate, migrate diff/dev). The running product applies the
// committed SQL in prisma/migrations itself and never needs the CLI.
// Prisma reads the default export.
// eslint-disable-next-line no-restricted-syntax
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/tollgate_dev' },
});
