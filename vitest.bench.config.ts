import { defineConfig } from 'vitest/config';

// `npm run bench`: the same real dev server as the tests, but only test/bench, one file at a time
// so measurements do not compete with each other for the cores of a small machine.
export default defineConfig({
  test: {
    include: ['test/bench/**/*.bench.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
