// Durability: the worker process is SIGKILLed mid-run and restarted; continue-as-new keeps state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decide,
  killProcess,
  oneWayRequest,
  spawnWorkerProcess,
  startStack,
  waitForProgress,
  type Stack,
} from './harness.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

describe('a worker process killed mid-run', () => {
  it('completes the run after a restart, leaving exactly one Avinode trip for its externalTripId', async () => {
    const first = await spawnWorkerProcess(stack);
    const request = oneWayRequest();
    const trip = await stack.charter.startTrip(request).catch(async (error) => {
      await killProcess(first, 'SIGKILL');
      throw error;
    });
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    try {
      await waitForProgress(stack, request.externalId, (p) => p.phase === 'collecting_quotes');
    } finally {
      await killProcess(first, 'SIGKILL');
    }
    expect((await stack.client.workflow.getHandle(trip.workflowId).describe()).status.name).toBe('RUNNING');

    // Operators answer while no worker runs; the restarted worker catches up by polling and webhooks.
    for (const rfqId of rfqIds) await stack.emulator.admin.respond(rfqId, { action: 'quote', price: 25_000 });

    const second = await spawnWorkerProcess(stack);
    try {
      const done = await decide(stack, request.externalId, 60_000);
      expect(done.phase).toBe('completed');
      expect(done.quotes).toHaveLength(2);
      expect((await stack.emulator.admin.stats()).tripsByExternalId[trip.workflowId]).toBe(1);
    } finally {
      await killProcess(second, 'SIGTERM');
    }
    expect(second.exitCode).toBe(0);
  });
});
