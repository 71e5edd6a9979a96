// The real activities of createActivities over a scripted Avinode client, and signed callback
// delivery to a real HTTP server on port 0. No Temporal server needed.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import type { AvinodeClient } from '../../activities/avinode/client.ts';
import { SIGNATURE_HEADER, verifyCallbackSignature } from '../../platform/callback-signature.ts';
import { activityDepsFromConfig, createActivities } from '../../activities/index.ts';
import { loadConfig } from '../../platform/config.ts';
import { FailureType, type CallbackEvent, type QuoteSnapshot, type RfqSnapshot } from '../../workflows/contract.ts';

const CALLBACK_SECRET = 'callback-secret-for-tests-0123456789';

function failure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

function rfq(
  rfqId: string,
  lifts: { liftId: string; status: 'unanswered' | 'quoted' | 'declined'; quoteIds?: string[]; price?: number }[],
): RfqSnapshot {
  return {
    rfqId,
    operator: 'Skyward Charter',
    lifts: lifts.map((lift) => ({
      liftId: lift.liftId,
      status: lift.status,
      quoteIds: lift.quoteIds ?? [],
      ...(lift.price !== undefined ? { price: lift.price, currency: 'USD' } : {}),
    })),
    messageIds: [],
  };
}

function quote(quoteId: string, price: number): QuoteSnapshot {
  return { quoteId, operator: 'Skyward Charter', price, currency: 'USD' };
}

/** Only the methods the activities call; each records its calls. */
function scriptedAvinode(script: Record<string, (...args: any[]) => unknown>) {
  const calls: { method: string; args: unknown[] }[] = [];
  const client = new Proxy(
    {},
    {
      get:
        (_target, method: string) =>
        async (...args: unknown[]) => {
          calls.push({ method, args });
          const fn = script[method];
          if (!fn) throw new Error(`unexpected call ${method}`);
          return fn(...args);
        },
    },
  ) as unknown as AvinodeClient;
  return { client, calls };
}

