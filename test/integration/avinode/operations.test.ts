import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { admin, clientFor, futureDate, tokenSourceFor, type Emulator } from './helpers.ts';

let emulator: Emulator;
let client: ReturnType<typeof clientFor>;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = clientFor(emulator, tokenSourceFor(emulator));
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

const roundTrip = () => ({
  aircraftCategory: 'Midsize jet' as const,
  legs: [
    { from: 'KTEB', to: 'KPBI', date: futureDate(20), time: '09:30', pax: 5 },
    { from: 'KPBI', to: 'KTEB', date: futureDate(24), time: '16:00', pax: 5 },
  ],
});

describe('Avinode client against the emulator', () => {
  it('creates a round trip and reads it back with its itinerary and deep links', async () => {
    const created = await client.createTrip(roundTrip(), 'it-ops-round');
    expect(created.atripId).toMatch(/^atrip-\d+$/);
    expect(created.tripId).toMatch(/^[A-Z0-9]{6}$/);
    expect(created.deepLinks.searchInAvinode).toContain(`/marketplace/mvc/search/load/${created.atripId}`);
    expect(created.reused).toBe(false);
    const read = await client.readTrip(created.atripId);
    expect(read.trip.id).toBe(created.atripId);
    expect(read.trip.segments?.map((s) => `${s.startAirport?.icao}-${s.endAirport?.icao}`)).toEqual([
      'KTEB-KPBI',
      'KPBI-KTEB',
    ]);
    expect(read.trip.segments?.[0]?.paxCount).toBe('5');
    expect(read.rfqs).toEqual([]);
  });

  it('creates one-way and multi-leg trips, the latter with a TBD time', async () => {
    const oneWay = await client.createTrip(
      { legs: [{ from: 'KTEB', to: 'KMIA', date: futureDate(10), pax: 2 }] },
      'it-ops-oneway',
    );
    const multi = await client.createTrip(
      {
        legs: [
          { from: 'KTEB', to: 'KMIA', date: futureDate(10), time: '08:00', pax: 3 },
          { from: 'KMIA', to: 'MYNN', date: futureDate(11), pax: 3 },
          { from: 'MYNN', to: 'KTEB', date: futureDate(14), time: '17:45', pax: 2 },
        ],
      },
      'it-ops-multi',
    );
    expect((await client.readTrip(oneWay.atripId)).trip.segments).toHaveLength(1);
    expect((await client.readTrip(multi.atripId)).trip.segments).toHaveLength(3);
  });

  it('reads RFQs, lifts, quotes and trip messages after operators answer', async () => {
    const created = await client.createTrip(roundTrip(), 'it-ops-quotes');
    const sent = await admin(emulator, 'POST', `/_emulator/trips/${created.atripId}/send-rfqs`, { operators: 2 });
    expect(sent.rfqIds).toHaveLength(2);
    await admin(emulator, 'POST', `/_emulator/rfqs/${sent.rfqIds[0]}/respond`, {
      action: 'quote',
      price: 41250,
      currency: 'USD',
    });
    await admin(emulator, 'POST', `/_emulator/rfqs/${sent.rfqIds[1]}/respond`, { action: 'decline' });

    const { rfqs, source } = await client.readTripRfqs({ tripId: created.tripId, atripId: created.atripId });
    expect(source).toBe('rfqs');
    expect(rfqs.map((r) => r.rfqId).sort()).toEqual([...sent.rfqIds].sort());
    const quotedRfq = rfqs.find((r) => r.rfqId === sent.rfqIds[0])!;
    const declinedRfq = rfqs.find((r) => r.rfqId === sent.rfqIds[1])!;
    expect(quotedRfq.lifts[0]).toMatchObject({ status: 'quoted', price: 41250, currency: 'USD' });
    expect(declinedRfq.lifts[0]!.status).toBe('declined');

    const quoteId = quotedRfq.lifts[0]!.quoteIds[0]!;
    expect(quoteId).toMatch(/^aquote-/);
    const { quote } = await client.readQuote(quoteId);
    expect(quote).toMatchObject({
      quoteId,
      rfqId: quotedRfq.rfqId,
      liftId: quotedRfq.lifts[0]!.liftId,
      price: 41250,
      currency: 'USD',
    });
    expect(quote.operator).toBe(quotedRfq.operator);

    const messageId = quotedRfq.messageIds[0]!;
    const { message } = await client.readTripMessage(messageId);
    expect(message).toMatchObject({ messageId, quoteId, rfqId: quotedRfq.rfqId });

    const { rfq } = await client.readRfq(sent.rfqIds[1]);
    expect(rfq.lifts[0]!.status).toBe('declined');

    const viaHref = await client.readByHref(`${emulator.apiBaseUrl}/rfqs/${sent.rfqIds[0]}`);
    expect(viaHref.type === 'rfqs' && viaHref.value.rfq.rfqId).toBe(sent.rfqIds[0]);
  });

  it('cancels a trip, after which its RFQs show as cancelled and their lifts keep the documented statuses', async () => {
    const created = await client.createTrip(roundTrip(), 'it-ops-cancel');
    await admin(emulator, 'POST', `/_emulator/trips/${created.atripId}/send-rfqs`, { operators: 1 });
    await client.cancelTrip(created.atripId, { reason: 'BY_CLIENT', messageToSeller: 'Client chose another option.' });
    const read = await client.readTrip(created.atripId);
    expect(read.trip.status).toMatch(/cancel/i);
    expect(read.deepLinks.cancel).toBeUndefined();
    expect(read.rfqs[0]!.cancelled).toMatchObject({ reason: 'BY_CLIENT' });
    expect(read.rfqs[0]!.lifts.map((lift) => lift.status)).toEqual(['unanswered']);
  });

  it('answers NotFound for an unknown trip, and for a bare numeric id', async () => {
    await expect(client.readTrip('atrip-99999999')).rejects.toMatchObject({ type: FailureType.NotFound });
    await expect(client.readTrip('99999999')).rejects.toMatchObject({ type: FailureType.NotFound });
  });

  it('lists, creates and updates webhook settings', async () => {
    const created = await client.createWebhookSetting({
      targetURI: 'http://127.0.0.1:8281/webhooks/avinode/TripRequestMine',
      displayName: 'charterflow it',
      active: true,
      eventTypes: ['TripRequestMine'],
      clientIdentifier: 'avinode',
      clientSecret: 'webhook-secret-it',
      clientAuthenticationType: 'BASIC',
    });
    expect(created.id).toMatch(/^whs-/);
    expect((await client.listWebhookSettings()).map((s) => s.id)).toContain(created.id);
    const updated = await client.updateWebhookSetting(created.id, { active: false });
    expect(updated.active).toBe(false);
  });

  it('find-or-create leaves exactly one trip when an attempt is retried', async () => {
    const externalId = 'trip-it-find-or-create';
    const first = await client.createTrip(roundTrip(), externalId, { attempt: 1 });
    const retried = await client.createTrip(roundTrip(), externalId, { attempt: 2 });
    expect(retried).toMatchObject({ atripId: first.atripId, reused: true });
    const stats = await admin(emulator, 'GET', '/_emulator/stats');
    expect(stats.tripsByExternalId[externalId]).toBe(1);
    expect(await client.findTripsByExternalId(externalId)).toHaveLength(1);
  });
});
