// Issue 11's stuck runs: a worker SIGKILLed while its run waits on the poll timer. A query sent then
// waits on the dead worker's sticky queue, falls through to the normal queue after the sticky
// schedule-to-start timeout, and reaches a worker that has never seen the run. That worker builds the
// run from a history that ends past the last workflow task (the poll timer has fired meanwhile) and
// runs the workflow on those events, on the clock of the last completed task. The real workflow task
// comes later and continues from that state; a replay sees the same events in one activation, on the
// clock of that task. The run must make the same decisions both ways. The order of events is driven
// (kill, then query, then the timer fires while the query waits) and checked from the history, so the
// test cannot pass without having built that situation.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protoModule from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { avinodeEvent, avinodeTaskQueueOf, getProgress } from '../../workflows/contract.ts';
import { waitUntil } from '../support.ts';
import {
  FakeAvinode,
  HISTORIES_DIR,
  historyToFixture,
  oneWay,
  setupTemporal,
  startTrip,
  type TemporalEnv,
} from './support.ts';

const { EventType } = protoModule.temporal.api.enums.v1;
type HistoryEvent = protoModule.temporal.api.history.v1.IHistoryEvent;

const WORKER_PROCESS = fileURLToPath(new URL('./workflow-worker-process.ts', import.meta.url));
/** The killed worker's sticky schedule-to-start timeout: how long the query and the task wait for it. */
const STICKY_TIMEOUT_MS = 6_000;
/** The poll timer the run waits on when its worker dies: it fires while the query waits. */
const POLL_MS = 2_500;

let env: TemporalEnv;
let dir: string;
let bundlePath: string;

beforeAll(async () => {
  env = await setupTemporal();
  dir = mkdtempSync(join(tmpdir(), 'charterflow-stale-query-'));
  bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, env.bundle.code);
});
afterAll(async () => {
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function spawnWorkflowWorker(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      WORKER_STICKY_TIMEOUT_MS: String(STICKY_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`workflow worker exited with ${code}:\n${stderr}`)));
  });
}

function sigkill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Waits until `check` gives a truthy value; the timeout only bounds a broken run. */
const waitFor = <T>(check: () => Promise<T>, what: string) =>
  waitUntil(check, () => what, { timeout: 40_000, interval: 50 });

/** The history as a new worker would replay it at its next task: through the commands of the last completed task. */
function upToLastCompletedTask(
  history: protoModule.temporal.api.history.v1.IHistory,
): protoModule.temporal.api.history.v1.IHistory {
  const events = history.events ?? [];
  let lastCompleted = events.length - 1;
  while (lastCompleted >= 0 && events[lastCompleted]!.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    lastCompleted--;
  const commandsUntil = events.findIndex(
    (event, index) => index > lastCompleted && !COMMAND_EVENTS.has(event.eventType!),
  );
  return { events: events.slice(0, commandsUntil === -1 ? events.length : commandsUntil) };
}
const COMMAND_EVENTS = new Set([
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  EventType.EVENT_TYPE_TIMER_CANCELED,
]);

const timeOf = (event: HistoryEvent) =>
  Number(event.eventTime!.seconds) * 1000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);

interface Scenario {
  /** A webhook lands after the timer fired, before the takeover worker's first task. */
  signal: boolean;
  fixture: string;
}

