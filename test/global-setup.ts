// One real Temporal dev server per test run; test files read its address with inject('temporalAddress').
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../workers/dev-server.ts';
import { ensureTemporalCli } from '../workers/temporal-cli.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalCliPath: string;
    /** The dev server's process id (the benchmarks read its CPU time from /proc). */
    temporalPid: number;
  }
}

export default async function setup(project: TestProject) {
  const cliPath = await ensureTemporalCli({ progress: (line) => process.stderr.write(`[temporal] ${line}\n`) });
  const dir = mkdtempSync(join(tmpdir(), 'charterflow-test-'));
  const started = Date.now();
  const server = await startDevServer({
    cliPath,
    headless: true,
    dbFilename: join(dir, 'temporal.sqlite'),
    readyTimeoutMs: 90_000,
  });
  process.stderr.write(`[temporal] dev server ready at ${server.address} in ${Date.now() - started} ms\n`);
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalCliPath', cliPath);
  project.provide('temporalPid', server.pid);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
