import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/contract.ts';
import { liftStatusOf } from '../../../activities/avinode/normalize.ts';
import { noTripLookup } from '../../../activities/avinode/trips.ts';
import { QUOTE_INCLUDES } from '../../../activities/avinode/rfqs.ts';
import { BASE_URL, JSON_HEADERS, envelope, errorEnvelope, rfqResource, setup, tripResource } from './fakes.ts';

let current: ReturnType<typeof setup> | undefined;
const fresh = () => (current = setup());
afterEach(async () => {
  current?.agent.assertNoPendingInterceptors();
  await current?.agent.close();
  current = undefined;
});

const oneWay = { legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 }] };
const searchPath = (id: string) => `/api/trips?externalTripId=${encodeURIComponent(id)}`;

describe('createTrip (find-or-create)', () => {
  it('posts directly on the first attempt and returns ids and deep links', async () => {
    const { pool, client } = fresh();
    let posted: unknown;
    pool.intercept({ path: '/api/trips', method: 'POST' }).reply((request) => {
      posted = JSON.parse(String(request.body));
      return { statusCode: 201, data: envelope(tripResource()), responseOptions: { headers: JSON_HEADERS } };
    });
    const created = await client.createTrip(oneWay, 'trip-abc', { attempt: 1 });
    expect(posted).toMatchObject({ externalTripId: 'trip-abc', sourcing: true });
    expect(created).toEqual({
      atripId: 'atrip-70001234',
      tripId: 'Q4K7ZP',
      href: `${BASE_URL}/trips/atrip-70001234`,
      deepLinks: {
        searchInAvinode: 'https://sandbox.avinode.test/marketplace/mvc/search/load/atrip-70001234?source=api',
        viewInAvinode: 'https://sandbox.avinode.test/marketplace/mvc/trips/buying/atrip-70001234?source=api',
        cancel: `${BASE_URL}/trips/atrip-70001234/cancel`,
      },
      reused: false,
    });
  });

  it('adopts the oldest trip with exactly our externalTripId on a retry instead of posting again, and names the others as duplicates', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: searchPath('trip-abc'), method: 'GET' }).reply(
      200,
      envelope([
        tripResource('atrip-3', { externalTripId: 'trip-abc', createdOn: '2026-05-01T10:00:02Z' }),
        tripResource('atrip-1', { externalTripId: 'trip-abc', createdOn: '2026-05-01T10:00:00Z' }),
        tripResource('atrip-2', {
          externalTripId: 'trip-abc',
          status: 'Cancelled',
          createdOn: '2026-05-01T10:00:01Z',
        }),
      ]),
      { headers: JSON_HEADERS },
    );
    const created = await client.createTrip(oneWay, 'trip-abc', { attempt: 2 });
    // A cancelled trip is neither adopted nor a duplicate.
    expect(created).toMatchObject({
      atripId: 'atrip-1',
      reused: true,
      duplicates: [{ atripId: 'atrip-3', tripId: 'Q4K7ZP' }],
    });
    expect(created.unconfirmed).toBeUndefined();
  });

  it('never adopts a hit without our externalTripId: a host that ignores the parameter answers other trips', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: searchPath('trip-abc'), method: 'GET' })
      .reply(200, envelope([tripResource('atrip-8'), tripResource('atrip-9', { externalTripId: 'trip-abc-2' })]), {
        headers: JSON_HEADERS,
      });
    pool
      .intercept({ path: '/api/trips', method: 'POST' })
      .reply(201, envelope(tripResource('atrip-10')), { headers: JSON_HEADERS });
    const created = await client.createTrip(oneWay, 'trip-abc', { attempt: 2 });
    expect(created).toMatchObject({ atripId: 'atrip-10', reused: false });
    // The search answered (nothing of ours), so the create is not in doubt.
    expect(created.unconfirmed).toBeUndefined();
    expect(await client.findTripsByExternalId('trip-abc').catch(() => 'no interceptor left')).toBe(
      'no interceptor left',
    );
  });

  it('posts on a retry when the search finds nothing, and tolerates a response without actions', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: searchPath('trip-abc'), method: 'GET' }).reply(200, envelope([]), { headers: JSON_HEADERS });
    pool
      .intercept({ path: '/api/trips', method: 'POST' })
      .reply(201, envelope({ id: 'atrip-5', tripId: 'ZZZ111' }), { headers: JSON_HEADERS });
    const created = await client.createTrip(oneWay, 'trip-abc', { attempt: 2 });
    expect(created).toEqual({
      atripId: 'atrip-5',
      tripId: 'ZZZ111',
      href: `${BASE_URL}/trips/atrip-5`,
      deepLinks: {},
      reused: false,
    });
  });

  it('still creates the trip when the search is not supported by the host (ERR_INTERNAL_CRITICAL), marked unconfirmed', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: searchPath('trip-abc'), method: 'GET' })
      .reply(500, errorEnvelope('ERR_INTERNAL_CRITICAL'), { headers: JSON_HEADERS });
    pool
      .intercept({ path: '/api/trips', method: 'POST' })
      .reply(201, envelope(tripResource('atrip-6')), { headers: JSON_HEADERS });
    expect(await client.createTrip(oneWay, 'trip-abc', { attempt: 3 })).toMatchObject({
      atripId: 'atrip-6',
      reused: false,
      unconfirmed: true,
    });
  });

  it('fails the attempt (no post) when the search answers a passing 503, which a retry may get past', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: searchPath('trip-abc'), method: 'GET' })
      .reply(503, errorEnvelope('SERVICE_UNAVAILABLE'), { headers: JSON_HEADERS });
    // No POST interceptor: posting would fail the call with a MockAgent error instead of the 503.
    await expect(client.createTrip(oneWay, 'trip-abc', { attempt: 2 })).rejects.toMatchObject({
      type: FailureType.Unavailable,
      message: expect.stringMatching(/^GET \/trips → 503/),
    });
  });

  it('takes the lookup as a strategy: with none, a retried attempt posts at once, marked unconfirmed', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/trips', method: 'POST' })
      .reply(201, envelope(tripResource('atrip-11')), { headers: JSON_HEADERS });
    // No search interceptor: a GET would fail the call (MockAgent refuses unmatched requests).
    expect(await client.createTrip(oneWay, 'trip-abc', { attempt: 2, lookup: noTripLookup })).toMatchObject({
      atripId: 'atrip-11',
      unconfirmed: true,
    });
  });

  it('fails the attempt (no post) when the search is rate limited or the network fails', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: searchPath('trip-abc'), method: 'GET' }).reply(429, {}, { headers: { 'retry-after': '5' } });
    pool
      .intercept({ path: searchPath('trip-abc'), method: 'GET' })
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(client.createTrip(oneWay, 'trip-abc', { attempt: 2 })).rejects.toMatchObject({
      type: FailureType.RateLimited,
      nextRetryDelay: 5_000,
    });
    await expect(client.createTrip(oneWay, 'trip-abc', { attempt: 2 })).rejects.toMatchObject({
      type: FailureType.Unavailable,
    });
  });

  it('ignores search hits that carry a different externalTripId', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: searchPath('trip-abc'), method: 'GET' })
      .reply(200, envelope([tripResource('atrip-9', { externalTripId: 'trip-other' })]), {
        headers: JSON_HEADERS,
      });
    pool
      .intercept({ path: '/api/trips', method: 'POST' })
      .reply(201, envelope(tripResource('atrip-7')), { headers: JSON_HEADERS });
    expect(await client.createTrip(oneWay, 'trip-abc', { attempt: 2 })).toMatchObject({
      atripId: 'atrip-7',
      reused: false,
    });
  });
});