async function killWhileWaitingAndQuery({ signal, fixture }: Scenario): Promise<void> {
  const taskQueue = `wf-${randomUUID()}`;
  const fake = new FakeAvinode();
  const namespace = inject('temporalNamespace');
  // Activities in this process, on both queues (Avinode calls run on their own): only workflow tasks go to the killed one.
  const activityWorkers = await Promise.all(
    [taskQueue, avinodeTaskQueueOf(taskQueue)].map((queue) =>
      Worker.create({ connection: env.nativeConnection, namespace, taskQueue: queue, activities: fake.activities() }),
    ),
  );
  const activitiesRunning = Promise.all(activityWorkers.map((worker) => worker.run()));
  let sticky: ChildProcess | undefined = await spawnWorkflowWorker(taskQueue);
  let takeover: Worker | undefined;
  let takeoverRunning: Promise<void> | undefined;
  const request = oneWay({
    timing: { pollInitialMs: POLL_MS, pollMaxMs: POLL_MS, credentialRecheckMs: 200, continueAsNewAfterEvents: 0 },
  });
  const { handle, started } = await startTrip(env, taskQueue, request);
  try {
    const events = async () => (await handle.fetchHistory()).events ?? [];
    // The killed worker's last task started the poll timer; nothing else is pending.
    const timer = await waitFor(async () => {
      const last = (await events()).at(-1);
      return last?.eventType === EventType.EVENT_TYPE_TIMER_STARTED ? last : undefined;
    }, 'the run waiting on its poll timer');
    await sigkill(sticky);
    sticky = undefined;
    const querySentAt = Date.now();
    const query = handle.query(getProgress);
    takeover = await Worker.create({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      workflowBundle: env.bundle,
    });
    takeoverRunning = takeover.run();
    expect((await query).phase).toBe('awaiting_rfqs');
    const queryAnsweredAt = Date.now();

    let quoteId: string | undefined;
    if (signal) {
      // An operator answers: its webhook lands while the timed-out task is still on the dead worker's queue.
      const [rfqId] = fake.sendRfqs(started.atripId, 1);
      quoteId = fake.quote(rfqId!, 21_000);
      await handle.signal(avinodeEvent, fake.event('TripRequestSellerResponse', quoteId));
    }

    const fired = await waitFor(
      async () =>
        (await events()).find(
          (event) => Number(event.timerFiredEventAttributes?.startedEventId ?? 0) === Number(timer.eventId),
        ),
      'the poll timer to fire',
    );
    // The order this test is about: query sent, then the timer fired, then the query answered (by the
    // takeover worker, from a history that ends past the last workflow task).
    expect(timeOf(fired)).toBeGreaterThan(querySentAt);
    expect(timeOf(fired)).toBeLessThan(queryAnsweredAt);
    // The takeover worker carries on, through its own next poll timer.
    const history = await waitFor(async () => {
      const all = await handle.fetchHistory();
      const anchor = signal
        ? all.events?.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        : fired;
      const firedLater =
        anchor &&
        all.events?.find(
          (event) =>
            event.eventType === EventType.EVENT_TYPE_TIMER_FIRED && Number(event.eventId) > Number(anchor.eventId),
        );
      const handled =
        firedLater &&
        all.events?.some(
          (event) =>
            event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
            Number(event.eventId) > Number(firedLater.eventId),
        );
      return handled ? all : undefined;
    }, 'the takeover worker to reach its next poll timer and handle it');
    const timedOut = history.events!.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    expect(timedOut?.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(
      protoModule.temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
    );

    // What the next worker to take the run does: replay it.
    const replayed = upToLastCompletedTask(history);
    await expect(Worker.runReplayHistory({ workflowBundle: env.bundle }, replayed, fixture)).resolves.toBeUndefined();
    if (process.env.RECORD_HISTORIES === '1')
      writeFileSync(`${HISTORIES_DIR}${fixture}.json`, historyToFixture(replayed));
    if (quoteId) expect((await handle.query(getProgress)).quotes.map((quote) => quote.quoteId)).toEqual([quoteId]);
  } finally {
    await handle.terminate('test over').catch(() => undefined);
    if (sticky) await sigkill(sticky);
    if (takeover?.getState() === 'RUNNING') takeover.shutdown();
    await takeoverRunning?.catch(() => undefined);
    for (const worker of activityWorkers) worker.shutdown();
    await activitiesRunning;
  }
}

describe('a run whose worker is SIGKILLed while it waits for its poll timer, queried meanwhile', () => {
  it('replays its history when the timer fired before the query reached a worker without the run', async () => {
    await killWhileWaitingAndQuery({ signal: false, fixture: 'stale-query-timer-fired' });
  }, 60_000);

  it('replays its history when a webhook signal also landed before the next workflow task', async () => {
    await killWhileWaitingAndQuery({ signal: true, fixture: 'stale-query-timer-fired-then-signal' });
  }, 60_000);
});
