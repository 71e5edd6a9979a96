// The ambiguous create: Avinode stored the trip, but the worker process died (SIGKILL) before the
// answer to POST /api/trips reached it. The activity's heartbeat timeout notices the dead worker in
// seconds; the retried attempt on a restarted worker finds the trip by externalTripId instead of
// posting a second one — or, where that search does not exist (emulator searchByExternalId: off),
// posts again, and the run cancels the first trip once an event shows it, so one live trip remains.
import type { ChildProcess } from 'node:child_process';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../emulator/index.ts';
import { ActivityPriority } from '../../../workflows/activity-options.ts';
import { workflowIdFor } from '../../../workflows/contract.ts';
import { registerWebhookSubscriptions } from '../../../workers/worker.ts';
import { clientFor, tokenSourceFor } from '../avinode/helpers.ts';
import {
  isTerminal,
  killProcess,
  oneWayRequest,
  spawnWorkerProcess,
  startStack,
  waitForProgress,
  waitUntil,
  type Stack,
} from './harness.ts';

const HEARTBEAT_MS = 2_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

const externalTripIdOf = (entry: JournalEntry) =>
  (entry.requestBody as { externalTripId?: unknown } | undefined)?.externalTripId;

describe('a worker process killed while POST /api/trips is in flight', () => {
  it('gets the trip Avinode stored from a restarted worker by lookup, leaving exactly one Avinode trip for its externalTripId', async () => {
    const request = oneWayRequest({
      timing: { pollInitialMs: 300, pollMaxMs: 1_000, credentialRecheckMs: 300, activityHeartbeatMs: HEARTBEAT_MS },
    });
    const workflowId = workflowIdFor(request.externalId);
    // Avinode stores the trip, then holds the answer far longer than the test needs.
    await stack.emulator.admin.setFaults([
      { kind: 'delay_response', route: 'POST /api/trips', latencyMs: 60_000, times: 1 },
    ]);

    const first = await spawnWorkerProcess(stack);
    let second: ChildProcess | undefined;
    try {
      const started = stack.charter.startTrip(request);
      started.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile

      await waitUntil(
        async () => (await stack.emulator.admin.stats()).tripsByExternalId[workflowId] === 1,
        'the trip stored while its answer is held',
      );
      await killProcess(first, 'SIGKILL');

      // The answer never reached a worker: the emulator journals the held POST once its client is gone.
      const post = await waitUntil(
        async () =>
          (await stack.emulator.admin.requests({ route: 'POST /api/trips' })).find(
            (entry) => externalTripIdOf(entry) === workflowId,
          ),
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
      expect(progress.phaseHistory.map((change) => change.reason)).toContain(
        'trip found (created by an earlier attempt)',
      );

      const stats = await stack.emulator.admin.stats();
      expect(stats.tripsByExternalId[workflowId]).toBe(1);
      const posts = (await stack.emulator.admin.requests({ route: 'POST /api/trips' })).filter(
        (entry) => externalTripIdOf(entry) === workflowId,
      );
      expect(posts).toHaveLength(1);
      const lookups = (await stack.emulator.admin.requests({ route: 'GET /api/trips' })).filter(
        (entry) =>
          entry.seq > post.seq &&
          new URL(entry.path, 'http://emulator.invalid').searchParams.get('externalTripId') === workflowId,
      );
      expect(lookups.map((entry) => entry.status)).toContain(200);

      // The retry came from the heartbeat timeout (seconds), not the 60 s startToCloseTimeout.
      const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const scheduled = events.find(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'createTrip',
      )!;
      expect(Number(scheduled.activityTaskScheduledEventAttributes!.heartbeatTimeout?.seconds)).toBe(
        HEARTBEAT_MS / 1_000,
      );
      // Creating the trip goes ahead of every poll waiting under the queue's rate limit.
      expect(scheduled.activityTaskScheduledEventAttributes!.priority?.priorityKey).toBe(ActivityPriority.userWaiting);
      const startedEvent = events.find(
        (event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
      )!;
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

describe('a worker process killed while POST /api/trips is in flight, where Avinode cannot search trips by externalTripId', () => {
  it('posts again, then cancels the first trip (reason OTHER) as soon as an event names it, records it, and continues on one live trip', async () => {
    const request = oneWayRequest({
      timing: { pollInitialMs: 300, pollMaxMs: 1_000, credentialRecheckMs: 300, activityHeartbeatMs: HEARTBEAT_MS },
    });
    const workflowId = workflowIdFor(request.externalId);
    await stack.emulator.admin.settings({ searchByExternalId: 'off' });
    await stack.emulator.admin.setFaults([
      { kind: 'delay_response', route: 'POST /api/trips', latencyMs: 60_000, times: 1 },
    ]);
    // The spawned workers do not register webhooks; the deployment's subscriptions exist already.
    const avinode = clientFor(stack.emulator, tokenSourceFor(stack.emulator));
    await registerWebhookSubscriptions(avinode, stack.config);

    const first = await spawnWorkerProcess(stack);
    let second: ChildProcess | undefined;
    try {
      const started = stack.charter.startTrip(request);
      started.catch(() => undefined);
      await waitUntil(
        async () => (await stack.emulator.admin.stats()).tripsByExternalId[workflowId] === 1,
        'the trip stored while its answer is held',
      );
      await killProcess(first, 'SIGKILL');
      const post = await waitUntil(
        async () =>
          (await stack.emulator.admin.requests({ route: 'POST /api/trips' })).find(
            (entry) => externalTripIdOf(entry) === workflowId,
          ),
        'the held POST /api/trips in the journal',
      );
      const lostAtripId = (post.responseBody as { data: { id: string } }).data.id;

      second = await spawnWorkerProcess(stack);
      const trip = await started;
      // The search answered like an unsupported one, so the retried attempt posted a second trip.
      expect(trip).toMatchObject({ workflowId, reused: false });
      expect(trip.atripId).not.toBe(lostAtripId);
      const lookups = (await stack.emulator.admin.requests({ route: 'GET /api/trips' })).filter(
        (entry) => entry.seq > post.seq,
      );
      expect(lookups.length).toBeGreaterThan(0);
      expect(lookups.every((entry) => entry.status === 500)).toBe(true);
      expect((await stack.emulator.admin.stats()).live.activeTripsByExternalId[workflowId]).toBe(2);

      // The broker sees both trips in Avinode and sends RFQs from the lost one: its webhook names it.
      const lost = await avinode.readTrip(lostAtripId);
      await stack.emulator.admin.sendRfqs(lostAtripId, 1);
      const progress = await waitForProgress(stack, request.externalId, (p) => (p.duplicateTrips?.length ?? 0) > 0);
      expect(progress.duplicateTrips).toEqual([
        expect.objectContaining({
          atripId: lostAtripId,
          tripId: lost.trip.tripId,
          discoveredBy: 'webhook',
          status: 'cancelled',
        }),
      ]);
      expect(progress).toMatchObject({ atripId: trip.atripId, phase: 'awaiting_rfqs' });

      const stats = await stack.emulator.admin.stats();
      expect(stats.tripsByExternalId[workflowId]).toBe(2);
      expect(stats.live.activeTripsByExternalId[workflowId]).toBe(1);
      const cancels = (await stack.emulator.admin.requests({ route: 'PUT /api/trips/:id/cancel' })).filter((entry) =>
        entry.path.includes(lostAtripId),
      );
      expect(cancels.map((entry) => (entry.requestBody as { reason?: string }).reason)).toEqual(['OTHER']);
      expect((await avinode.readTrip(trip.atripId)).trip.status).toBe('Active');

      // The run goes on with its own trip: RFQs sent from it are collected as usual.
      const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
      await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 30_100, currency: 'USD' });
      const quoted = await waitForProgress(stack, request.externalId, (p) => p.phase === 'awaiting_selection');
      expect(quoted.quotes).toMatchObject([{ price: 30_100 }]);
      expect(quoted.duplicateTrips).toHaveLength(1);

      await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
      const done = await waitForProgress(stack, request.externalId, isTerminal);
      expect(done.phase).toBe('cancelled');
      expect((await stack.emulator.admin.stats()).live.activeTripsByExternalId[workflowId]).toBeUndefined();
    } finally {
      await stack.emulator.admin.clearFaults();
      await stack.emulator.admin.settings({ searchByExternalId: 'on' });
      await avinode.close();
      await killProcess(first, 'SIGKILL');
      if (second) await killProcess(second, 'SIGTERM');
    }
    expect(second.exitCode).toBe(0);
  });
});
