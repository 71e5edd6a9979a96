// Determinism guard: every recorded history in test/fixtures/histories replays against the current
// workflow code. The existing fixtures stand for runs recorded by earlier code: never re-record them.
// After an intentional, patched change, record its new behaviour under new names (RECORD_HISTORIES=1
// with a file or -t filter, so only the new tests write).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTORIES_DIR, historyFromFixture } from './support.ts';

const fixtures = readdirSync(HISTORIES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort();

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
});

describe('recorded workflow histories', () => {
  it('include at least three fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(3);
  });

  it('replay against the current workflow code without a determinism error', async () => {
    const histories = fixtures.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromFixture(readFileSync(`${HISTORIES_DIR}${file}`, 'utf8')),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  });

  it('detect a history that does not match the code', async () => {
    const [first] = fixtures;
    const history = historyFromFixture(readFileSync(`${HISTORIES_DIR}${first}`, 'utf8'));
    // Drop the first activity scheduled by the run: the code will schedule it, the history will not.
    const index = history.events.findIndex((event) => event.activityTaskScheduledEventAttributes);
    expect(index).toBeGreaterThan(0);
    history.events = history.events.slice(0, index).concat(history.events.slice(index + 3));
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'tampered')).rejects.toThrow();
  });
});
