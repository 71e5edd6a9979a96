// RFQs as Avinode documents them (avinode-api.md §13): 0..n requested lifts, quotes on a lift or on
// the RFQ itself, `canceled: true` with lifts keeping their statuses, same-id re-notification,
// message notifications without tripId, digit-first short trip ids.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOPILOT } from '../../emulator/index.ts';
import { startHarness, startReceiver, tripBody, tripWithRfqs, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
  for (const close of closers.splice(0)) await close();
});

const quietPilot = { ...DEFAULT_AUTOPILOT, enabled: false };

describe('RFQs as documented', () => {
  it('holds several requested lifts; a quote on one lift answers only that lift', async () => {
    h = await startHarness({ autopilot: quietPilot });
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    const sent = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1, liftsPerRfq: 2 })).json.data;
    expect(sent.liftIds).toHaveLength(2);
    await h.admin('POST', `/rfqs/${sent.rfqIds[0]}/respond`, {
      action: 'quote',
      liftId: sent.liftIds[1],
      price: 30_000,
      currency: 'USD',
    });
    const rfq = (await h.api('GET', `/rfqs/${sent.rfqIds[0]}`)).json.data;
    expect(
      rfq.sellerLift.map((lift: { id: string; sourcingDisplayStatus: string }) => [
        lift.id,
        lift.sourcingDisplayStatus,
      ]),
    ).toEqual([
      [sent.liftIds[0], 'Unanswered'],
      [sent.liftIds[1], 'Accepted'],
    ]);
    expect(
      (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1, liftsPerRfq: 0 })).json.data.liftIds,
    ).toEqual([]);
    expect((await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1, liftsPerRfq: 6 })).status).toBe(400);
  });

  it('lists a quote on the RFQ itself under rfq.links.quotes, on an offered lift outside sellerLift', async () => {
    h = await startHarness({ autopilot: quietPilot });
    const { rfqIds, liftIds } = await tripWithRfqs(h, 1);
    const answer = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, {
        action: 'quote',
        onRfq: true,
        aircraftTail: 'N999AL',
        aircraftType: 'Challenger 350',
        price: 45_000,
        currency: 'USD',
      })
    ).json.data;
    const rfq = (await h.api('GET', `/rfqs/${rfqIds[0]}`)).json.data;
    expect(rfq.links.quotes.map((link: { id: string }) => link.id)).toEqual([answer.quoteId]);
    expect(
      rfq.sellerLift.map((lift: { id: string; sourcingDisplayStatus: string }) => [
        lift.id,
        lift.sourcingDisplayStatus,
      ]),
    ).toEqual([[liftIds[0], 'Unanswered']]);
    const quote = (await h.api('GET', `/quotes/${answer.quoteId}`)).json.data;
    expect(quote.lift).toMatchObject({ aircraftTail: 'N999AL', aircraftType: 'Challenger 350' });
    expect(quote.lift.id).not.toBe(liftIds[0]);
    expect(
      (await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote', onRfq: true, liftId: liftIds[0] }))
        .status,
    ).toBe(400);
  });

  it('declines the whole request when no lift is named, with the documented reason', async () => {
    h = await startHarness({ autopilot: quietPilot });
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    const sent = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1, liftsPerRfq: 2 })).json.data;
    const declined = (
      await h.admin('POST', `/rfqs/${sent.rfqIds[0]}/respond`, {
        action: 'decline',
        declineReason: 'CABOTAGE',
        message: 'Cabotage rules.',
      })
    ).json.data;
    const rfq = (await h.api('GET', `/rfqs/${sent.rfqIds[0]}`)).json.data;
    expect(rfq.sellerLift.map((lift: { sourcingDisplayStatus: string }) => lift.sourcingDisplayStatus)).toEqual([
      'Declined',
      'Declined',
    ]);
    const message = (await h.api('GET', `/tripmsgs/${declined.messageId}`)).json.data;
    expect(message).toMatchObject({
      message: 'Cabotage rules.',
      declineReason: 'CABOTAGE',
      rfq: { id: sent.rfqIds[0] },
    });
    expect(message.lift).toBeUndefined();
  });

  it('marks a cancelled RFQ canceled while its lifts keep their documented statuses, and re-sends TripRequestMine with the same id', async () => {
    h = await startHarness({ autopilot: quietPilot });
    const mine = await startReceiver();
    closers.push(mine.close);
    await h.api('POST', '/webhooks/settings', {
      body: {
        targetURI: `${mine.url}/webhooks/avinode/TripRequestMine`,
        displayName: 'mine',
        eventTypes: ['TripRequestMine'],
      },
    });
    const { trip, rfqIds } = await tripWithRfqs(h, 2);
    await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote', price: 30_000 });
    expect(
      (await h.admin('POST', `/rfqs/${rfqIds[1]}/cancel`, { reason: 'CHANGED', message: 'Plans changed.' })).json.data,
    ).toEqual({ rfqId: rfqIds[1], status: 'Cancelled' });
    await h.api('PUT', `/trips/${trip.id}/cancel`, { body: { reason: 'BY_CLIENT' } });
    const rfqs = (await h.api('GET', `/rfqs/${trip.tripId}`)).json.data;
    expect(
      rfqs.map((rfq: { canceled?: boolean; sellerLift: { sourcingDisplayStatus: string }[] }) => [
        rfq.canceled,
        rfq.sellerLift[0]!.sourcingDisplayStatus,
      ]),
    ).toEqual([
      [true, 'Accepted'],
      [true, 'Unanswered'],
    ]);
    const hooks = await waitFor(() => (mine.received.length >= 4 ? mine.received : undefined), {
      what: 'send + cancel notifications',
    });
    // Each RFQ on send-rfqs, then once more on its own cancellation (the trip cancel skips the one already cancelled).
    expect(hooks.map((hook) => hook.body.id).sort()).toEqual([rfqIds[0], rfqIds[0], rfqIds[1], rfqIds[1]].sort());
  });

  it('sends message notifications without tripId, and short trip ids may start with a digit', async () => {
    h = await startHarness({ autopilot: quietPilot });
    const trips = [];
    for (let i = 0; i < 40; i++) trips.push((await h.api('POST', '/trips', { body: tripBody() })).json.data);
    expect(trips.every((trip) => /^[A-Z0-9]{6}$/.test(trip.tripId) && /[A-Z]/.test(trip.tripId))).toBe(true);
    const digitFirst = trips.find((trip) => /^\d/.test(trip.tripId));
    expect(digitFirst).toBeDefined();
    expect((await h.api('GET', `/rfqs/${digitFirst.tripId}`)).status).toBe(200);
    expect((await h.api('GET', '/rfqs/123456')).status).toBe(404);
  });

  it('leaves out the undocumented response fields when inferredShapes is off', async () => {
    h = await startHarness({ autopilot: quietPilot, inferredShapes: false });
    const { trip, rfqIds, liftIds } = await tripWithRfqs(h, 2);
    const declined = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'decline', declineReason: 'CABOTAGE' })
    ).json.data;
    await h.admin('POST', `/rfqs/${rfqIds[1]}/cancel`, { reason: 'CHANGED' });
    await h.api('PUT', `/trips/${trip.id}/outcome`, {
      body: { outcome: 'CONVERTED', winningSellerLiftId: liftIds[1] },
    });
    expect((await h.api('GET', `/tripmsgs/${declined.messageId}`)).json.data.declineReason).toBeUndefined();
    const cancelled = (await h.api('GET', `/rfqs/${rfqIds[1]}`)).json.data;
    expect(cancelled.canceled).toBe(true);
    expect(cancelled.cancellation).toBeUndefined();
    expect(cancelled.trip).toBeUndefined();
    expect(cancelled.tripId).toBe(trip.tripId);
    expect((await h.api('GET', `/trips/${trip.id}`)).json.data.outcome).toBeUndefined();
  });
});
