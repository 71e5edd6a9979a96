import { defineConfig } from 'vitest/config';

// `npm run soak`: test/soak against its own Temporal (SOAK_PROFILE=dev|cluster), which it restarts
// mid-run; never part of `npm test`. Results in .bench/soak.json.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 900_000,
    teardownTimeout: 60_000,
  },
});
