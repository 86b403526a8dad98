import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Drivers a type:domain lib must never import: domain code is framework- and I/O-free.
const drivers = [
  '@nestjs/*',
  '@prisma/*',
  'kafkajs',
  'ioredis',
  'bullmq',
  '@clickhouse/client',
  'chdb',
  'stripe',
  'pg',
  'undici',
  'nodemailer',
  '@electric-sql/*',
];

export default [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.data/**',
      '.nx/**',
      'libs/shared/relational/src/generated/**',
      'apps/web/dist/**',
      'infra/kafka/lib/**',
      'test/browser/artifacts/**',
      'bench/results/**',
    ],
  },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:domain', 'type:infra', 'type:util', 'type:ui'],
            },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain', 'type:infra', 'type:util'] },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:util'],
              bannedExternalImports: drivers,
            },
            {
              sourceTag: 'type:util',
              onlyDependOnLibsWithTags: ['type:util'],
              bannedExternalImports: drivers,
            },
            { sourceTag: 'type:ui', onlyDependOnLibsWithTags: ['type:ui', 'type:util', 'type:domain'] },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // plans serves the usage API, which reads what metering wrote, and the portal's
            // estimates and spend caps, priced by the rating engine (a pure domain lib)
            {
              sourceTag: 'scope:plans',
              onlyDependOnLibsWithTags: ['scope:plans', 'scope:metering', 'scope:shared', 'scope:rating'],
            },
            { sourceTag: 'scope:metering', onlyDependOnLibsWithTags: ['scope:metering', 'scope:shared'] },
            // the plans app also composes the billing provider's links (Checkout, Customer Portal)
            {
              sourceTag: 'scope:plans-app',
              onlyDependOnLibsWithTags: [
                'scope:plans',
                'scope:metering',
                'scope:shared',
                'scope:rating',
                'scope:billing',
              ],
            },
            // billing prices what plans define and metering measured
            {
              sourceTag: 'scope:billing',
              onlyDependOnLibsWithTags: ['scope:billing', 'scope:plans', 'scope:metering', 'scope:shared'],
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
];
