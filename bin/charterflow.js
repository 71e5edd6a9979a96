#!/usr/bin/env node
// Entry point of the `charterflow` command: loads the TypeScript sources through tsx.
import { spawnSync } from 'node:child_process';
import module from 'node:module';

if (typeof module.register === 'function') {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../client/cli.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  // Node < 20.6 has no module.register: re-run under tsx's loader flag.
  const result = spawnSync(process.execPath, ['--loader', 'tsx', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