describe('readTripState', () => {
  it('reads only quotes it does not know or whose lift price changed, and returns only those', async () => {
    const { client, calls } = scriptedAvinode({
      readTripRfqs: () => ({
        rfqs: [
          rfq('arfq-1', [{ liftId: 'asellerlift-1', status: 'quoted', quoteIds: ['aquote-1'], price: 1000 }]),
          rfq('arfq-2', [{ liftId: 'asellerlift-2', status: 'quoted', quoteIds: ['aquote-2'], price: 900 }]),
          rfq('arfq-3', [
            { liftId: 'asellerlift-3', status: 'quoted', quoteIds: ['aquote-0', 'aquote-3'], price: 800 },
          ]),
          rfq('arfq-4', [{ liftId: 'asellerlift-4', status: 'declined' }]),
        ],
      }),
      readQuote: (id: string) => ({ quote: quote(id, id === 'aquote-2' ? 850 : 800) }),
    });
    const activities = createActivities({ avinode: client });
    const state = await activities.readTripState({
      atripId: 'atrip-1',
      tripId: 'Q4K7ZP',
      knownQuotes: [
        { quoteId: 'aquote-1', price: 1000, currency: 'USD' },
        { quoteId: 'aquote-2', price: 950, currency: 'USD' },
        // An older quote of a lift whose price now shows its newer quote: no re-read.
        { quoteId: 'aquote-0', price: 990, currency: 'USD' },
      ],
    });
    expect(calls.filter((call) => call.method === 'readQuote').map((call) => call.args[0])).toEqual([
      'aquote-2',
      'aquote-3',
    ]);
    expect(state.quotes.map((q) => [q.quoteId, q.price])).toEqual([
      ['aquote-2', 850],
      ['aquote-3', 800],
    ]);
    expect(state.rfqs).toHaveLength(4);
  });

  it('takes a lift’s latest quote from the RFQ read (the latestquote include flag) instead of reading it on its own', async () => {
    const lift = (id: string, quoteId: string, price: number) => ({
      id,
      sourcingDisplayStatus: 'Accepted',
      sellerPrice: { price, currency: 'USD' },
      links: { quotes: [{ id: quoteId }] },
      latestQuote: {
        id: quoteId,
        sellerPrice: { price, currency: 'USD' },
        sellerCompany: { displayName: 'Skyward Charter' },
        lift: { id, aircraftTail: 'N1SK' },
      },
    });
    const { client, calls } = scriptedAvinode({
      readTripRfqs: () => ({
        rfqs: [
          rfq('arfq-1', [{ liftId: 'asellerlift-1', status: 'quoted', quoteIds: ['aquote-1'], price: 1000 }]),
          rfq('arfq-2', [{ liftId: 'asellerlift-2', status: 'quoted', quoteIds: ['aquote-2'], price: 900 }]),
        ],
        // arfq-2's lift carries no embedded quote (a host without the flag): that one is read.
        raw: [
          { id: 'arfq-1', sellerLift: [lift('asellerlift-1', 'aquote-1', 1000)] },
          { id: 'arfq-2', sellerLift: [{ id: 'asellerlift-2', links: { quotes: [{ id: 'aquote-2' }] } }] },
        ],
      }),
      readQuote: (id: string) => ({ quote: quote(id, 900) }),
    });
    const state = await createActivities({ avinode: client }).readTripState({
      atripId: 'atrip-1',
      tripId: 'Q4K7ZP',
      knownQuotes: [],
    });
    expect(calls.filter((call) => call.method === 'readQuote').map((call) => call.args[0])).toEqual(['aquote-2']);
    expect(state.quotes).toEqual([
      expect.objectContaining({
        quoteId: 'aquote-1',
        price: 1000,
        currency: 'USD',
        rfqId: 'arfq-1',
        liftId: 'asellerlift-1',
        aircraftTail: 'N1SK',
      }),
      expect.objectContaining({ quoteId: 'aquote-2', price: 900 }),
    ]);
  });

  it('reads the messages webhook events named without bringing them, once each, skipping one that is gone', async () => {
    const { client, calls } = scriptedAvinode({
      readTripRfqs: () => ({ rfqs: [rfq('arfq-1', [{ liftId: 'asellerlift-1', status: 'unanswered' }])], raw: [] }),
      readTripMessage: (id: string) => {
        if (id === 'asellermsg-2') throw failure(FailureType.NotFound, 'gone');
        return { message: { messageId: id, text: 'Any pets?', rfqId: 'arfq-1' } };
      },
    });
    const state = await createActivities({ avinode: client }).readTripState({
      atripId: 'atrip-1',
      tripId: 'Q4K7ZP',
      knownQuotes: [],
      messageIds: ['asellermsg-1', 'asellermsg-2'],
    });
    expect(calls.filter((call) => call.method === 'readTripMessage').map((call) => call.args[0])).toEqual([
      'asellermsg-1',
      'asellermsg-2',
    ]);
    expect(state.messages).toEqual([{ messageId: 'asellermsg-1', text: 'Any pets?', rfqId: 'arfq-1' }]);
  });

  it('turns NOT_FOUND for the trip into a non-retryable TripVanished failure', async () => {
    const { client } = scriptedAvinode({
      readTripRfqs: () => {
        throw failure(FailureType.NotFound, 'GET /trips/{id} → 404 NOT_FOUND');
      },
    });
    const error = await createActivities({ avinode: client })
      .readTripState({ atripId: 'atrip-1', tripId: 'Q4K7ZP', knownQuotes: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(FailureType.TripVanished);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('lets a retryable outage through unchanged for Temporal to retry', async () => {
    const { client } = scriptedAvinode({
      readTripRfqs: () => {
        throw ApplicationFailure.create({ type: FailureType.Unavailable, message: 'GET /rfqs/{tripId} → 503' });
      },
    });
    const error = await createActivities({ avinode: client })
      .readTripState({ atripId: 'atrip-1', tripId: 'Q4K7ZP', knownQuotes: [] })
      .catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe(FailureType.Unavailable);
    expect((error as ApplicationFailure).nonRetryable).toBe(false);
  });
});

describe('resolveAvinodeEvent', () => {
  it('fetches the RFQ and the quote a seller-response message names', async () => {
    const { client } = scriptedAvinode({
      readByHref: () => ({
        type: 'tripmsgs',
        value: { message: { messageId: 'asellermsg-1', text: 'offer', rfqId: 'arfq-1', quoteId: 'aquote-1' } },
      }),
      readRfq: () => ({
        rfq: rfq('arfq-1', [{ liftId: 'asellerlift-1', status: 'quoted', quoteIds: ['aquote-1'], price: 1000 }]),
        raw: { tripId: 'Q4K7ZP' },
      }),
      readQuote: (id: string) => ({ quote: quote(id, 1000) }),
    });
    const resolution = await createActivities({ avinode: client }).resolveAvinodeEvent({
      eventType: 'TripRequestSellerResponse',
      id: 'asellermsg-1',
      href: 'https://sandbox.avinode.com/api/tripmsgs/asellermsg-1',
    });
    expect(resolution.tripId).toBe('Q4K7ZP');
    expect(resolution.rfq?.rfqId).toBe('arfq-1');
    expect(resolution.quotes.map((q) => q.quoteId)).toEqual(['aquote-1']);
    expect(resolution.message?.messageId).toBe('asellermsg-1');
  });

  it('records a refused foreign href as unresolved instead of failing forever', async () => {
    const { client } = scriptedAvinode({
      readByHref: () => {
        throw failure(
          FailureType.ForeignHref,
          'refused href on https://evil.example: only https://sandbox.avinode.com receives Avinode credentials',
        );
      },
    });
    const resolution = await createActivities({ avinode: client }).resolveAvinodeEvent({
      eventType: 'TripRequestSellerResponse',
      id: 'asellermsg-1',
      href: 'https://evil.example/api/tripmsgs/asellermsg-1',
    });
    expect(resolution.quotes).toEqual([]);
    expect(resolution.unresolved).toMatch(/refused href/);
  });
});

describe('findTripOfEvent', () => {
  function fakeTemporal(workflowIds: string[]) {
    const queries: string[] = [];
    const temporalClient = {
      workflow: {
        list: ({ query }: { query: string }) => {
          queries.push(query);
          return (async function* () {
            for (const workflowId of workflowIds) yield { workflowId };
          })();
        },
      },
    };
    return { temporalClient: temporalClient as never, queries };
  }

  it('finds the trip run by its AvinodeTripId search attribute when the payload names the short trip id', async () => {
    const { client, calls } = scriptedAvinode({});
    const { temporalClient, queries } = fakeTemporal(['trip-ext-1']);
    const found = await createActivities({ avinode: client, temporalClient }).findTripOfEvent({
      eventType: 'TripRequestMine',
      id: 'arfq-1',
      href: 'https://sandbox.avinode.com/api/rfqs/arfq-1',
      tripId: 'Q4K7ZP',
    });
    expect(found).toEqual({ externalTripId: 'trip-ext-1', tripId: 'Q4K7ZP' });
    expect(queries).toEqual([`WorkflowType = 'charterTripWorkflow' AND AvinodeTripId = 'Q4K7ZP'`]);
    expect(calls).toEqual([]);
  });

  it('reads the RFQ for its trip id when the payload lacks one, and reports a trip no run carries', async () => {
    const { client } = scriptedAvinode({
      readByHref: () => ({ type: 'rfqs', value: { rfq: rfq('arfq-1', []), raw: { tripId: 'ZZ9PLZ' } } }),
    });
    const { temporalClient, queries } = fakeTemporal([]);
    const found = await createActivities({
      avinode: client,
      temporalClient,
      visibilityLookup: { attempts: 3, delayMs: 1 },
    }).findTripOfEvent({
      eventType: 'TripRequestMine',
      id: 'arfq-1',
      href: 'https://sandbox.avinode.com/api/rfqs/arfq-1',
    });
    expect(found).toEqual({ tripId: 'ZZ9PLZ' });
    // Looked up again while visibility may still lag, then given up: no endless retries.
    expect(queries).toHaveLength(3);
  });

  it('looks again while visibility lags and finds a run listed a moment later', async () => {
    const { client } = scriptedAvinode({});
    const queries: string[] = [];
    const temporalClient = {
      workflow: {
        list: ({ query }: { query: string }) => {
          queries.push(query);
          const listed = queries.length >= 2 ? [{ workflowId: 'trip-late' }] : [];
          return (async function* () {
            yield* listed;
          })();
        },
      },
    } as never;
    const found = await createActivities({
      avinode: client,
      temporalClient,
      visibilityLookup: { attempts: 4, delayMs: 1 },
    }).findTripOfEvent({
      eventType: 'TripRequestMine',
      id: 'arfq-1',
      href: 'https://sandbox.avinode.com/api/rfqs/arfq-1',
      tripId: 'Q4K7ZP',
    });
    expect(found.externalTripId).toBe('trip-late');
    expect(queries).toHaveLength(2);
  });

  it('routes an event of a trip no run carries by the trip the RFQ names, when that trip carries a run’s externalTripId', async () => {
    const { client, calls } = scriptedAvinode({
      readByHref: () => ({
        type: 'rfqs',
        value: { rfq: rfq('arfq-9', []), raw: { tripId: 'DUP123', trip: { id: 'atrip-9' } } },
      }),
      readTrip: (id: string) => ({ trip: { id, tripId: 'DUP123', externalTripId: 'trip-ext-1' } }),
    });
    const { temporalClient } = fakeTemporal([]);
    const found = await createActivities({
      avinode: client,
      temporalClient,
      visibilityLookup: { attempts: 1, delayMs: 1 },
    }).findTripOfEvent({
      eventType: 'TripRequestMine',
      id: 'arfq-9',
      href: 'https://sandbox.avinode.com/api/rfqs/arfq-9',
      tripId: 'DUP123',
    });
    expect(found).toEqual({ externalTripId: 'trip-ext-1', tripId: 'DUP123', atripId: 'atrip-9' });
    expect(calls.map((call) => call.method)).toEqual(['readByHref', 'readTrip']);
  });

  it('never puts an untrusted trip id with quotes into a visibility query', async () => {
    const { client } = scriptedAvinode({});
    const { temporalClient, queries } = fakeTemporal(['trip-someone-else']);
    const found = await createActivities({ avinode: client, temporalClient }).findTripOfEvent({
      eventType: 'TripRequestMine',
      id: 'arfq-1',
      href: 'https://sandbox.avinode.com/api/rfqs/arfq-1',
      tripId: "X' OR WorkflowId != '",
    });
    expect(found.externalTripId).toBeUndefined();
    expect(queries).toEqual([]);
  });
});

describe('findDuplicateTrips', () => {
  it('answers live trips other than the kept one that carry exactly our externalTripId, from the lookup and from a trip an event named', async () => {
    const { client } = scriptedAvinode({
      lookUpTrips: () => ({
        status: 'answered',
        trips: [
          { id: 'atrip-1', tripId: 'KEEP01', externalTripId: 'trip-x' },
          { id: 'atrip-2', tripId: 'DUP002', externalTripId: 'trip-x' },
          { id: 'atrip-4', tripId: 'OTHER4', externalTripId: 'trip-y' },
        ],
      }),
      readTrip: (id: string) =>
        id === 'atrip-3'
          ? { trip: { id, tripId: 'DUP003', externalTripId: 'trip-x', status: 'Active' } }
          : { trip: { id, tripId: 'GONE05', externalTripId: 'trip-x', status: 'Cancelled' } },
    });
    const activities = createActivities({ avinode: client });
    expect(
      await activities.findDuplicateTrips({
        workflowId: 'trip-x',
        keepAtripId: 'atrip-1',
        candidate: { atripId: 'atrip-3' },
      }),
    ).toEqual({
      duplicates: [
        { atripId: 'atrip-3', tripId: 'DUP003' },
        { atripId: 'atrip-2', tripId: 'DUP002' },
      ],
      lookup: 'answered',
    });
    // A cancelled trip is no duplicate; without the lookup only the named trip is read.
    expect(
      await activities.findDuplicateTrips({
        workflowId: 'trip-x',
        keepAtripId: 'atrip-1',
        candidate: { atripId: 'atrip-5' },
        lookup: false,
      }),
    ).toEqual({ duplicates: [] });
  });

  it('says when the lookup cannot answer, and treats a named trip that is gone as no duplicate', async () => {
    const { client } = scriptedAvinode({
      lookUpTrips: () => ({ status: 'unavailable', reason: 'GET /trips answered 500' }),
      readTrip: () => {
        throw failure(FailureType.NotFound, 'GET /trips/{id} → 404 NOT_FOUND');
      },
    });
    expect(
      await createActivities({ avinode: client }).findDuplicateTrips({
        workflowId: 'trip-x',
        keepAtripId: 'atrip-1',
        candidate: { atripId: 'atrip-9' },
      }),
    ).toEqual({
      duplicates: [],
      lookup: 'unavailable',
    });
  });
});

describe('the recovery hook (webhook subscriptions heal)', () => {
  it('is told when a trip vanished and when a credential check succeeds, never when it fails', async () => {
    const seen: string[] = [];
    let credentialsOk = false;
    const { client } = scriptedAvinode({
      readTripRfqs: () => {
        throw failure(FailureType.NotFound, 'GET /trips/{id} → 404 NOT_FOUND');
      },
      readTrip: () => {
        if (!credentialsOk) throw failure(FailureType.AuthRejected, 'GET /trips/{id} → 401 AUTHENTICATION_INVALID');
        return { trip: { id: 'atrip-1', tripId: 'Q4K7ZP' } };
      },
    });
    const activities = createActivities({ avinode: client, onAvinodeRecovered: (event) => seen.push(event) });
    await activities.readTripState({ atripId: 'atrip-1', tripId: 'Q4K7ZP', knownQuotes: [] }).catch(() => undefined);
    expect(seen).toEqual(['trip_vanished']);
    expect((await activities.checkCredentials({ atripId: 'atrip-1' })).ok).toBe(false);
    expect(seen).toEqual(['trip_vanished']);
    credentialsOk = true;
    expect(await activities.checkCredentials({ atripId: 'atrip-1' })).toEqual({ ok: true });
    expect(seen).toEqual(['trip_vanished', 'credentials_recovered']);
  });

  it('a hook that throws never fails the activity', async () => {
    const { client } = scriptedAvinode({ readTrip: () => ({ trip: { id: 'atrip-1', tripId: 'Q4K7ZP' } }) });
    const activities = createActivities({
      avinode: client,
      onAvinodeRecovered: () => {
        throw new Error('healer gone');
      },
    });
    expect(await activities.checkCredentials({ atripId: 'atrip-1' })).toEqual({ ok: true });
  });
});

describe('checkCredentials and cancelAvinodeTrip', () => {
  it('explains rejected credentials without throwing, and accepts any answer that got past authentication', async () => {
    const rejected = scriptedAvinode({
      findTripsByExternalId: () => {
        throw failure(FailureType.TokenEndpointRejected, 'POST /oauth/token → 401 invalid_client (client_secret_post)');
      },
    });
    expect(await createActivities({ avinode: rejected.client }).checkCredentials()).toEqual({
      ok: false,
      explanation: 'POST /oauth/token → 401 invalid_client (client_secret_post)',
    });
    const wiped = scriptedAvinode({
      readTrip: () => {
        throw ApplicationFailure.create({
          type: FailureType.NotFound,
          message: 'GET /trips/{id} → 404 NOT_FOUND',
          nonRetryable: true,
          details: [{ status: 404 }],
        });
      },
    });
    expect(await createActivities({ avinode: wiped.client }).checkCredentials({ atripId: 'atrip-1' })).toEqual({
      ok: true,
    });
    expect(wiped.calls.map((call) => [call.method, call.args[0]])).toEqual([['readTrip', 'atrip-1']]);
    const unsupportedSearch = scriptedAvinode({
      findTripsByExternalId: () => {
        throw ApplicationFailure.create({
          type: FailureType.Unavailable,
          message: 'GET /trips → 500 ERR_INTERNAL_CRITICAL',
          details: [{ status: 500 }],
        });
      },
    });
    expect(await createActivities({ avinode: unsupportedSearch.client }).checkCredentials()).toEqual({ ok: true });
  });

  it('appends nothing when the failure already names the method', async () => {
    const message =
      'avinode token endpoint at h (client c, method client_secret_jwt) rejected the request: 401 invalid_client';
    const { client } = scriptedAvinode({
      findTripsByExternalId: () => {
        throw failure(FailureType.TokenEndpointRejected, message);
      },
    });
    const activities = createActivities({
      avinode: client,
      authDescription: 'OAuth client credentials, client_secret_jwt',
      authMethod: 'client_secret_jwt',
    });
    expect(await activities.checkCredentials()).toEqual({ ok: false, explanation: message });
  });

  it('turns a typed credential error that is not an ApplicationFailure into a final one, without its details', async () => {
    const { client } = scriptedAvinode({
      createTrip: () => {
        throw Object.assign(new Error('token endpoint → 401 invalid_client'), {
          type: FailureType.TokenEndpointRejected,
          details: [{ raw: 'anything' }],
        });
      },
    });
    const error = (await createActivities({ avinode: client })
      .createTrip({
        request: { legs: [{ from: 'KTEB', to: 'KPBI', date: '2027-05-14', pax: 5 }] },
        workflowId: 'trip-x',
      })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect([error.type, error.nonRetryable, error.message]).toEqual([
      FailureType.TokenEndpointRejected,
      true,
      'token endpoint → 401 invalid_client',
    ]);
    expect(error.details ?? []).toEqual([]);
  });

  it('lets a network failure of the credential check through for Temporal to retry', async () => {
    const { client } = scriptedAvinode({
      findTripsByExternalId: () => {
        throw ApplicationFailure.create({
          type: FailureType.Unavailable,
          message: 'GET /trips → network error ECONNRESET',
        });
      },
    });
    const error = (await createActivities({ avinode: client })
      .checkCredentials()
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(error.type).toBe(FailureType.Unavailable);
  });

  it('names the configured auth method in credential failures and explanations, and leaves other failures alone', async () => {
    const { client } = scriptedAvinode({
      readTripRfqs: () => {
        throw failure(
          FailureType.AuthRejected,
          'GET /rfqs/{tripId} → 401 AUTHENTICATION_INVALID (still rejected after one token refresh)',
        );
      },
      findTripsByExternalId: () => {
        throw failure(FailureType.AuthRejected, 'GET /trips → 401 AUTHENTICATION_INVALID');
      },
      cancelTrip: () => {
        throw failure(FailureType.RequestInvalid, 'PUT /trips/{id}/cancel → 400 ERR_INPUT_MISSING');
      },
    });
    const activities = createActivities({ avinode: client, authDescription: 'OAuth client_secret_jwt' });
    const rejected = (await activities
      .readTripState({ atripId: 'atrip-1', tripId: 'Q4K7ZP', knownQuotes: [] })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect([rejected.type, rejected.nonRetryable]).toEqual([FailureType.AuthRejected, true]);
    expect(rejected.message).toBe(
      'GET /rfqs/{tripId} → 401 AUTHENTICATION_INVALID (still rejected after one token refresh) (auth: OAuth client_secret_jwt)',
    );
    expect(await activities.checkCredentials()).toEqual({
      ok: false,
      explanation: 'GET /trips → 401 AUTHENTICATION_INVALID (auth: OAuth client_secret_jwt)',
    });
    const invalid = (await activities
      .cancelAvinodeTrip({ atripId: 'atrip-1', reason: 'BY_CLIENT' })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(invalid.message).toBe('PUT /trips/{id}/cancel → 400 ERR_INPUT_MISSING');
  });

  it('reports a trip that is already gone as vanished when cancelling', async () => {
    const { client } = scriptedAvinode({
      cancelTrip: () => {
        throw failure(FailureType.NotFound, 'PUT /trips/{id}/cancel → 404 NOT_FOUND');
      },
    });
    expect(
      await createActivities({ avinode: client }).cancelAvinodeTrip({ atripId: 'atrip-1', reason: 'BY_CLIENT' }),
    ).toEqual({ status: 'vanished' });
  });
});

describe('deliverCallback', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function receiver(
    status: number,
  ): Promise<{ url: string; received: { headers: IncomingMessage['headers']; body: string }[] }> {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/hooks/charter`, received };
  }

  const event: CallbackEvent = {
    type: 'deep_link_ready',
    eventId: 'trip-ext-1/1',
    workflowId: 'trip-ext-1',
    externalId: 'ext-1',
    at: '2027-05-01T10:00:00.000Z',
    phase: 'awaiting_rfqs',
    tripId: 'Q4K7ZP',
    atripId: 'atrip-1',
    deepLinks: { searchInAvinode: 'https://sandbox.avinode.com/marketplace/mvc/search/load/atrip-1' },
  };

  it('POSTs the event as JSON with an HMAC-SHA256 signature the receiver can verify, and never the secret', async () => {
    const { url, received } = await receiver(204);
    const activities = createActivities({ avinode: scriptedAvinode({}).client, callbackSecret: CALLBACK_SECRET });
    expect(await activities.deliverCallback({ url, event })).toEqual({ status: 204 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(JSON.parse(request!.body)).toEqual(event);
    const signature = request!.headers[SIGNATURE_HEADER] as string;
    expect(verifyCallbackSignature(CALLBACK_SECRET, request!.body, signature)).toBe(true);
    expect(verifyCallbackSignature('another-secret-of-enough-length', request!.body, signature)).toBe(false);
    expect(verifyCallbackSignature(CALLBACK_SECRET, request!.body.replace('Q4K7ZP', 'XXXXXX'), signature)).toBe(false);
    expect(JSON.stringify(request)).not.toContain(CALLBACK_SECRET);
  });

  it('fails retryably on a 5xx and non-retryably when the receiver refuses the event', async () => {
    const activities = createActivities({ avinode: scriptedAvinode({}).client, callbackSecret: CALLBACK_SECRET });
    const down = await receiver(503);
    const retryable = (await activities
      .deliverCallback({ url: down.url, event })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect([retryable.type, retryable.nonRetryable]).toEqual([FailureType.CallbackUndelivered, false]);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const refusing = await receiver(400);
    const final = (await activities
      .deliverCallback({ url: refusing.url, event })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect([final.type, final.nonRetryable]).toEqual([FailureType.CallbackRejected, true]);
  });

  it('refuses plain http to another host and refuses to send unsigned without CALLBACK_SECRET', async () => {
    const signed = createActivities({ avinode: scriptedAvinode({}).client, callbackSecret: CALLBACK_SECRET });
    const insecure = (await signed
      .deliverCallback({ url: 'http://backend.example/hooks', event })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect([insecure.type, insecure.nonRetryable]).toEqual([FailureType.CallbackRejected, true]);
    const unsigned = createActivities({ avinode: scriptedAvinode({}).client });
    const missing = (await unsigned
      .deliverCallback({ url: 'https://backend.example/hooks', event })
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(missing.type).toBe(FailureType.ConfigurationInvalid);
    expect(missing.message).toMatch(/CALLBACK_SECRET/);
  });
});

describe('the blocked explanation', () => {
  it('adds the weekly sandbox reset window only on Mondays between 06:00 and 08:00 UTC', async () => {
    const { withResetWindowNote } = await import('../../workflows/charter-trip.ts');
    const reason = 'POST /oauth/token → 401 invalid_client (client_secret_post)';
    expect(withResetWindowNote(reason, Date.parse('2027-05-17T06:30:00Z'))).toMatch(/reset window/);
    expect(withResetWindowNote(reason, Date.parse('2027-05-17T08:00:00Z'))).toBe(reason);
    expect(withResetWindowNote(reason, Date.parse('2027-05-18T06:30:00Z'))).toBe(reason);
  });
});

describe('activityDepsFromConfig', () => {
  it('passes the callback secret and names the auth method without any credential value', () => {
    const config = loadConfig({ CALLBACK_SECRET: CALLBACK_SECRET, AVINODE_CLIENT_AUTH_METHOD: 'client_secret_basic' });
    const deps = activityDepsFromConfig(config, scriptedAvinode({}).client);
    expect(deps.callbackSecret).toBe(CALLBACK_SECRET);
    expect(deps.authDescription).toBe('OAuth client credentials, client_secret_basic');
    expect(deps.authMethod).toBe('client_secret_basic');
    const secrets = [config.avinode.clientSecret, config.avinode.apiToken, config.avinode.bearerToken].filter(
      (v): v is string => !!v,
    );
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(deps.authDescription).not.toContain(secret);
    expect(
      activityDepsFromConfig(loadConfig({ AVINODE_AUTH: 'static' }), scriptedAvinode({}).client).authDescription,
    ).toMatch(/static bearer token/);
  });
});
