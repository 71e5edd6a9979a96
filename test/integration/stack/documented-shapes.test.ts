// The whole stack against an emulator that renders only what Avinode documents (inferredShapes off),
// through webhooks alone (polls an hour apart): the semantics any webhook delivery path must keep.
// Message notifications carry no tripId; TripRequestMine is re-sent with the same RFQ id on a
// cancellation and must be processed again, not swallowed as a redelivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneWayRequest, startStack, waitForProgress, type Stack } from './harness.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ emulator: { inferredShapes: false } });
});
afterAll(async () => {
  await stack?.close();
});

const WEBHOOKS_ONLY = { pollInitialMs: 3_600_000, pollMaxMs: 3_600_000, credentialRecheckMs: 300 };

describe('charter trips on documented shapes, by webhook', () => {
  it('reaches the run with a chat notification that names no trip', async () => {
    const request = oneWayRequest({ timing: WEBHOOKS_ONLY });
    const trip = await stack.charter.startTrip(request);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await waitForProgress(stack, request.externalId, (p) => p.rfqs.length === 1);
    const chat = await stack.emulator.admin.respond(rfqIds[0]!, { action: 'chat', message: 'Any pets on board?' });
    const progress = await waitForProgress(stack, request.externalId, (p) => p.messages.some((message) => message.messageId === chat.messageId));
    expect(progress.messages.find((message) => message.messageId === chat.messageId)).toMatchObject({ direction: 'received', rfqId: rfqIds[0], text: 'Any pets on board?' });
    expect(progress.counts.polls).toBe(0);
    const deliveries = await stack.emulator.admin.webhookDeliveries();
    expect(deliveries.filter((delivery) => delivery.payload.id === chat.messageId).every((delivery) => !('tripId' in delivery.payload))).toBe(true);
    await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
  });

  it('reflects a broker-side RFQ cancel that arrives as a re-notification with the same RFQ id', async () => {
    const request = oneWayRequest({ timing: WEBHOOKS_ONLY });
    const trip = await stack.charter.startTrip(request);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    await waitForProgress(stack, request.externalId, (p) => p.rfqs.length === 2);
    const quoted = await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 30_000, currency: 'USD' });
    const collecting = await waitForProgress(stack, request.externalId, (p) => p.quotes.length === 1);
    expect(collecting.phase).toBe('collecting_quotes');
    // The first hand-off for rfqIds[1] has finished, so the next one with the same id is a new notification.
    await stack.client.workflow.getHandle(`avinode-event-TripRequestMine-${rfqIds[1]}`).result();
    await stack.emulator.admin.cancelRfq(rfqIds[1]!, { reason: 'CHANGED' });
    const waiting = await waitForProgress(stack, request.externalId, (p) => p.phase === 'awaiting_selection');
    expect(waiting.rfqs.find((rfq) => rfq.rfqId === rfqIds[1])?.cancelled).toBeDefined();
    expect(waiting.quotes.map((quote) => quote.quoteId)).toEqual([quoted.quoteId]);
    const done = await stack.charter.selectQuote(request.externalId, quoted.quoteId!);
    expect(done).toMatchObject({ phase: 'completed', outcomeReport: { status: 'reported' } });
  });

  it('records a decline without the undocumented reason field, and the run still waits for the broker', async () => {
    const request = oneWayRequest();
    const trip = await stack.charter.startTrip(request);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    const quoted = await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 28_000, currency: 'USD' });
    await stack.emulator.admin.respond(rfqIds[1]!, { action: 'decline', declineReason: 'CREW_NOT_AVAILABLE' });
    const waiting = await waitForProgress(stack, request.externalId, (p) => p.phase === 'awaiting_selection');
    expect(waiting.declines).toEqual([expect.objectContaining({ rfqId: rfqIds[1] })]);
    expect(waiting.declines[0]!.declineReason).toBeUndefined();
    const done = await stack.charter.selectQuote(request.externalId, quoted.quoteId!);
    expect(done.phase).toBe('completed');
  });
});
