// One Jest run, three tiers. Unit tests are pure; contract and integration tests reach real services.
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
  // ESM-only packages reached through CommonJS ones (@fastify/static → content-disposition):
  // Node loads them with require(esm); Jest needs them compiled.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
  // The web app's pure modules have `*.spec.ts` unit tests; the rest of apps/web (components,
  // the Vite build) stays out of Jest.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/apps/web/(?!src/.*\\.spec\\.ts$)'],
};

module.exports = {
  // Per-project testTimeout is ignored by Jest; integration specs raise it themselves.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'contract',
      testMatch: ['<rootDir>/libs/**/*.contract-spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
    },
  ],
};
