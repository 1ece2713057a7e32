// The README's jest recipe for NestJS 12 apps ("jest in a NestJS 12 app"), as written there.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Fastify apps only: @fastify/middie (CommonJS, under @nestjs/platform-fastify 12.6+) requires the
// ESM-only path-to-regexp 9, which jest cannot require() before Node 24.9. Give it the CommonJS
// path-to-regexp 8 that @nestjs/platform-fastify depends on itself (the same parse/pathToRegexp API).
const pathToRegexp = createRequire(require.resolve('@nestjs/platform-fastify')).resolve('path-to-regexp');

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  rootDir: 'src',
  testMatch: ['**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1', // TypeScript's NodeNext imports end in .js, the files in .ts
    '^path-to-regexp$': pathToRegexp,
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/../tsconfig.json' }] },
  setupFiles: ['reflect-metadata'],
};
