// Worker Versioning on the real dev server: builds are worker deployment versions, a trip started on
// build A moves to build B when B becomes current (AUTO_UPGRADE) and completes there, a routing run
// is pinned to its build, and the replay gate refuses a build whose change would break open runs.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import protoModule from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createCharterWorkers } from '../../workers/charter-workers.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workerDeploymentOptionsFor } from '../../workers/versioning.ts';
import { writeWorkflowBundle } from '../../workers/workflow-bundle.ts';
import { selectQuote } from '../../workflows/contract.ts';
import { NEW_STEP_PATCH } from '../fixtures/workflows/next-build-compatible.ts';
import {
  FakeAvinode,
  HISTORIES_DIR,
  historyFromFixture,
  oneWay,
  setupTemporal,
  startTrip,
  waitForProgress,
  type TemporalEnv,
  type TripHandle,
} from './support.ts';

const { VersioningBehavior } = protoModule.temporal.api.enums.v1;
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/workflows/${name}`, import.meta.url));
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

let env: TemporalEnv;
let dir: string;
let buildA: string;
let buildB: string;
let incompatible: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await setupTemporal();
  dir = mkdtempSync(join(tmpdir(), 'charterflow-versions-'));
  // Each build bundled the way `npm run build` does it, and loaded by its worker from the file.
  buildA = (await writeWorkflowBundle(join(dir, 'build-a.js'))).path;
  buildB = (await writeWorkflowBundle(join(dir, 'build-b.js'), { workflowsPath: fixture('next-build-compatible.ts') }))
    .path;
  incompatible = await bundleWorkflowCode({ workflowsPath: fixture('next-build-incompatible.ts'), logger: quiet });
});

afterAll(async () => {
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startVersionedWorker(
  taskQueue: string,
  deploymentName: string,
  buildId: string,
  codePath: string,
  fake: FakeAvinode,
) {
  const workers = await createCharterWorkers({
    connection: env.nativeConnection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: { codePath },
    activities: fake.activities(),
    workerDeploymentOptions: workerDeploymentOptionsFor({ deploymentName, buildId }),
  });
  const running = workers.run();
  return { worker: workers.main, stop: async () => (workers.shutdown(), await running) };
}

/** What an operator does with `temporal worker deployment set-current-version`; the version registers once its worker polls. */
async function makeCurrent(deploymentName: string, buildId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await env.client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: inject('temporalNamespace'),
        deploymentName,
        buildId,
        identity: 'upgrade-test',
      });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function versioningOf(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: info?.behavior ?? VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED,
    buildId: info?.deploymentVersion?.buildId ?? undefined,
  };
}

/** Build ids of the workers that completed each workflow task, in history order. */
async function buildsThatRan(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const buildId = event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId;
    return buildId ? [buildId] : [];
  });
}

/** Ends a run whose every lift answered, whether the code ends it by itself or waits for the broker's choice. */
async function finish(handle: TripHandle) {
  const progress = await waitForProgress(
    handle,
    (p) => p.phase === 'completed' || p.phase === ('awaiting_selection' as string),
    'every lift answered',
  );
  if (progress.phase !== 'completed')
    await handle.executeUpdate(selectQuote, { args: [{ quoteId: progress.quotes[0]!.quoteId }] });
  return await handle.result();
}

describe('worker versioning', () => {
  it('moves a trip started on build A to build B once B is current, and it completes there', async () => {
    const fake = new FakeAvinode();
    const taskQueue = `versions-${randomUUID()}`;
    const deploymentName = `charterflow-${randomUUID().slice(0, 8)}`;
    const a = await startVersionedWorker(taskQueue, deploymentName, 'build-a', buildA, fake);
    let b: Awaited<ReturnType<typeof startVersionedWorker>> | undefined;
    try {
      await makeCurrent(deploymentName, 'build-a');
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [rfqId] = fake.sendRfqs(started.atripId, 1);
      await waitForProgress(handle, (p) => p.phase === 'collecting_quotes', 'collecting_quotes on build A');
      expect(await versioningOf(handle)).toEqual({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
        buildId: 'build-a',
      });

      // The deploy: B starts polling, becomes current, A goes away while the trip is still open.
      b = await startVersionedWorker(taskQueue, deploymentName, 'build-b', buildB, fake);
      await makeCurrent(deploymentName, 'build-b');
      await a.stop();
      fake.quote(rfqId!, 28_400);
      const result = await finish(handle);

      expect(result.phase).toBe('completed');
      expect(result.quotes.map((quote) => quote.price)).toEqual([28_400]);
      expect((await versioningOf(handle)).buildId).toBe('build-b');
      const builds = await buildsThatRan(handle);
      expect(builds[0]).toBe('build-a');
      expect(builds.at(-1)).toBe('build-b');
      // B replayed A's history past its new step: the run from A never took it.
      expect((await handle.describe()).memo?.startedOnBuild).toBeUndefined();

      // A trip started on B takes the new step, recorded by its patch marker.
      const next = await startTrip(env, taskQueue, oneWay());
      fake.sendRfqs(next.started.atripId, 1).forEach((id) => fake.quote(id, 31_000));
      await finish(next.handle);
      expect((await next.handle.describe()).memo?.startedOnBuild).toBe('B');
      const history = await next.handle.fetchHistory();
      expect(JSON.stringify(history.events?.filter((event) => event.markerRecordedEventAttributes))).toContain(
        Buffer.from(JSON.stringify(NEW_STEP_PATCH)).toString('base64'),
      );
    } finally {
      await b?.stop();
      if (a.worker.getState() === 'RUNNING') await a.stop();
    }
  });

  it('pins a routing run to the build that started it', async () => {
    const fake = new FakeAvinode();
    const taskQueue = `versions-${randomUUID()}`;
    const deploymentName = `charterflow-${randomUUID().slice(0, 8)}`;
    const a = await startVersionedWorker(taskQueue, deploymentName, 'build-a', buildA, fake);
    try {
      await makeCurrent(deploymentName, 'build-a');
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [rfqId] = fake.sendRfqs(started.atripId, 1);
      const routing = await env.client.workflow.start('avinodeEventWorkflow', {
        workflowId: `avinode-event-TripRequestSellerResponse-${rfqId}`,
        taskQueue,
        args: [fake.event('TripRequestSellerResponse', rfqId!)],
      });
      expect(await routing.result()).toMatchObject({ outcome: 'signalled', workflowId: started.workflowId });
      // Its line in the Web UI names the trip it routed to (current details, answered by the worker).
      const metadata = await routing.query<{ currentDetails: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain(`→ ${started.workflowId} (${started.tripId}): signalled`);
      expect(await versioningOf(routing)).toEqual({
        behavior: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
        buildId: 'build-a',
      });
      expect((await versioningOf(handle)).behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
      await handle.terminate('test over');
    } finally {
      await a.stop();
    }
  });
});

describe('the replay gate', () => {
  const tripFixtures = readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json') && !file.startsWith('avinode-event'))
    .map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromFixture(readFileSync(join(HISTORIES_DIR, file), 'utf8')),
    }));

  async function replayFailures(workflowBundle: WorkflowBundleWithSourceMap | { codePath: string }): Promise<string[]> {
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, tripFixtures))
      if (result.error) failures.push(result.workflowId);
    return failures;
  }

  it('passes a compatible build: every recorded trip history replays on build B', async () => {
    expect(tripFixtures.length).toBeGreaterThanOrEqual(3);
    expect(await replayFailures({ codePath: buildB })).toEqual([]);
  });

  it('catches an incompatible build: a new unpatched step fails the replay of every recorded trip', async () => {
    expect((await replayFailures(incompatible)).sort()).toEqual(tripFixtures.map((f) => f.workflowId).sort());
  });
});
