// The broker's decisions as the emulator models them: Report trip outcome, Send a message (both on
// inferred paths, see emulator/README.md) and Cancel a single RFQ, with stats per trip.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOPILOT } from '../../emulator/index.ts';
import { startHarness, tripWithRfqs, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('Report trip outcome (PUT /api/trips/{id}/outcome, inferred path)', () => {
  it('records CONVERTED with the winning lift; a repeated report replaces it and is counted', async () => {
    h = await startHarness();
    const { trip, liftIds } = await tripWithRfqs(h);
    const first = await h.api('PUT', `/trips/${trip.id}/outcome`, {
      body: { outcome: 'CONVERTED', winningSellerLiftId: liftIds[1] },
    });
    expect(first.status).toBe(200);
    expect(first.json.data.outcome).toMatchObject({
      outcome: 'CONVERTED',
      winningSellerLiftId: liftIds[1],
      reports: 1,
    });
    await h.api('PUT', `/trips/${trip.id}/outcome`, {
      body: { outcome: 'CONVERTED', winningSellerLiftId: liftIds[1] },
    });
    const stats = (await h.admin('GET', '/stats')).json.data;
    expect(stats.outcomesByTrip[trip.id]).toEqual({
      outcome: 'CONVERTED',
      winningSellerLiftId: liftIds[1],
      reports: 2,
    });
    expect(stats.outcomeReports).toBe(2);
  });

  it('refuses what the reference rules out, naming the field', async () => {
    h = await startHarness();
    const { trip, liftIds } = await tripWithRfqs(h);
    const other = await tripWithRfqs(h, 1);
    const put = (body: unknown) => h!.api('PUT', `/trips/${trip.id}/outcome`, { body });
    const refusal = async (body: unknown) => {
      const res = await put(body);
      return [res.status, res.json.meta.errors[0]?.path];
    };
    expect(await refusal({})).toEqual([400, 'outcome']);
    expect(await refusal({ outcome: 'converted!' })).toEqual([400, 'outcome']);
    expect(await refusal({ outcome: 'CONVERTED', winningSellerLiftId: other.liftIds[0] })).toEqual([
      400,
      'winningSellerLiftId',
    ]);
    expect(await refusal({ outcome: 'LOST', winningSellerLiftId: liftIds[0] })).toEqual([400, 'winningSellerLiftId']);
    expect(
      await refusal({ outcome: 'CONVERTED', winningSellerLiftId: liftIds[0], winningTenantName: 'Other Air' }),
    ).toEqual([400, 'winningTenantName']);
    expect(
      await refusal({ outcome: 'CONVERTED', winningTenantName: 'Off Platform Jets', winningTail: 'N'.repeat(101) }),
    ).toEqual([400, 'winningTail']);
    expect(
      (await put({ outcome: 'CONVERTED', winningTenantName: 'Off Platform Jets', winningTail: 'N77OP' })).status,
    ).toBe(200);
    expect((await h.api('PUT', '/trips/atrip-1/outcome', { body: { outcome: 'CONVERTED' } })).status).toBe(404);
  });
});

describe('Send a message (POST /api/tripmsgs/{rfqId}/chat, inferred path)', () => {
  it('adds a buyer message to the RFQ, readable as a trip message, with the ActAs account', async () => {
    h = await startHarness({ autopilot: { ...DEFAULT_AUTOPILOT, enabled: false } });
    const { trip, rfqIds } = await tripWithRfqs(h);
    const res = await h.api('POST', `/tripmsgs/${rfqIds[0]}/chat`, {
      body: { message: 'Is catering included?' },
      headers: { 'x-avinode-actasaccount': 'dana.broker' },
    });
    expect(res.status).toBe(201);
    const message = res.json.data;
    expect(message).toMatchObject({
      id: expect.stringMatching(/^abuyermsg-\d+$/),
      type: 'tripmsgs',
      message: 'Is catering included?',
      buyerAccount: { displayName: 'dana.broker' },
      rfq: { id: rfqIds[0] },
    });
    expect(message.sellerCompany).toBeUndefined();
    expect((await h.api('GET', `/tripmsgs/${message.id}`)).json.data.message).toBe('Is catering included?');
    expect(
      (await h.api('GET', `/rfqs/${rfqIds[0]}`)).json.data.links.tripmsgs.map((link: { id: string }) => link.id),
    ).toEqual([message.id]);
    expect((await h.admin('GET', '/stats')).json.data.messagesByTrip[trip.id]).toEqual({
      fromBuyer: 1,
      fromSellers: 0,
    });
  });

  it('refuses an empty message, a wrong type and an unknown RFQ', async () => {
    h = await startHarness();
    const { rfqIds } = await tripWithRfqs(h);
    expect(
      (await h.api('POST', `/tripmsgs/${rfqIds[0]}/chat`, { body: { message: '  ' } })).json.meta.errors[0],
    ).toMatchObject({ code: 'ERR_INPUT_MISSING', path: 'message' });
    expect(
      (await h.api('POST', `/tripmsgs/${rfqIds[0]}/chat`, { body: { message: 'hi', suppressNotification: 'yes' } }))
        .status,
    ).toBe(400);
    expect((await h.api('POST', '/tripmsgs/arfq-1/chat', { body: { message: 'hi' } })).status).toBe(404);
  });

  it('on autopilot, the operator answers a broker message with a chat', async () => {
    h = await startHarness({
      autopilot: { ...DEFAULT_AUTOPILOT, enabled: false, quoteAfterMs: 10, chatReplyRatio: 1 },
    });
    const { trip, rfqIds } = await tripWithRfqs(h, 1);
    await h.admin('PUT', '/autopilot', { enabled: true, chatReplyRatio: 1, quoteAfterMs: 600 });
    await h.api('POST', `/tripmsgs/${rfqIds[0]}/chat`, { body: { message: 'Pets on board?' } });
    const stats = await waitFor(
      async () => {
        const data = (await h!.admin('GET', '/stats')).json.data;
        return data.messagesByTrip[trip.id]?.fromSellers === 1 ? data : undefined;
      },
      { timeoutMs: 10_000, what: 'the operator reply' },
    );
    expect(stats.chats).toBe(1);
  });
});

describe('Cancel a single RFQ (PUT /api/rfqs/{id}/cancel)', () => {
  it('cancels that RFQ only, marks it canceled and notifies with TripRequestMine', async () => {
    h = await startHarness();
    const { trip, rfqIds } = await tripWithRfqs(h);
    const res = await h.api('PUT', `/rfqs/${rfqIds[0]}/cancel`, {
      body: { reason: 'BOOKED', messageToSeller: 'Client chose another option.' },
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      id: rfqIds[0],
      canceled: true,
      cancellation: { reason: 'BOOKED', messageToSeller: 'Client chose another option.' },
    });
    const rfqs = (await h.api('GET', `/rfqs/${trip.tripId}`)).json.data;
    expect(rfqs.map((rfq: { canceled?: boolean }) => rfq.canceled === true)).toEqual([true, false]);
    expect((await h.api('PUT', `/rfqs/${rfqIds[1]}/cancel`, { body: { reason: 'SOLD' } })).status).toBe(400);
    expect((await h.api('PUT', '/rfqs/arfq-1/cancel', { body: {} })).status).toBe(404);
    expect((await h.admin('GET', '/stats')).json.data.rfqCancels).toBe(1);
  });
});
