// The ambiguous create: Avinode stored the trip, but the worker process died (SIGKILL) before the
// answer to POST /api/trips reached it. The activity's heartbeat timeout notices the dead worker in
// seconds; the retried attempt on a restarted worker finds the trip by externalTripId instead of
// posting a second one.
import type { ChildProcess } from 'node:child_process';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../emulator/index.ts';
import { ActivityPriority } from '../../../workflows/activity-options.ts';
import { workflowIdFor } from '../../../workflows/contract.ts';
import { isTerminal, killProcess, oneWayRequest, spawnWorkerProcess, startStack, waitForProgress, waitUntil, type Stack } from './harness.ts';

const HEARTBEAT_MS = 2_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

const externalTripIdOf = (entry: JournalEntry) => (entry.requestBody as { externalTripId?: unknown } | undefined)?.externalTripId;

describe('a worker process killed while POST /api/trips is in flight', () => {
  it('gets the trip Avinode stored from a restarted worker by lookup, leaving exactly one Avinode trip for its externalTripId', async () => {
    const request = oneWayRequest({ timing: { pollInitialMs: 300, pollMaxMs: 1_000, credentialRecheckMs: 300, activityHeartbeatMs: HEARTBEAT_MS } });
    const workflowId = workflowIdFor(request.externalId);
    // Avinode stores the trip, then holds the answer far longer than the test needs.
    await stack.emulator.admin.setFaults([{ kind: 'delay_response', route: 'POST /api/trips', latencyMs: 60_000, times: 1 }]);

    const first = await spawnWorkerProcess(stack);
    let second: ChildProcess | undefined;
    try {
      const started = stack.charter.startTrip(request);
      started.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile

      await waitUntil(async () => (await stack.emulator.admin.stats()).tripsByExternalId[workflowId] === 1, 'the trip stored while its answer is held');
      await killProcess(first, 'SIGKILL');

      // The answer never reached a worker: the emulator journals the held POST once its client is gone.
      const post = await waitUntil(
        async () => (await stack.emulator.admin.requests({ route: 'POST /api/trips' })).find((entry) => externalTripIdOf(entry) === workflowId),
        'the held POST /api/trips in the journal',
      );
      expect(post).toMatchObject({ status: 201, fault: 'delay_response', clientGone: true });
      const storedAtripId = (post.responseBody as { data: { id: string } }).data.id;

      second = await spawnWorkerProcess(stack);
      const trip = await started;
      expect(trip).toMatchObject({ workflowId, atripId: storedAtripId, reused: true });
      expect(trip.deepLinks.searchInAvinode).toMatch(/^http/);

      const progress = await waitForProgress(stack, request.externalId, (p) => p.phase === 'awaiting_rfqs');
      expect(progress.atripId).toBe(storedAtripId);
      expect(progress.phaseHistory.map((change) => change.reason)).toContain('trip found (created by an earlier attempt)');

      const stats = await stack.emulator.admin.stats();
      expect(stats.tripsByExternalId[workflowId]).toBe(1);
      const posts = (await stack.emulator.admin.requests({ route: 'POST /api/trips' })).filter((entry) => externalTripIdOf(entry) === workflowId);
      expect(posts).toHaveLength(1);
      const lookups = (await stack.emulator.admin.requests({ route: 'GET /api/trips' })).filter(
        (entry) => entry.seq > post.seq && new URL(entry.path, 'http://emulator.invalid').searchParams.get('externalTripId') === workflowId,
      );
      expect(lookups.map((entry) => entry.status)).toContain(200);

      // The retry came from the heartbeat timeout (seconds), not the 60 s startToCloseTimeout.
      const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'createTrip')!;
      expect(Number(scheduled.activityTaskScheduledEventAttributes!.heartbeatTimeout?.seconds)).toBe(HEARTBEAT_MS / 1_000);
      // Creating the trip goes ahead of every poll waiting under the queue's rate limit.
      expect(scheduled.activityTaskScheduledEventAttributes!.priority?.priorityKey).toBe(ActivityPriority.userWaiting);
      const startedEvent = events.find((event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId))!;
      expect(startedEvent.activityTaskStartedEventAttributes!.attempt).toBeGreaterThanOrEqual(2);
      expect(startedEvent.activityTaskStartedEventAttributes!.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
        temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      );

      // Finish the run so nothing is left running; the one trip is cancelled on Avinode.
      const cancelled = await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
      expect(cancelled.phase).toBe('cancelled');
      const done = await waitForProgress(stack, request.externalId, isTerminal);
      expect(done.phase).toBe('cancelled');
      expect((await stack.client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
    } finally {
      await stack.emulator.admin.clearFaults();
      await killProcess(first, 'SIGKILL');
      if (second) await killProcess(second, 'SIGTERM');
    }
    expect(second.exitCode).toBe(0);
  });
});
