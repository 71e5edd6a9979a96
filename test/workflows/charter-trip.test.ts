// charterTripWorkflow on the real dev server with a fake Avinode behind the activity interface.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelTrip, extendDeadline, getProgress, selectQuote, workflowIdFor } from '../../workflows/contract.ts';
import {
  FAKE_SECRETS,
  FakeAvinode,
  historyText,
  keepHistory,
  oneWay,
  roundTrip,
  secretsIn,
  setupTemporal,
  startTrip,
  waitForProgress,
  withWorker,
  type TemporalEnv,
} from './support.ts';

let env: TemporalEnv;
/** Polls an hour apart: only webhooks can wake a read. */
const HOURLY = {
  pollInitialMs: 3_600_000,
  pollMaxMs: 3_600_000,
  credentialRecheckMs: 3_600_000,
  continueAsNewAfterEvents: 0,
};

beforeAll(async () => {
  env = await setupTemporal();
});

afterAll(async () => {
  await env?.close();
});

describe('charterTripWorkflow', () => {
  it('returns the deep link from update-with-start and, with endWhenAllAnswered, completes once every lift of a one-way trip is quoted (polling only)', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay({ endWhenAllAnswered: true });
      const { handle, started } = await startTrip(env, taskQueue, request);
      expect(started.workflowId).toBe(workflowIdFor(request.externalId));
      expect(started.atripId).toMatch(/^atrip-/);
      expect(started.deepLinks.searchInAvinode).toContain(started.atripId);
      expect(started.reused).toBe(false);
      expect(fake.createCalls).toEqual([started.workflowId]);

      const [first, second] = fake.sendRfqs(started.atripId, 2);
      await waitForProgress(handle, (p) => p.phase === 'collecting_quotes', 'collecting_quotes');
      const q1 = fake.quote(first!, 41_250);
      await waitForProgress(handle, (p) => p.quotes.length === 1, 'the first quote');
      const q2 = fake.quote(second!, 39_900, 'EUR');

      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.endReason).toBe('all lifts answered');
      expect(result.quotes.map((q) => [q.quoteId, q.price, q.currency]).sort()).toEqual(
        [
          [q1, 41_250, 'USD'],
          [q2, 39_900, 'EUR'],
        ].sort(),
      );
      expect(result.counts).toMatchObject({ rfqs: 2, lifts: 2, answered: 2, quotes: 2, webhooks: 0 });
      expect(result.counts.polls).toBeGreaterThan(0);
      expect(result.phaseHistory.map((change) => change.phase)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'completed',
      ]);
      await keepHistory(env, handle, 'one-way-polling');
    });
  });

  it('starts a round trip once: a second start with the same externalId returns the same run and trip', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = roundTrip();
      const first = await startTrip(env, taskQueue, request);
      const second = await startTrip(env, taskQueue, request);
      expect(second.started).toEqual(first.started);
      expect(second.handle.workflowId).toBe(first.handle.workflowId);
      expect(fake.tripCount(first.started.workflowId)).toBe(1);
      const progress = await first.handle.query(getProgress);
      expect(progress.route).toBe('KTEB-KPBI-KTEB');
      await first.handle.executeUpdate(cancelTrip, { args: [{ reason: 'CHANGED' }] });
      await first.handle.result();
      await keepHistory(env, first.handle, 'round-trip-cancelled');
    });
  });

  it('collects quotes from webhook signals alone when no poll comes due: each webhook wakes one read of the trip', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay({ endWhenAllAnswered: true, timing: { ...HOURLY, webhookDebounceMs: 200 } });
      const { handle, started } = await startTrip(env, taskQueue, request);
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', a!));
      await waitForProgress(handle, (p) => p.phase === 'collecting_quotes', 'collecting_quotes');
      const qa = fake.quote(a!, 30_000);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      await waitForProgress(handle, (p) => p.quotes.length === 1 && p.counts.polls === 2, 'the first quote');
      const qb = fake.quote(b!, 31_000);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qb));
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.counts.webhooks).toBe(3);
      expect(result.quotes.map((q) => q.quoteId).sort()).toEqual([qa, qb].sort());
      // No scheduled poll came due: the reads are the three wake-ups, and no event was read on its own.
      expect(result.counts.polls).toBe(3);
      expect(fake.calls.readTripState).toBe(3);
      expect(fake.calls.resolveAvinodeEvent).toBeUndefined();
      await keepHistory(env, handle, 'wakeups-signals-only');
    });
  });

  it('reads the trip once for a burst of webhook events', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      // A debounce far longer than the burst takes to send: every event lands before the read.
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ endWhenAllAnswered: true, timing: { ...HOURLY, webhookDebounceMs: 5_000 } }),
      );
      const rfqs = fake.sendRfqs(started.atripId, 4);
      const quotes = rfqs.map((rfqId, index) => fake.quote(rfqId, 20_000 + index));
      const burst = [
        ...rfqs.map((rfqId) => fake.event('TripRequestMine', rfqId)),
        ...quotes.map((quoteId) => fake.event('TripRequestSellerResponse', quoteId)),
      ];
      await Promise.all(burst.map((event) => handle.signal('avinodeEvent', event)));
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.quotes.map((q) => q.quoteId).sort()).toEqual([...quotes].sort());
      expect(result.counts.webhooks).toBe(burst.length);
      expect(fake.calls.readTripState).toBe(1);
      await keepHistory(env, handle, 'bundled-one-read-per-burst');
    });
  });

  it('takes a seller chat from its webhook without a read, and ignores a redelivery of it', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ endWhenAllAnswered: true, timing: { ...HOURLY, webhookDebounceMs: 100 } }),
      );
      const [a] = fake.sendRfqs(started.atripId, 1);
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', a!));
      await waitForProgress(handle, (p) => p.rfqs.length === 1 && p.counts.polls === 1, 'the RFQ');
      const chat = fake.chat(a!, 'Catering included.');
      await handle.signal('avinodeEvent', fake.event('TripChatFromSeller', chat));
      await handle.signal('avinodeEvent', fake.event('TripChatFromSeller', chat));
      const progress = await waitForProgress(handle, (p) => p.messages.length === 1, 'the chat');
      expect(progress.messages[0]).toMatchObject({
        messageId: chat,
        text: 'Catering included.',
        direction: 'received',
      });
      fake.decline(a!);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', a!));
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.messages).toHaveLength(1);
      expect(result.counts).toMatchObject({ webhooks: 3, polls: 2 });
      expect(fake.calls.readTripState).toBe(2);
    });
  });

  it('processes a re-notification with the same RFQ id (the request changed) with a read of its own', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ endWhenAllAnswered: true, timing: { ...HOURLY, webhookDebounceMs: 100 } }),
      );
      const [a] = fake.sendRfqs(started.atripId, 1);
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', a!));
      await waitForProgress(handle, (p) => p.rfqs.length === 1 && p.counts.polls === 1, 'the RFQ');
      // Avinode re-sends TripRequestMine with the same RFQ id when the request is updated.
      const [b] = fake.sendRfqs(started.atripId, 1);
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', a!));
      const progress = await waitForProgress(
        handle,
        (p) => p.rfqs.length === 2,
        'the second RFQ the re-notification announced',
      );
      expect(progress.counts).toMatchObject({ webhooks: 2, polls: 2 });
      fake.decline(a!);
      fake.decline(b!);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', b!));
      expect((await handle.result()).phase).toBe('completed');
    });
  });

  it('does not end on webhook data alone while another RFQ has not been announced yet', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = {
        pollInitialMs: 3_600_000,
        pollMaxMs: 3_600_000,
        credentialRecheckMs: 3_600_000,
        continueAsNewAfterEvents: 0,
      };
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ timing, endWhenAllAnswered: true }));
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      // Only RFQ a's webhooks arrive; RFQ b's TripRequestMine is still being redelivered.
      const qa = fake.quote(a!, 14_000);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      const progress = await waitForProgress(handle, (p) => p.counts.polls === 1, 'the confirming poll');
      expect(progress.phase).toBe('collecting_quotes');
      expect(progress.rfqs.map((rfq) => rfq.rfqId).sort()).toEqual([a, b].sort());
      expect(progress.counts).toMatchObject({ lifts: 2, answered: 1 });
      fake.decline(b!);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', b!));
      const result = await handle.result();
      expect(result).toMatchObject({ phase: 'completed', endReason: 'all lifts answered' });
      expect(result.declines.map((decline) => decline.rfqId)).toEqual([b]);
      await keepHistory(env, handle, 'wakeups-end-after-read');
    });
  });

  it('keeps each quote once across duplicate and out-of-order webhooks', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = {
        pollInitialMs: 3_600_000,
        pollMaxMs: 3_600_000,
        credentialRecheckMs: 1_000,
        continueAsNewAfterEvents: 0,
      };
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ timing, endWhenAllAnswered: true }));
      const [a, b, c] = fake.sendRfqs(started.atripId, 3);
      const qb = fake.quote(b!, 20_000);
      // The quote's webhook first, the RFQ's after it, each delivered twice.
      const burst = [
        fake.event('TripRequestSellerResponse', qb),
        fake.event('TripRequestSellerResponse', qb),
        fake.event('TripRequestMine', a!),
        fake.event('TripRequestMine', c!),
        fake.event('TripRequestMine', b!),
      ];
      for (const event of burst) await handle.signal('avinodeEvent', event);
      await waitForProgress(handle, (p) => p.rfqs.length === 3 && p.quotes.length === 1, 'three RFQs and one quote');
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qb));
      const qa = fake.quote(a!, 21_000);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      const progress = await waitForProgress(handle, (p) => p.quotes.length === 2, 'two quotes');
      expect(progress.quotes.map((q) => q.quoteId).sort()).toEqual([qa, qb].sort());
      expect(progress.quotes.every((q) => q.priceHistory.length === 0)).toBe(true);
      expect(progress.phase).toBe('collecting_quotes');
      fake.decline(c!);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', c!));
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.quotes).toHaveLength(2);
    });
  });

  it('updates a re-priced quote in place and keeps its earlier price', async () => {
    const fake = new FakeAvinode();
    const callbackUrl = 'https://backend.example/charter-events';
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ callbackUrl, endWhenAllAnswered: true }));
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      const qa = fake.quote(a!, 50_000);
      await waitForProgress(handle, (p) => p.quotes.some((q) => q.quoteId === qa), 'the quote');
      fake.reprice(qa, 47_500);
      const progress = await waitForProgress(handle, (p) => p.quotes[0]?.price === 47_500, 'the new price');
      expect(progress.quotes).toHaveLength(1);
      expect(progress.quotes[0]!.priceHistory.map((h) => h.price)).toEqual([50_000]);
      fake.decline(b!);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      const quoteEvents = fake.callbacks.filter((event) => event.type === 'quote_received');
      expect(quoteEvents.map((event) => [event.quote?.price, event.reason ?? 'new'])).toEqual([
        [50_000, 'new'],
        [47_500, 're-priced'],
      ]);
      await keepHistory(env, handle, 'reprice-decline-callbacks');
    });
  });

  it('records a decline as a decline, not as a quote', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ endWhenAllAnswered: true }));
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      fake.decline(a!);
      const qb = fake.quote(b!, 18_000);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.quotes.map((q) => q.quoteId)).toEqual([qb]);
      expect(result.declines).toEqual([expect.objectContaining({ rfqId: a, operator: expect.any(String) })]);
      expect(result.counts).toMatchObject({ quotes: 1, declines: 1, answered: 2 });
    });
  });

  it('sends deep link ready, quote received and phase changed callback events in order', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay({ callbackUrl: 'https://backend.example/hooks', endWhenAllAnswered: true });
      const { handle, started } = await startTrip(env, taskQueue, request);
      const [a] = fake.sendRfqs(started.atripId, 1);
      fake.quote(a!, 12_345);
      await handle.result();
      const types = fake.callbacks.map(
        (event) => `${event.type}${event.type === 'phase_changed' ? `:${event.phase}` : ''}`,
      );
      expect(types).toEqual([
        'phase_changed:creating_trip',
        'deep_link_ready',
        'phase_changed:awaiting_rfqs',
        'phase_changed:collecting_quotes',
        'quote_received',
        'phase_changed:completed',
      ]);
      const deepLink = fake.callbacks.find((event) => event.type === 'deep_link_ready')!;
      expect(deepLink.deepLinks).toEqual(started.deepLinks);
      expect(new Set(fake.callbacks.map((event) => event.eventId)).size).toBe(fake.callbacks.length);
      expect(
        fake.callbacks.every(
          (event) => event.workflowId === started.workflowId && event.externalId === request.externalId,
        ),
      ).toBe(true);
    });
  });

  it('cancelTrip cancels the trip on Avinode and ends the run cancelled', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      fake.sendRfqs(started.atripId, 2);
      await waitForProgress(handle, (p) => p.phase === 'collecting_quotes', 'collecting_quotes');
      const progress = await handle.executeUpdate(cancelTrip, {
        args: [{ reason: 'BY_CLIENT', messageToSeller: 'Client changed plans' }],
      });
      expect(progress.phase).toBe('cancelled');
      expect(fake.cancels).toEqual([
        { atripId: started.atripId, reason: 'BY_CLIENT', messageToSeller: 'Client changed plans' },
      ]);
      const result = await handle.result();
      expect(result.phase).toBe('cancelled');
      expect(result.endReason).toContain('cancelled on Avinode');
      await expect(handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] })).rejects.toThrow();
    });
  });

  it('selectQuote while quotes are still coming in reports the outcome and completes; an unknown quote id is rejected naming the known ones', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a] = fake.sendRfqs(started.atripId, 3);
      const qa = fake.quote(a!, 25_000);
      await waitForProgress(handle, (p) => p.quotes.length === 1, 'a quote');
      const unknown = await handle.executeUpdate(selectQuote, { args: [{ quoteId: 'aquote-unknown' }] }).then(
        () => undefined,
        (error: unknown) => error as WorkflowUpdateFailedError,
      );
      expect(unknown).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(unknown?.cause?.message).toBe(`unknown quote aquote-unknown; the run knows quotes ${qa}`);
      const progress = await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] });
      expect(progress).toMatchObject({
        phase: 'completed',
        selectedQuoteId: qa,
        outcomeReport: { status: 'reported', quoteId: qa },
      });
      const result = await handle.result();
      expect(result.endReason).toMatch(new RegExp(`^quote ${qa} selected .*; outcome CONVERTED reported to Avinode$`));
      expect(fake.outcomeReports).toEqual([
        { atripId: started.atripId, outcome: 'CONVERTED', winningSellerLiftId: result.quotes[0]!.liftId },
      ]);
      await keepHistory(env, handle, 'decision-select-while-collecting');
    });
  });

  it('expires at the quote deadline with the quotes it has', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const quoteDeadline = new Date(Date.now() + 2_000).toISOString();
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ quoteDeadline }));
      const [a] = fake.sendRfqs(started.atripId, 2);
      const qa = fake.quote(a!, 22_000);
      await waitForProgress(handle, (p) => p.quotes.length === 1, 'a quote');
      const result = await handle.result();
      expect(result.phase).toBe('expired');
      expect(result.endReason).toBe('quote deadline passed; cancelled on Avinode');
      expect(fake.cancels).toEqual([
        { atripId: started.atripId, reason: 'OTHER', messageToSeller: expect.stringContaining('quote deadline') },
      ]);
      expect(result.quotes.map((q) => q.quoteId)).toEqual([qa]);
      expect(Date.parse(result.phaseHistory.at(-1)!.at)).toBeGreaterThanOrEqual(Date.parse(quoteDeadline));
    });
  });

  it('extendDeadline moves the deadline later and rejects one in the past or not later', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const quoteDeadline = new Date(Date.now() + 60_000).toISOString();
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ quoteDeadline }));
      fake.sendRfqs(started.atripId, 1);
      await expect(
        handle.executeUpdate(extendDeadline, { args: [{ until: new Date(Date.now() - 1_000).toISOString() }] }),
      ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(
        handle.executeUpdate(extendDeadline, {
          args: [{ until: new Date(Date.parse(quoteDeadline) - 1_000).toISOString() }],
        }),
      ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(handle.executeUpdate(extendDeadline, { args: [{ until: 'next tuesday' }] })).rejects.toBeInstanceOf(
        WorkflowUpdateFailedError,
      );
      const later = new Date(Date.parse(quoteDeadline) + 3_600_000).toISOString();
      const progress = await handle.executeUpdate(extendDeadline, { args: [{ until: later }] });
      expect(progress.quoteDeadline).toBe(later);
      expect((await handle.query(getProgress)).quoteDeadline).toBe(later);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'OTHER' }] });
      expect((await handle.result()).phase).toBe('cancelled');
    });
  });

  it('extendDeadline wakes a run waiting on the old deadline, which then expires at the new one', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = {
        pollInitialMs: 3_600_000,
        pollMaxMs: 3_600_000,
        credentialRecheckMs: 3_600_000,
        continueAsNewAfterEvents: 0,
      };
      const first = new Date(Date.now() + 1_500).toISOString();
      const { handle } = await startTrip(env, taskQueue, oneWay({ quoteDeadline: first, timing }));
      const later = new Date(Date.now() + 3_000).toISOString();
      await handle.executeUpdate(extendDeadline, { args: [{ until: later }] });
      const result = await handle.result();
      expect(result.phase).toBe('expired');
      expect(Date.parse(result.phaseHistory.at(-1)!.at)).toBeGreaterThanOrEqual(Date.parse(later));
      await keepHistory(env, handle, 'extend-deadline-expired');
    });
  });

  it('expires when the departure has passed', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const past = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ legs: [{ from: 'KTEB', to: 'KPBI', date: past, time: '09:30', pax: 2 }] }),
      );
      const result = await handle.result();
      expect(result).toMatchObject({ phase: 'expired', endReason: 'departure time passed; cancelled on Avinode' });
      expect(fake.cancels).toEqual([
        { atripId: started.atripId, reason: 'OTHER', messageToSeller: expect.stringContaining('departure') },
      ]);
    });
  });

  it('fails the run with a clear message when Avinode rejects the trip, and getTrip reports it', async () => {
    const { ApplicationFailure } = await import('@temporalio/common');
    const fake = new FakeAvinode();
    fake.createFailure = ApplicationFailure.create({
      type: 'AvinodeRequestInvalid',
      message: 'POST /trips → 422 START_AIRPORT_INVALID',
      nonRetryable: true,
    });
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay();
      const error = await startTrip(env, taskQueue, request).then(
        () => undefined,
        (failure: unknown) => failure as WorkflowUpdateFailedError,
      );
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(error!.cause?.message).toMatch(
        /no Avinode trip: createTrip failed: POST \/trips → 422 START_AIRPORT_INVALID/,
      );
      const handle = env.client.workflow.getHandle(workflowIdFor(request.externalId));
      await expect(handle.result()).rejects.toThrow();
      expect(historyText(await handle.fetchHistory())).toContain(
        'createTrip failed: POST /trips → 422 START_AIRPORT_INVALID',
      );
    });
  });

  it('leaves none of the fake secrets in any history this file produced', () => {
    expect(env.histories.length).toBeGreaterThanOrEqual(5);
    expect(env.histories.flatMap(({ name, text }) => secretsIn(text).map((secret) => `${name}: ${secret}`))).toEqual(
      [],
    );
    // The scan itself finds a secret hidden in a (binary) payload.
    const planted = {
      events: [
        { input: { payloads: [{ data: new TextEncoder().encode(`{"token":"${FAKE_SECRETS.accessToken}"}`) }] } },
      ],
    };
    expect(secretsIn(historyText(planted))).toEqual([FAKE_SECRETS.accessToken]);
  });
});
