// How the receiver finds a trip's run on a cold cache: what it asks visibility, what it reads from Avinode.
import { describe, expect, it } from 'vitest';
import { ReadBudget, TripResolver, type TripReader, type TripResolverOptions } from '../../../workers/webhook-trips.ts';
import type { AvinodeEvent } from '../../../workflows/contract.ts';

const API = 'http://127.0.0.1:9/api';

/** TripRequestMine of one RFQ: the documented payload names the short trip id. */
const rfqsSent = (rfqId: string, tripId = 'Q4K7ZP'): AvinodeEvent => ({
  eventType: 'TripRequestMine',
  id: rfqId,
  href: `${API}/rfqs/${rfqId}`,
  tripId,
});

/** An Avinode whose RFQs name trip atrip-1 (Q4K7ZP), whose externalTripId is the run's workflow id. */
function avinode(reads: string[]): TripReader {
  return {
    readByHref: async (href) => {
      reads.push(href);
      throw new Error('no message in this test');
    },
    readRfq: async (id) => {
      reads.push(id);
      return { raw: { id, tripId: 'Q4K7ZP', trip: { id: 'atrip-1' } } } as never;
    },
    readTrip: async (atripId) => {
      reads.push(atripId);
      return { trip: { id: atripId, tripId: 'Q4K7ZP', externalTripId: 'trip-REQ-1042' } } as never;
    },
  };
}

const soon = () => performance.now() + 5_000;

/** A resolver over the fake Avinode, recording its reads in `reads`. */
const resolverOf = (reads: string[], options: Pick<TripResolverOptions, 'findRun' | 'visibilityRetryMs'>) =>
  new TripResolver({ avinode: avinode(reads), budget: new ReadBudget(100), ...options });

describe('the receiver on a cold cache', () => {
  it('looks a trip up once when several of its events arrive together', async () => {
    const lookups: string[] = [];
    let release!: () => void;
    const visible = new Promise<void>((resolve) => (release = resolve));
    const reads: string[] = [];
    const resolver = resolverOf(reads, {
      findRun: async (tripId) => {
        lookups.push(tripId);
        await visible;
        return 'trip-REQ-1042';
      },
    });
    const answers = Promise.all(['arfq-1', 'arfq-2', 'arfq-3'].map((id) => resolver.resolve(rfqsSent(id), soon())));
    release();
    expect((await answers).map((trip) => trip.outcome === 'trip' && trip.workflowId)).toEqual([
      'trip-REQ-1042',
      'trip-REQ-1042',
      'trip-REQ-1042',
    ]);
    expect(lookups).toEqual(['Q4K7ZP']);
    expect(reads).toEqual([]);
  });

  it('remembers the RFQ of every event that shared a lookup, so a later event naming only its RFQ costs nothing', async () => {
    const lookups: string[] = [];
    const reads: string[] = [];
    const resolver = resolverOf(reads, {
      findRun: async (tripId) => (lookups.push(tripId), 'trip-REQ-1042'),
    });
    await Promise.all(['arfq-1', 'arfq-2', 'arfq-3'].map((id) => resolver.resolve(rfqsSent(id), soon())));
    // An older payload revision: the RFQ without its trip id.
    const { tripId: _omitted, ...withoutTrip } = rfqsSent('arfq-3');
    expect(await resolver.resolve(withoutTrip, soon())).toMatchObject({ workflowId: 'trip-REQ-1042' });
    expect(lookups).toEqual(['Q4K7ZP']);
    expect(reads).toEqual([]);
  });

  it('asks visibility again for a run that has just written its trip id, instead of reading Avinode', async () => {
    const lookups: number[] = [];
    const reads: string[] = [];
    const resolver = resolverOf(reads, {
      visibilityRetryMs: [5, 5],
      findRun: async () => (lookups.push(lookups.length) < 2 ? undefined : 'trip-REQ-1042'),
    });
    expect(await resolver.resolve(rfqsSent('arfq-1'), soon())).toMatchObject({ workflowId: 'trip-REQ-1042' });
    expect(lookups).toHaveLength(2);
    expect(reads).toEqual([]);
  });

  it('reads the RFQ and its trip once visibility still shows no run after the retries', async () => {
    const reads: string[] = [];
    let lookups = 0;
    const resolver = resolverOf(reads, {
      visibilityRetryMs: [5, 5],
      findRun: async () => (lookups++, undefined),
    });
    expect(await resolver.resolve(rfqsSent('arfq-1'), soon())).toMatchObject({ workflowId: 'trip-REQ-1042' });
    expect(lookups).toBe(3);
    expect(reads).toEqual(['arfq-1', 'atrip-1']);
    // The trip is known now: its next event costs nothing.
    expect(await resolver.resolve(rfqsSent('arfq-2'), soon())).toMatchObject({ workflowId: 'trip-REQ-1042' });
    expect(reads).toHaveLength(2);
    expect(lookups).toBe(3);
  });

  it('does not wait past the hand-off deadline for visibility', async () => {
    const reads: string[] = [];
    let lookups = 0;
    const resolver = resolverOf(reads, {
      visibilityRetryMs: [60_000],
      findRun: async () => (lookups++, undefined),
    });
    // A wait of a minute would outlast the test's own timeout: the resolver goes to Avinode at once.
    await resolver.resolve(rfqsSent('arfq-1'), performance.now() + 1_000);
    expect(lookups).toBe(1);
    expect(reads).toEqual(['arfq-1', 'atrip-1']);
  });

  it('shares a lookup only while it is under way: a failed one is tried afresh by the next event', async () => {
    let calls = 0;
    const resolver = resolverOf([], {
      visibilityRetryMs: [],
      findRun: async () => {
        if (calls++ === 0) throw new Error('visibility unavailable');
        return 'trip-REQ-1042';
      },
    });
    await expect(resolver.resolve(rfqsSent('arfq-1'), soon())).rejects.toThrow('visibility unavailable');
    expect(await resolver.resolve(rfqsSent('arfq-1'), soon())).toMatchObject({ workflowId: 'trip-REQ-1042' });
  });
});
