#!/usr/bin/env node
// Entry point of the `charterflow` command. The installed package (and the container image) runs the
// compiled code in dist/ (`npm run build`); a source checkout runs the TypeScript sources through tsx,
// a dev dependency, so `npm start` always runs what is on disk, built or not.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';

const sources = new URL('../client/cli.ts', import.meta.url);
const compiled = new URL('../dist/client/cli.js', import.meta.url);

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined; // production install: no dev dependencies
  }
}

const tsx = existsSync(sources) ? await loadTsx() : undefined;
if (tsx && typeof module.register === 'function') {
  tsx.register();
  const { main } = await import(sources.href);
  process.exitCode = await main(process.argv.slice(2));
} else if (tsx) {
  // Node < 20.6 has no module.register: re-run under tsx's loader flag.
  const result = spawnSync(process.execPath, ['--loader', 'tsx', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
} else if (existsSync(compiled)) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.stderr.write(
    'charterflow: neither the compiled code (dist/, `npm run build`) nor tsx for the sources (`npm install`) is here.\n',
  );
  process.exitCode = 1;
}
