// Runs TypeScript sources directly (SWC, with decorator metadata and the tsconfig path aliases).
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.json');
require('@swc-node/register');
require('reflect-metadata');
