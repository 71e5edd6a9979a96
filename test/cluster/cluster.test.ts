// The production-shaped deployment end to end: Temporal on PostgreSQL (PostgreSQL visibility, the
// search attributes registered through the operator API), two `charterflow worker` processes and
// the `charterflow webhooks` receiver process, against the emulator over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCharterflowFleet, type CharterflowFleet } from '../../workers/cluster/processes.ts';
import { workflowIdFor } from '../../workflows/contract.ts';
import { oneWayRequest, startStack, waitForProgress, waitUntil, type Stack } from '../integration/stack/harness.ts';
import { settleRun } from '../soak/settle.ts';

let stack: Stack;
let fleet: CharterflowFleet;

beforeAll(async () => {
  // The harness brings the emulator, the client and the environment every process gets; its own
  // in-process worker stays off: the runs belong to the two worker processes.
  stack = await startStack({ worker: false });
  const { WEBHOOK_PUBLIC_URL: _inProcessReceiver, ...env } = stack.env;
  fleet = await startCharterflowFleet({ env: { ...process.env, ...env }, workers: 2 });
});
afterAll(async () => {
  await fleet?.stop();
  await stack?.close();
});

/** The worker process that completed the run's latest workflow task (identity `<pid>@<host>`). */
async function lastWorkflowWorkerPid(workflowId: string): Promise<number> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const identity = events
    .map((event) => event.workflowTaskCompletedEventAttributes?.identity)
    .filter((value): value is string => !!value)
    .at(-1);
  return Number(identity?.split('@')[0]);
}

describe('charterflow on the production-shaped Temporal cluster', () => {
  it('finds a started trip through a visibility query on AvinodeTripRef, and completes it after the worker holding it is SIGKILLed', async () => {
    const request = oneWayRequest();
    const trip = await stack.charter.startTrip(request);
    expect(trip.atripId).toMatch(/^atrip-/);

    // PostgreSQL visibility, custom search attribute: the trip is found by its Avinode reference.
    const query = `AvinodeTripRef = '${trip.atripId}'`;
    const found = await waitUntil(async () => {
      const ids: string[] = [];
      for await (const execution of stack.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    }, `a visibility match for ${query}`);
    expect(found).toEqual([workflowIdFor(request.externalId)]);

    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    await waitForProgress(
      stack,
      request.externalId,
      (p) => p.phase === 'collecting_quotes' && p.counts.rfqs === 2,
      60_000,
    );

    // SIGKILL exactly the worker process that holds the run in its cache.
    const holderPid = await lastWorkflowWorkerPid(trip.workflowId);
    const holder = fleet.workers.find((worker) => worker.pid() === holderPid);
    expect(holder, `worker pid ${holderPid} is one of ${fleet.workers.map((w) => w.pid()).join(', ')}`).toBeDefined();
    await holder!.kill('SIGKILL');
    expect((await stack.client.workflow.getHandle(trip.workflowId).describe()).status.name).toBe('RUNNING');

    // Operators answer while that worker is dead: the other one picks the run up.
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 31_000 });
    await stack.emulator.admin.respond(rfqIds[1]!, { action: 'quote', price: 27_500 });
    const { progress } = await settleRun(stack.charter, request.externalId, 120_000);

    expect(progress.phase).toBe('completed');
    expect(progress.quotes.map((quote) => quote.price).sort((a, b) => a - b)).toEqual([27_500, 31_000]);
    expect((await stack.emulator.admin.stats()).tripsByExternalId[trip.workflowId]).toBe(1);
    // The survivor finished it: the last workflow task came from a worker other than the killed one.
    const survivorPid = await lastWorkflowWorkerPid(trip.workflowId);
    expect(survivorPid).not.toBe(holderPid);
    expect(fleet.workers.map((worker) => worker.pid())).toContain(survivorPid);

    // Visibility follows the run to its end.
    await waitUntil(
      async () => (await stack.client.workflow.count(`${query} AND TripPhase = 'completed'`)).count === 1,
      'TripPhase = completed in visibility',
    );
    await holder!.restart();
  });
});
