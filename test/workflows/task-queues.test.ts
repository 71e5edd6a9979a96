// The Avinode rate limit holds back Avinode calls only: they run on `<queue>-avinode`, whose
// server-side activity rate is the fleet's Avinode budget; callbacks to the broker run on the main
// queue, unlimited. Fake Avinode, real dev server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCharterWorkers } from '../../workers/charter-workers.ts';
import { avinodeTaskQueueOf } from '../../workflows/activity-options.ts';
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
  it('delivers callbacks while the Avinode rate limit holds the next Avinode call back', async () => {
    const fake = new FakeAvinode();
    const taskQueue = `wf-${randomUUID()}`;
    // One Avinode call an hour: the create takes the queue's only token, the first poll must wait.
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
        const request = oneWay({ callbackUrl: 'https://backend.example/charter-events', timing: { pollInitialMs: 10, pollMaxMs: 10, credentialRecheckMs: 3_600_000, continueAsNewAfterEvents: 0 } });
        const { handle } = await startTrip(env, taskQueue, request);
        const heldPoll = await until('a reconciliation poll waiting for the Avinode queue', async () => {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          return pending.find((activity) => activity.activityType?.name === 'readTripState' && !activity.lastStartedTime) ?? undefined;
        });
        expect(heldPoll).toBeDefined();
        const delivered = await until('the deep-link and phase callbacks', async () => {
          const types = fake.callbacks.map((event) => event.type);
          return types.includes('deep_link_ready') && types.includes('phase_changed') ? types : undefined;
        });
        expect(delivered).toEqual(expect.arrayContaining(['deep_link_ready', 'phase_changed']));
        await handle.terminate('test over: the held poll would wait an hour');
      })(),
    );
  });
});
