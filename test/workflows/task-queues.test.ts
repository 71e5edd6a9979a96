// The Avinode rate limit holds back Avinode calls only: they run on `<queue>-avinode`, whose
// server-side activity rate is the fleet's Avinode budget; callbacks to the broker run on the main
// queue, unlimited. Fake Avinode, real dev server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCharterWorkers } from '../../workers/charter-workers.ts';
import { avinodeTaskQueueOf } from '../../workflows/activity-options.ts';
import type { charterTripWorkflow } from '../../workflows/charter-trip.ts';
import { workflowIdFor } from '../../workflows/contract.ts';
import { FakeAvinode, oneWay, setupTemporal, startTrip, type TemporalEnv } from './support.ts';

let env: TemporalEnv;

beforeAll(async () => {
  env = await setupTemporal();
});

afterAll(async () => {
  await env?.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Avinode task queue', () => {
  it('delivers a callback while the Avinode rate limit holds the Avinode calls back', async () => {
    const fake = new FakeAvinode();
    const taskQueue = `wf-${randomUUID()}`;
    // One Avinode call an hour: the queue's bucket holds at most one token, and the create (first in
    // priority) takes it if there is one. A shared limit would hold the first callback back with it.
    const workers = await createCharterWorkers({
      connection: env.nativeConnection,
      namespace: inject('temporalNamespace'),
      taskQueue,
      workflowBundle: env.bundle,
      activities: fake.activities(),
      avinodeActivitiesPerSecond: 1 / 3_600,
    });
    expect(workers.avinodeTaskQueue).toBe(avinodeTaskQueueOf(taskQueue));
    await workers.runUntil(
      (async () => {
        const request = oneWay({
          callbackUrl: 'https://backend.example/charter-events',
          timing: { pollInitialMs: 10, pollMaxMs: 10, credentialRecheckMs: 3_600_000, continueAsNewAfterEvents: 0 },
        });
        // A plain start: the deep link may be an hour away.
        const handle = await env.client.workflow.start<typeof charterTripWorkflow>('charterTripWorkflow', {
          workflowId: workflowIdFor(request.externalId),
          taskQueue,
          args: [request],
        });
        const held = await until('an Avinode call waiting for the Avinode queue', async () => {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          return (
            pending.find(
              (activity) => activity.activityType?.name !== 'deliverCallback' && !activity.lastStartedTime,
            ) ?? undefined
          );
        });
        expect(['createTrip', 'readTripState']).toContain(held.activityType?.name);
        // The run's first callback (phase creating_trip) is queued before any Avinode call returns.
        const delivered = await until('the first phase callback', async () =>
          fake.callbacks.find((event) => event.type === 'phase_changed'),
        );
        expect(delivered.phase).toBe('creating_trip');
        await handle.terminate('test over: the held Avinode call would wait an hour');
      })(),
    );
  });

  it('schedules Avinode calls on the queue the start names (AVINODE_TASK_QUEUE) and callbacks on the main queue', async () => {
    const fake = new FakeAvinode();
    const taskQueue = `wf-${randomUUID()}`;
    const avinodeTaskQueue = `avinode-calls-${randomUUID()}`;
    const workers = await createCharterWorkers({
      connection: env.nativeConnection,
      namespace: inject('temporalNamespace'),
      taskQueue,
      avinodeTaskQueue,
      workflowBundle: env.bundle,
      activities: fake.activities(),
    });
    await workers.runUntil(
      (async () => {
        const request = {
          ...oneWay({ callbackUrl: 'https://backend.example/charter-events', endWhenAllAnswered: true }),
          avinodeTaskQueue,
        };
        const { handle, started } = await startTrip(env, taskQueue, request);
        const [rfq] = fake.sendRfqs(started.atripId, 1);
        fake.quote(rfq!, 30_000);
        await handle.result();
        const scheduled = ((await handle.fetchHistory()).events ?? []).flatMap((event) => {
          const attributes = event.activityTaskScheduledEventAttributes;
          return attributes ? [[attributes.activityType?.name, attributes.taskQueue?.name] as const] : [];
        });
        const queuesOf = (type: string) =>
          new Set(scheduled.filter(([name]) => name === type).map(([, queue]) => queue));
        expect(queuesOf('createTrip')).toEqual(new Set([avinodeTaskQueue]));
        expect(queuesOf('readTripState')).toEqual(new Set([avinodeTaskQueue]));
        expect(queuesOf('deliverCallback')).toEqual(new Set([taskQueue]));
      })(),
    );
  });
});