const liftQuoted = {
  id: 'asellerlift-90001111',
  aircraftCategory: 'Midsize jet',
  aircraftType: 'Citation XLS+',
  aircraftTail: 'N123EX',
  maxPax: 8,
  sourcingDisplayStatus: 'Accepted',
  sourcingStatus: 2,
  sellerPrice: { price: 41250, currency: 'USD' },
  links: { quotes: [{ id: 'aquote-95550001' }] },
};
const liftDeclined = {
  id: 'asellerlift-90001112',
  aircraftCategory: 'Midsize jet',
  sourcingDisplayStatus: 'Declined',
  links: { quotes: [] },
};

describe('RFQs, quotes and messages', () => {
  it('reads a trip’s RFQs by short trip id and normalizes lifts', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/rfqs/Q4K7ZP', method: 'GET', query: { ...QUOTE_INCLUDES } })
      .reply(200, envelope([rfqResource('arfq-1', [liftQuoted, liftDeclined])]), { headers: JSON_HEADERS });
    const read = await client.readTripRfqs({ tripId: 'Q4K7ZP', atripId: 'atrip-1' });
    expect(read.source).toBe('rfqs');
    expect(read.rfqs).toEqual([
      {
        rfqId: 'arfq-1',
        operator: 'Example Air Charter',
        createdOn: '2026-05-01T14:02:11Z',
        messageIds: ['asellermsg-96660002'],
        lifts: [
          {
            liftId: 'asellerlift-90001111',
            status: 'quoted',
            aircraftCategory: 'Midsize jet',
            aircraftType: 'Citation XLS+',
            aircraftTail: 'N123EX',
            maxPax: 8,
            quoteIds: ['aquote-95550001'],
            price: 41250,
            currency: 'USD',
          },
          { liftId: 'asellerlift-90001112', status: 'declined', aircraftCategory: 'Midsize jet', quoteIds: [] },
        ],
      },
    ]);
  });

  it('falls back to the trip’s embedded RFQs when GET /rfqs/{tripId} answers 404', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/rfqs/Q4K7ZP', method: 'GET', query: { ...QUOTE_INCLUDES } })
      .reply(404, errorEnvelope('NOT_FOUND'), { headers: JSON_HEADERS });
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(200, envelope(tripResource('atrip-1', { rfqs: [rfqResource('arfq-2', [liftDeclined])] })), {
        headers: JSON_HEADERS,
      });
    const read = await client.readTripRfqs({ tripId: 'Q4K7ZP', atripId: 'atrip-1' });
    expect(read.source).toBe('trip');
    expect(read.rfqs.map((r) => r.rfqId)).toEqual(['arfq-2']);
  });

  it('throws NotFound when the trip itself is gone too (the workflow decides it vanished)', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/rfqs/Q4K7ZP', method: 'GET', query: { ...QUOTE_INCLUDES } })
      .reply(404, errorEnvelope('NOT_FOUND'), { headers: JSON_HEADERS });
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(404, errorEnvelope('NOT_FOUND'), { headers: JSON_HEADERS });
    await expect(client.readTripRfqs({ tripId: 'Q4K7ZP', atripId: 'atrip-1' })).rejects.toMatchObject({
      type: FailureType.NotFound,
    });
  });

  it('reads one RFQ by its arfq- id', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/rfqs/arfq-80004567', method: 'GET' })
      .reply(200, envelope(rfqResource('arfq-80004567', [liftQuoted])), { headers: JSON_HEADERS });
    const { rfq } = await client.readRfq('arfq-80004567');
    expect(rfq.rfqId).toBe('arfq-80004567');
    expect(rfq.lifts[0]!.status).toBe('quoted');
  });

  it('reads a quote with its authoritative seller price, asking for the breakdown, contact and aircraft details', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: '/api/quotes/aquote-95550001', method: 'GET', query: { ...QUOTE_INCLUDES } }).reply(
      200,
      envelope({
        id: 'aquote-95550001',
        sellerPrice: { price: 39900, currency: 'USD' },
        sellerPriceWithoutCommission: { price: 38000, currency: 'USD' },
        sellerCompany: { displayName: 'Example Air Charter', contactInfo: { emails: ['charter@example-air.test'] } },
        lift: {
          aircraftCategory: 'Midsize jet',
          aircraftType: 'Citation XLS+',
          aircraftTail: 'N123EX',
          maxPax: 8,
          yearOfMake: 2016,
        },
        lineItems: [
          { type: 'FLIGHT', displayName: 'Flight', price: 35900, visibleToBuyer: true },
          { type: 'CREW', displayName: 'Crew', price: 4000, visibleToBuyer: true },
          { type: 'OTHER', displayName: 'Internal margin', price: 900, visibleToBuyer: false },
          { type: 'CATERING', displayName: 'no price' },
        ],
        createdOn: '2026-05-01T15:00:00Z',
      }),
      { headers: JSON_HEADERS },
    );
    const { quote } = await client.readQuote('aquote-95550001', { rfqId: 'arfq-1', liftId: 'asellerlift-90001111' });
    expect(quote).toEqual({
      quoteId: 'aquote-95550001',
      rfqId: 'arfq-1',
      liftId: 'asellerlift-90001111',
      operator: 'Example Air Charter',
      aircraftCategory: 'Midsize jet',
      aircraftType: 'Citation XLS+',
      aircraftTail: 'N123EX',
      seats: 8,
      price: 39900,
      currency: 'USD',
      priceWithoutCommission: { price: 38000, currency: 'USD' },
      lineItems: [
        { type: 'FLIGHT', displayName: 'Flight', price: 35900, visibleToBuyer: true },
        { type: 'CREW', displayName: 'Crew', price: 4000, visibleToBuyer: true },
      ],
      yearOfMake: 2016,
      sellerContact: { emails: ['charter@example-air.test'] },
      createdOn: '2026-05-01T15:00:00Z',
    });
  });

  it('treats a quote without a price as a contract violation', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/quotes/aquote-1', method: 'GET', query: { ...QUOTE_INCLUDES } })
      .reply(200, envelope({ id: 'aquote-1' }), { headers: JSON_HEADERS });
    const error = await client.readQuote('aquote-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(FailureType.ContractViolation);
  });

  it('reads a trip message with its text and quote reference', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: '/api/tripmsgs/asellermsg-1', method: 'GET' }).reply(
      200,
      envelope({
        id: 'asellermsg-1',
        message: 'Quote attached',
        sellerCompany: { displayName: 'Op' },
        links: { quotes: [{ id: 'aquote-7' }] },
      }),
      { headers: JSON_HEADERS },
    );
    const { message } = await client.readTripMessage('asellermsg-1');
    expect(message).toEqual({
      messageId: 'asellermsg-1',
      direction: 'received',
      operator: 'Op',
      text: 'Quote attached',
      quoteId: 'aquote-7',
    });
  });

  it.each([
    ['Unanswered', 0, 'unanswered'],
    ['Accepted', 1, 'quoted'],
    ['Declined', 0, 'declined'],
    ['Cancelled', 0, 'cancelled'],
    [undefined, 0, 'unanswered'],
    ['SomethingNew', 1, 'quoted'],
  ] as const)('maps sourcingDisplayStatus %s (with %i quote links) to %s', (display, quotes, status) => {
    const links = { quotes: Array.from({ length: quotes }, (_, i) => ({ id: `aquote-${i}` })) };
    expect(liftStatusOf({ sourcingDisplayStatus: display, links })).toBe(status);
  });
});

