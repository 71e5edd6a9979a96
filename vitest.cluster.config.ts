import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the test/cluster tier against the production-shaped cluster (PostgreSQL
// from Debian's packages, the Temporal server built into .tools/). Not part of `npm test`, which
// installs neither; `.ci/run` installs both and runs this tier explicitly.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
    teardownTimeout: 60_000,
  },
});
