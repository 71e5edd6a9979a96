// `npm run bench [-- --quick] [vitest arguments]`: the benchmarks of test/bench on the suite's dev server.
//   --quick   BENCH_PROFILE=quick, and only the goals benchmark unless files are named: a fast check
//             while developing (figures are indicative; the README quotes the full profile)
// Everything else goes to vitest unchanged (e.g. a file name or `-t <test name>`).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rest = args.filter((arg) => arg !== '--quick');
const env = { ...process.env, ...(quick ? { BENCH_PROFILE: 'quick' } : {}) };
const files = quick && !rest.some((arg) => !arg.startsWith('-')) ? ['test/bench/goals.bench.ts'] : [];
const vitest = createRequire(import.meta.url).resolve('vitest/vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', '--config', 'vitest.bench.config.ts', ...files, ...rest], {
  env,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