describe('cancel and webhook settings', () => {
  it('cancels a trip with the documented body', async () => {
    const { pool, client } = fresh();
    let body: unknown;
    pool.intercept({ path: '/api/trips/atrip-1/cancel', method: 'PUT' }).reply((request) => {
      body = JSON.parse(String(request.body));
      return { statusCode: 200, data: envelope(tripResource('atrip-1')), responseOptions: { headers: JSON_HEADERS } };
    });
    await client.cancelTrip('atrip-1', { reason: 'BY_CLIENT', messageToSeller: 'Client chose another option.' });
    expect(body).toEqual({ id: 'atrip-1', reason: 'BY_CLIENT', messageToSeller: 'Client chose another option.' });
  });

  it('lists, creates and updates webhook settings', async () => {
    const { pool, client } = fresh();
    const setting = {
      id: 'whs-1583',
      targetURI: 'https://hooks.example/webhooks/avinode/TripRequestMine',
      active: true,
      eventTypes: ['TripRequestMine'],
    };
    let created: unknown;
    let updated: unknown;
    pool
      .intercept({ path: '/api/webhooks/settings', method: 'GET' })
      .reply(200, envelope([setting]), { headers: JSON_HEADERS });
    pool.intercept({ path: '/api/webhooks/settings', method: 'POST' }).reply((request) => {
      created = JSON.parse(String(request.body));
      return { statusCode: 201, data: envelope(setting), responseOptions: { headers: JSON_HEADERS } };
    });
    pool.intercept({ path: '/api/webhooks/settings/whs-1583', method: 'PUT' }).reply((request) => {
      updated = JSON.parse(String(request.body));
      return {
        statusCode: 200,
        data: envelope({ ...setting, active: false }),
        responseOptions: { headers: JSON_HEADERS },
      };
    });
    expect(await client.listWebhookSettings()).toEqual([setting]);
    const input = {
      targetURI: setting.targetURI,
      displayName: 'charterflow',
      active: true,
      eventTypes: ['TripRequestMine'],
      clientIdentifier: 'avinode',
      clientSecret: 'pw',
      clientAuthenticationType: 'BASIC' as const,
    };
    expect((await client.createWebhookSetting(input)).id).toBe('whs-1583');
    expect(created).toEqual(input);
    expect((await client.updateWebhookSetting('whs-1583', { active: false })).active).toBe(false);
    expect(updated).toEqual({ active: false });
  });
});
