import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests run against the packages' TypeScript sources: `@dynamojs/<name>` resolves to
// packages/<name>/src/index.ts. The built dist/ is checked separately by scripts/check-packages.mjs.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@dynamojs\/([a-z0-9-]+)$/,
        replacement: `${root}packages/$1/src/index.ts`,
      },
      {
        find: /^@dynamojs\/([a-z0-9-]+)\/([a-z0-9-]+)$/,
        replacement: `${root}packages/$1/src/$2.ts`,
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
