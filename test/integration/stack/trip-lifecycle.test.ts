// The charter trip lifecycle end to end: CharterClient → Temporal → worker → emulator over real
// HTTP → webhooks back through the receiver. End states asserted via getProgress and emulator stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../../workflows/contract.ts';
import {
  cheapestLiveQuote,
  decide,
  futureDate,
  historyText,
  isTerminal,
  oneWayRequest,
  startStack,
  waitForProgress,
  WEBHOOK_PASSWORD,
  type Stack,
} from './harness.ts';

let stack: Stack;
const started: string[] = [];

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function start(overrides: Parameters<typeof oneWayRequest>[0] = {}) {
  const request = oneWayRequest(overrides);
  started.push(request.externalId);
  const trip = await stack.charter.startTrip(request);
  return { request, trip };
}

describe('charter trips on the whole stack', () => {
  it('returns the deep link from the start call for a one-way trip, waits for the broker once every lift answered, and completes on the selection', async () => {
    const { request, trip } = await start();
    expect(trip.workflowId).toBe(workflowIdFor(request.externalId));
    expect(trip.atripId).toMatch(/^atrip-/);
    expect(trip.tripId).toMatch(/^[A-Z0-9]{6}$/);
    expect(trip.deepLinks.searchInAvinode).toContain(`/marketplace/mvc/search/load/${trip.atripId}`);

    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    await stack.emulator.admin.respond(rfqIds[0]!, {
      action: 'quote',
      price: 41_250,
      currency: 'USD',
      aircraftType: 'Citation XLS+',
      aircraftTail: 'N123EX',
    });
    await stack.emulator.admin.respond(rfqIds[1]!, { action: 'decline', reason: 'AIRCRAFT_NOT_AVAILABLE' });
    const waiting = await waitForProgress(
      stack,
      request.externalId,
      (p) => p.phase === 'awaiting_selection' && p.declines[0]?.declineReason !== undefined,
    );
    expect(waiting.quotes).toHaveLength(1);
    expect(waiting.quotes[0]).toMatchObject({ price: 41_250, currency: 'USD', aircraftTail: 'N123EX' });
    expect(waiting.declines).toEqual([
      expect.objectContaining({
        rfqId: rfqIds[1],
        declineReason: 'AIRCRAFT_NOT_AVAILABLE',
        message: expect.any(String),
      }),
    ]);
    const done = await decide(stack, request.externalId);
    expect(done).toMatchObject({
      phase: 'completed',
      selectedQuoteId: waiting.quotes[0]!.quoteId,
      outcomeReport: { status: 'reported' },
    });

    const again = await stack.charter.startTrip(request);
    expect(again).toMatchObject({ atripId: trip.atripId, tripId: trip.tripId, reused: true });
    expect((await stack.emulator.admin.stats()).tripsByExternalId[trip.workflowId]).toBe(1);
  });

  it('creates a round trip with both legs and returns the same run when started twice', async () => {
    const request = oneWayRequest({
      legs: [
        { from: 'KTEB', to: 'KPBI', date: futureDate(20), time: '09:30', pax: 4 },
        { from: 'KPBI', to: 'KTEB', date: futureDate(24), time: '16:00', pax: 4 },
      ],
    });
    started.push(request.externalId);
    const first = await stack.charter.startTrip(request);
    const second = await stack.charter.startTrip(request);
    expect(second.atripId).toBe(first.atripId);
    const progress = await stack.charter.getProgress(request.externalId);
    expect(progress.route).toBe('KTEB-KPBI-KTEB');
    expect((await stack.emulator.admin.stats()).tripsByExternalId[first.workflowId]).toBe(1);
    await stack.charter.cancelTrip(request.externalId, { reason: 'CHANGED' });
  });

  it('collects quotes from webhooks alone when polling is too slow to matter', async () => {
    const { request, trip } = await start({
      timing: { pollInitialMs: 600_000, pollMaxMs: 600_000, credentialRecheckMs: 300 },
    });
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await waitForProgress(stack, request.externalId, (p) => p.phase === 'collecting_quotes');
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 20_000, currency: 'EUR' });
    // The only lift has answered, so the run waits for the broker; the quote can only have come by webhook
    // (the first reconciliation poll is ten minutes away, the confirming poll runs after the webhook).
    const done = await waitForProgress(stack, request.externalId, (p) => p.phase === 'awaiting_selection');
    expect(done.counts.webhooks).toBeGreaterThan(0);
    expect(done.quotes).toHaveLength(1);
    expect(done.quotes[0]).toMatchObject({ price: 20_000, currency: 'EUR' });
  });

  it('collects quotes by polling alone when every webhook is dropped', async () => {
    await stack.emulator.admin.setFaults([{ kind: 'drop_webhooks' }]);
    try {
      const { request, trip } = await start();
      const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
      for (const rfqId of rfqIds) await stack.emulator.admin.respond(rfqId, { action: 'quote', price: 30_000 });
      const done = await decide(stack, request.externalId);
      expect(done.phase).toBe('completed');
      expect(done.quotes).toHaveLength(2);
      expect(done.counts.webhooks).toBe(0);
      expect(done.counts.polls).toBeGreaterThan(0);
    } finally {
      await stack.emulator.admin.clearFaults();
    }
  });

  it('keeps one quote per Avinode quote id through duplicated and delayed webhooks, and records a re-price', async () => {
    await stack.emulator.admin.setFaults([
      { kind: 'duplicate_webhooks' },
      { kind: 'delay_webhooks', probability: 0.5, latencyMs: 400 },
    ]);
    try {
      const { request, trip } = await start({
        timing: { pollInitialMs: 600_000, pollMaxMs: 600_000, credentialRecheckMs: 300 },
      });
      const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
      const quoted = await stack.emulator.admin.respond(rfqIds[0]!, {
        action: 'quote',
        price: 50_000,
        currency: 'USD',
      });
      await waitForProgress(stack, request.externalId, (p) => p.quotes.length === 1);
      await stack.emulator.admin.respond(rfqIds[0]!, {
        action: 'reprice',
        price: 47_500,
        currency: 'USD',
        liftId: quoted.liftId,
      });
      const repriced = await waitForProgress(stack, request.externalId, (p) => p.quotes[0]?.price === 47_500);
      expect(repriced.quotes).toHaveLength(1);
      expect(repriced.quotes[0]!.priceHistory.map((h) => h.price)).toEqual([50_000]);
      expect((await stack.emulator.admin.stats()).webhooks.duplicated).toBeGreaterThan(0);
      await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
    } finally {
      await stack.emulator.admin.clearFaults();
    }
  });

  it('cancels the trip on Avinode through cancelTrip', async () => {
    const { request, trip } = await start();
    await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    const before = (await stack.emulator.admin.stats()).cancels;
    const progress = await stack.charter.cancelTrip(request.externalId, {
      reason: 'BY_CLIENT',
      messageToSeller: 'Client chose another option.',
    });
    expect(progress.phase).toBe('cancelled');
    expect((await stack.emulator.admin.stats()).cancels).toBe(before + 1);
    const cancels = await stack.emulator.admin.requests({ route: 'PUT /api/trips/:id/cancel' });
    expect(cancels.some((entry) => entry.path.includes(trip.atripId))).toBe(true);
  });

  it('completes with the selected quote, and refuses an unknown quote id', async () => {
    const { request, trip } = await start();
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    const quoted = await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 33_000 });
    await waitForProgress(stack, request.externalId, (p) => p.quotes.length === 1);
    await expect(stack.charter.selectQuote(request.externalId, 'aquote-does-not-exist')).rejects.toThrow();
    const progress = await stack.charter.selectQuote(request.externalId, quoted.quoteId!);
    expect(progress.selectedQuoteId).toBe(quoted.quoteId);
    const done = await waitForProgress(stack, request.externalId, isTerminal);
    expect(done.phase).toBe('completed');
  });

  it('collects from one RFQ with two lifts a lift quote, an alternate-tail quote on the RFQ and a decline with its reason', async () => {
    const { request, trip } = await start({
      timing: { pollInitialMs: 600_000, pollMaxMs: 600_000, credentialRecheckMs: 300 },
    });
    const { rfqIds, liftIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1, 2);
    const onLift = await stack.emulator.admin.respond(rfqIds[0]!, {
      action: 'quote',
      liftId: liftIds[0],
      price: 30_500,
      currency: 'USD',
    });
    const alternate = await stack.emulator.admin.respond(rfqIds[0]!, {
      action: 'quote',
      onRfq: true,
      aircraftTail: 'N777AT',
      price: 34_000,
      currency: 'USD',
    });
    await stack.emulator.admin.respond(rfqIds[0]!, {
      action: 'decline',
      liftId: liftIds[1],
      declineReason: 'AIRCRAFT_NOT_AVAILABLE',
      message: 'In maintenance.',
    });
    // Webhooks alone (polls are ten minutes away), and message notifications carry no tripId.
    const waiting = await waitForProgress(
      stack,
      request.externalId,
      (p) => p.phase === 'awaiting_selection' && p.quotes.length === 2 && p.declines[0]?.declineReason !== undefined,
    );
    expect(waiting.quotes.map((quote) => quote.quoteId).sort()).toEqual([onLift.quoteId, alternate.quoteId].sort());
    expect(waiting.quotes.find((quote) => quote.quoteId === alternate.quoteId)).toMatchObject({
      aircraftTail: 'N777AT',
      price: 34_000,
    });
    expect(waiting.declines).toEqual([
      expect.objectContaining({
        liftId: liftIds[1],
        declineReason: 'AIRCRAFT_NOT_AVAILABLE',
        message: 'In maintenance.',
      }),
    ]);
    expect(waiting.counts.polls).toBeLessThanOrEqual(1);
    await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
  });

  it('carries the broker through the decision: a message on one RFQ, then the cheapest quote, reported once to Avinode', async () => {
    const { request, trip } = await start({ actAsAccount: 'dana.broker' });
    const { rfqIds, liftIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 3);
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 41_000, currency: 'USD' });
    const cheap = await stack.emulator.admin.respond(rfqIds[1]!, { action: 'quote', price: 20_700, currency: 'USD' });
    await stack.emulator.admin.respond(rfqIds[2]!, { action: 'decline', reason: 'CREW_NOT_AVAILABLE' });
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'chat', message: 'We can also offer a Challenger 350.' });
    const waiting = await waitForProgress(
      stack,
      request.externalId,
      (p) =>
        p.phase === 'awaiting_selection' &&
        p.messages.some((m) => m.direction === 'received' && !m.quoteId && !m.declineReason),
    );
    expect(cheapestLiveQuote(waiting)?.quoteId).toBe(cheap.quoteId);

    await stack.charter.sendMessage(request.externalId, rfqIds[1]!, 'Is catering included?');
    await expect(stack.charter.sendMessage(request.externalId, 'arfq-1', 'hello')).rejects.toThrow();
    const done = await stack.charter.selectQuote(request.externalId, cheap.quoteId!, { closeOtherRequests: true });
    expect(done).toMatchObject({
      phase: 'completed',
      selectedQuoteId: cheap.quoteId,
      outcomeReport: { status: 'reported', winningSellerLiftId: liftIds[1] },
    });
    expect(done.messages.filter((m) => m.direction === 'sent').map((m) => [m.rfqId, m.text])).toEqual([
      [rfqIds[1], 'Is catering included?'],
    ]);

    const stats = await stack.emulator.admin.stats();
    expect(stats.outcomesByTrip[trip.atripId]).toEqual({
      outcome: 'CONVERTED',
      winningSellerLiftId: liftIds[1],
      reports: 1,
    });
    expect(stats.messagesByTrip[trip.atripId]).toMatchObject({ fromBuyer: 1 });
    const messages = await stack.emulator.admin.requests({ route: 'POST /api/tripmsgs/:id/chat' });
    expect(
      messages.filter((entry) => entry.path === `/api/tripmsgs/${rfqIds[1]}/chat`).map((entry) => entry.requestBody),
    ).toEqual([{ message: 'Is catering included?', suppressNotification: false }]);
    const outcomes = await stack.emulator.admin.requests({ route: 'PUT /api/trips/:id/outcome' });
    expect(outcomes.filter((entry) => entry.path.includes(trip.atripId)).map((entry) => entry.requestBody)).toEqual([
      { outcome: 'CONVERTED', winningSellerLiftId: liftIds[1] },
    ]);
    const rfqCancels = await stack.emulator.admin.requests({ route: 'PUT /api/rfqs/:id/cancel' });
    expect(
      rfqCancels
        .map((entry) => entry.path)
        .filter((path) => rfqIds.some((id) => path.includes(id)))
        .sort(),
    ).toEqual([`/api/rfqs/${rfqIds[0]}/cancel`, `/api/rfqs/${rfqIds[2]}/cancel`]);
  });

  it('expires at the quote deadline, and extendDeadline moves it later', async () => {
    const { request, trip } = await start({ quoteDeadline: new Date(Date.now() + 4_000).toISOString() });
    await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    const until = new Date(Date.now() + 7_000).toISOString();
    const extended = await stack.charter.extendDeadline(request.externalId, until);
    expect(extended.quoteDeadline).toBe(until);
    const done = await waitForProgress(stack, request.externalId, isTerminal);
    expect(done).toMatchObject({ phase: 'expired', endReason: 'quote deadline passed; cancelled on Avinode' });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
    expect(
      (await stack.emulator.admin.requests({ route: 'PUT /api/trips/:id/cancel' }))
        .filter((entry) => entry.path.includes(trip.atripId))
        .map((entry) => entry.requestBody),
    ).toEqual([
      expect.objectContaining({ reason: 'OTHER', messageToSeller: expect.stringContaining('quote deadline') }),
    ]);
  });

  it('recovers from revoked tokens mid-run with one refresh and completes', async () => {
    const { request, trip } = await start();
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await waitForProgress(stack, request.externalId, (p) => p.phase === 'collecting_quotes');
    await stack.emulator.admin.revokeTokens();
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 12_345 });
    const done = await decide(stack, request.externalId);
    expect(done.phase).toBe('completed');
    expect(done.quotes[0]?.price).toBe(12_345);
  });

  it('waits out a 429 storm as Retry-After says and completes', async () => {
    const { request, trip } = await start();
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await waitForProgress(stack, request.externalId, (p) => p.phase === 'collecting_quotes');
    await stack.emulator.admin.setFaults([{ route: 'GET /api/rfqs/:id', kind: '429', times: 3, retryAfterSeconds: 1 }]);
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 9_999 });
    const done = await decide(stack, request.externalId);
    expect(done.phase).toBe('completed');
    expect((await stack.emulator.admin.stats()).faultsInjected['429']).toBeGreaterThanOrEqual(1);
  });

  it('rejects an invalid request naming each field and starts nothing', async () => {
    const before = (await stack.emulator.admin.stats()).trips;
    await expect(
      stack.charter.startTrip({
        externalId: 'bad one',
        legs: [{ from: 'XX', to: 'KPBI', date: '2001-01-01', pax: 0 }],
        onReset: 'recreate',
      }),
    ).rejects.toThrow(/externalId[\s\S]*legs\[0\]\.from[\s\S]*legs\[0\]\.date[\s\S]*legs\[0\]\.pax|externalId/);
    expect((await stack.emulator.admin.stats()).trips).toBe(before);
  });

  it('leaves no configured secret and no minted token in any history of this file', async () => {
    const secrets = [stack.emulator.credentials.clientSecret, stack.emulator.credentials.apiToken, WEBHOOK_PASSWORD];
    const minted = (await stack.emulator.admin.requests({ route: 'POST /api/oauth/token' })).length;
    expect(minted).toBeGreaterThan(0);
    for (const externalId of started) {
      const text = await historyText(stack, externalId);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/Bearer [A-Za-z0-9._-]{16,}/);
    }
    const logs = stack.logs();
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
