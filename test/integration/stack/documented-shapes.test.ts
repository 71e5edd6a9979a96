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
    const progress = await waitForProgress(stack, request.externalId, (p) =>
      p.messages.some((message) => message.messageId === chat.messageId),
    );
    expect(progress.messages.find((message) => message.messageId === chat.messageId)).toMatchObject({
      direction: 'received',
      rfqId: rfqIds[0],
      text: 'Any pets on board?',
    });
    // No scheduled poll came due (an hour apart): every read was one a webhook woke.
    expect(progress.counts.polls).toBeGreaterThan(0);
    expect(progress.counts.polls).toBeLessThanOrEqual(progress.counts.webhooks);
    const deliveries = await stack.emulator.admin.webhookDeliveries();
    expect(
      deliveries
        .filter((delivery) => delivery.payload.id === chat.messageId)
        .every((delivery) => !('tripId' in delivery.payload)),
    ).toBe(true);
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
    // The first notification for rfqIds[1] has been answered, so the next one with the same id is a new notification.
    const answered = async () =>
      (await stack.emulator.admin.webhookDeliveries())
        .filter((delivery) => delivery.payload.id === rfqIds[1])
        .every((delivery) => delivery.state === 'delivered');
    await expect.poll(answered, { timeout: 20_000 }).toBe(true);
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
