// A create retried after an ambiguous timeout can leave a second Avinode trip for one run. The run
// keeps the trip whose deep link it handed out, cancels every other live trip carrying its
// externalTripId (reason OTHER) wherever it learns of one, and records each in progress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelTrip, getTrip, type TripCreated } from '../../workflows/contract.ts';
import type { CreateTripResult } from '../../workflows/activity-types.ts';
import {
  FakeAvinode,
  keepHistory,
  oneWay,
  setupTemporal,
  startTrip,
  waitForProgress,
  withWorker,
  type TemporalEnv,
} from './support.ts';

let env: TemporalEnv;

beforeAll(async () => {
  env = await setupTemporal();
});
afterAll(async () => {
  await env?.close();
});

/** createTrip as an attempt after a lost answer sees it: an earlier attempt's trip exists besides the one returned. */
function withLostTrip(fake: FakeAvinode, answer: (kept: TripCreated, lost: TripCreated) => CreateTripResult) {
  const base = fake.activities();
  const lost: TripCreated[] = [];
  const activities = fake.activities({
    async createTrip(input) {
      const earlier = await base.createTrip(input);
      lost.push(earlier);
      return answer(await base.createTrip(input), earlier);
    },
  });
  return { activities, lost };
}

describe('duplicate Avinode trips of one run', () => {
  it('cancels the further trips the create lookup found, records them, and hands out only the kept trip', async () => {
    const fake = new FakeAvinode();
    const { activities, lost } = withLostTrip(fake, (kept, earlier) => ({
      ...kept,
      reused: true,
      duplicates: [{ atripId: earlier.atripId, tripId: earlier.tripId }],
    }));
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      expect(Object.keys(started).sort()).toEqual(['atripId', 'deepLinks', 'href', 'reused', 'tripId', 'workflowId']);
      const progress = await waitForProgress(
        handle,
        (p) => (p.duplicateTrips?.length ?? 0) > 0,
        'the duplicate recorded',
      );
      expect(progress.duplicateTrips).toEqual([
        expect.objectContaining({ atripId: lost[0]!.atripId, discoveredBy: 'create_lookup', status: 'cancelled' }),
      ]);
      expect(fake.cancels).toEqual([expect.objectContaining({ atripId: lost[0]!.atripId, reason: 'OTHER' })]);
      expect(progress.atripId).toBe(started.atripId);
      expect((await handle.executeUpdate(getTrip)).atripId).toBe(started.atripId);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      expect(fake.trip(started.atripId).cancelled).toBe(true);
      expect((await handle.result()).duplicateTrips).toHaveLength(1);
      await keepHistory(env, handle, 'duplicate-from-create-lookup');
    });
  });

  it('with no working lookup, looks a bounded number of times, then cancels the other trip once a webhook names it', async () => {
    const fake = new FakeAvinode();
    fake.tripLookup = 'off';
    const { activities, lost } = withLostTrip(fake, (kept) => ({ ...kept, unconfirmed: true }));
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      await waitForProgress(handle, (p) => p.counts.polls >= 5, 'five polls');
      expect(fake.calls.findDuplicateTrips).toBe(3);
      expect((await handle.query('getProgress')) as object).not.toHaveProperty('duplicateTrips');

      // The broker sends RFQs from the other trip; its webhook reaches this run.
      const [rfqId] = fake.sendRfqs(lost[0]!.atripId, 1);
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', rfqId!));
      const progress = await waitForProgress(
        handle,
        (p) => (p.duplicateTrips?.length ?? 0) > 0,
        'the duplicate recorded',
      );
      expect(progress.duplicateTrips).toEqual([
        expect.objectContaining({ atripId: lost[0]!.atripId, discoveredBy: 'webhook', status: 'cancelled' }),
      ]);
      // The other trip's RFQ is not merged into this run, and the run stays on its own trip.
      expect(progress.rfqs).toEqual([]);
      expect(progress).toMatchObject({ atripId: started.atripId, phase: 'awaiting_rfqs' });

      // A second event from the cancelled trip costs no further check.
      const checks = fake.calls.findDuplicateTrips;
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', rfqId!, { withTripId: false }));
      await waitForProgress(handle, (p) => p.counts.webhooks >= 2, 'the second event processed');
      expect(fake.calls.findDuplicateTrips).toBe(checks);
      expect(fake.cancels.filter((cancel) => cancel.atripId === lost[0]!.atripId)).toHaveLength(1);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      expect((await handle.result()).phase).toBe('cancelled');
      await keepHistory(env, handle, 'duplicate-from-webhook');
    });
  });
});
