// The import rules of eslint.config.js bite: wrong imports written into the folders they guard fail
// `npm run lint` with the rule that names the direction (ESLint's Node API, the repository's config).
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

/** `rule: message` of each problem ESLint reports for `code` as if it were the file at `filePath`. */
async function problemsOf(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the lint rules of the folder graph', () => {
  it('keep Node built-ins, worker-side SDK packages and other packages out of workflow code', async () => {
    const problems = await problemsOf(
      'workflows/lint-probe.ts',
      [
        "import { readFileSync } from 'node:fs';",
        "import { randomUUID } from 'crypto';",
        "import { Context } from '@temporalio/activity';",
        "import { z } from 'zod';",
        "import { proxyActivities } from '@temporalio/workflow';",
        "import { WORKFLOW_ID_PREFIX } from './contract.ts';",
        'export const used = [readFileSync, randomUUID, Context, z, proxyActivities, WORKFLOW_ID_PREFIX];',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^no-restricted-imports: 'node:fs' .*Node built-ins/),
      expect.stringMatching(/^no-restricted-imports: 'crypto' .*Node built-ins/),
      expect.stringMatching(/^no-restricted-imports: '@temporalio\/activity' .*outside the workflow sandbox/),
      expect.stringMatching(/^no-restricted-imports: 'zod' .*pure modules/),
    ]);
  });

  it('let workflow code import activities as types only, and nothing of the platform', async () => {
    const problems = await problemsOf(
      'workflows/lint-probe.ts',
      [
        "import type { CharterActivities } from '../activities/index.ts';",
        "import { createActivities } from '../activities/index.ts';",
        "import { loadConfig } from '../platform/config.ts';",
        'export type A = CharterActivities;',
        'export const used = [createActivities, loadConfig];',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^boundaries\/dependencies: .*"workflows" to elements of type "activities"/),
      expect.stringMatching(/^boundaries\/dependencies: .*"workflows" to elements of type "platform"/),
    ]);
  });

  it('keep the emulator, the processes and the tests out of activities, which use the platform and the contract', async () => {
    const problems = await problemsOf(
      'activities/lint-probe.ts',
      [
        "import { startEmulator } from '../emulator/index.ts';",
        "import { startWorker } from '../workers/worker.ts';",
        "import { configErrorOf } from '../test/support.ts';",
        "import { loadConfig } from '../platform/config.ts';",
        "import { WORKFLOW_ID_PREFIX } from '../workflows/contract.ts';",
        'export const used = [startEmulator, startWorker, configErrorOf, loadConfig, WORKFLOW_ID_PREFIX];',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^boundaries\/dependencies: .*"activities" to elements of type "emulator"/),
      expect.stringMatching(/^boundaries\/dependencies: .*"activities" to elements of type "workers"/),
      expect.stringMatching(/^boundaries\/dependencies: .*"activities" to elements of type "test"/),
    ]);
  });

  it('let only the launchers load the emulator, and only lazily', async () => {
    const code = "export const load = () => import('../emulator/index.ts');\n";
    expect(await problemsOf('workers/start.ts', code)).toEqual([]);
    expect(await problemsOf('workers/lint-probe.ts', code)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: Only the launchers/),
    ]);
    expect(await problemsOf('workers/start.ts', "export { startEmulator } from '../emulator/index.ts';\n")).toEqual([
      expect.stringMatching(/^boundaries\/dependencies: .*"workers" to elements of type "emulator"/),
    ]);
  });

  it('keep the emulator on the platform and the contract, and the client library off the processes', async () => {
    expect(
      await problemsOf(
        'emulator/lint-probe.ts',
        "export { startWorker } from '../workers/worker.ts';\nexport { loadConfig } from '../platform/config.ts';\n",
      ),
    ).toEqual([expect.stringMatching(/^boundaries\/dependencies: .*"emulator" to elements of type "workers"/)]);
    expect(
      await problemsOf(
        'client/lint-probe.ts',
        "export { startWorker } from '../workers/worker.ts';\nexport { createAvinodeClient } from '../activities/avinode/client.ts';\n",
      ),
    ).toEqual([
      expect.stringMatching(/^boundaries\/dependencies: .*"client" to elements of type "workers"/),
      expect.stringMatching(/^boundaries\/dependencies: .*"client" to elements of type "activities"/),
    ]);
  });
});
