// An ambiguous create where the trip search exists but fails at the wrong moment: the first POST
// stored its trip but timed out, the retried attempt's lookup answered as an unsupported search does
// (ERR_INTERNAL_CRITICAL), so it posted again. The run looks again on its next poll, finds both trips,
// cancels the other one (reason OTHER), records it and carries on with the trip whose deep link it
// handed out. A passing 503 on the lookup instead fails the attempt: the retry adopts the first trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../../workflows/contract.ts';
import { isTerminal, oneWayRequest, startStack, waitForProgress, type Stack } from './harness.ts';

let stack: Stack;

beforeAll(async () => {
  // Short enough that a held POST /api/trips times out in the worker (the ambiguous outcome).
  stack = await startStack({ env: { AVINODE_HTTP_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await stack?.close();
});

describe('a create retried after a timeout while the trip lookup is failing', () => {
  it('finds the earlier trip with a later lookup, cancels it and leaves one live Avinode trip for the run', async () => {
    const request = oneWayRequest();
    const workflowId = workflowIdFor(request.externalId);
    await stack.emulator.admin.setFaults([
      { kind: 'delay_response', route: 'POST /api/trips', latencyMs: 5_000, times: 1 },
      { kind: 'internal_critical', route: 'GET /api/trips', times: 1 },
    ]);
    try {
      const trip = await stack.charter.startTrip(request);
      expect(trip.reused).toBe(false);
      const posts = (await stack.emulator.admin.requests({ route: 'POST /api/trips' })).filter(
        (entry) => (entry.requestBody as { externalTripId?: string }).externalTripId === workflowId,
      );
      expect(posts.map((entry) => entry.fault ?? 'none')).toEqual(['delay_response', 'none']);
      const firstAtripId = (posts[0]!.responseBody as { data: { id: string } }).data.id;
      expect(firstAtripId).not.toBe(trip.atripId);

      const progress = await waitForProgress(stack, request.externalId, (p) => (p.duplicateTrips?.length ?? 0) > 0);
      expect(progress.duplicateTrips).toEqual([
        expect.objectContaining({ atripId: firstAtripId, discoveredBy: 'lookup', status: 'cancelled' }),
      ]);
      expect(progress.atripId).toBe(trip.atripId);
      const stats = await stack.emulator.admin.stats();
      expect(stats.tripsByExternalId[workflowId]).toBe(2);
      expect(stats.live.activeTripsByExternalId[workflowId]).toBe(1);
      const cancel = (await stack.emulator.admin.requests({ route: 'PUT /api/trips/:id/cancel' })).find((entry) =>
        entry.path.includes(firstAtripId),
      );
      expect(cancel?.requestBody).toMatchObject({
        reason: 'OTHER',
        messageToSeller: expect.stringContaining('created twice'),
      });
    } finally {
      await stack.emulator.admin.clearFaults();
    }
    await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
    expect((await waitForProgress(stack, request.externalId, isTerminal)).phase).toBe('cancelled');
    expect((await stack.emulator.admin.stats()).live.activeTripsByExternalId[workflowId]).toBeUndefined();
  });

  it('adopts the first trip when the retried attempt met a passing 503 on the lookup: one POST, no duplicate', async () => {
    const request = oneWayRequest();
    const workflowId = workflowIdFor(request.externalId);
    await stack.emulator.admin.setFaults([
      { kind: 'delay_response', route: 'POST /api/trips', latencyMs: 5_000, times: 1 },
      { kind: '503', route: 'GET /api/trips', times: 1, retryAfterSeconds: 1 },
    ]);
    try {
      const trip = await stack.charter.startTrip(request);
      expect(trip.reused).toBe(true);
      const stats = await stack.emulator.admin.stats();
      expect(stats.tripsByExternalId[workflowId]).toBe(1);
    } finally {
      await stack.emulator.admin.clearFaults();
    }
    await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
    expect((await waitForProgress(stack, request.externalId, isTerminal)).phase).toBe('cancelled');
  });
});
