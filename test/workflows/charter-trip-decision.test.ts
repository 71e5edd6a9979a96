// The decision stage of charterTripWorkflow: a run waits for the broker once every lift is answered,
// and every decision (select, cancel, message, expiry) reaches Avinode. Fake Avinode, real dev server.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelTrip,
  FailureType,
  getProgress,
  SearchAttributes,
  selectQuote,
  sendMessage,
  type TripProgress,
} from '../../workflows/contract.ts';
import {
  FakeAvinode,
  keepHistory,
  oneWay,
  secretsIn,
  setupTemporal,
  startTrip,
  waitForProgress,
  withWorker,
  type TemporalEnv,
  type TripHandle,
} from './support.ts';

let env: TemporalEnv;

beforeAll(async () => {
  env = await setupTemporal();
});

afterAll(async () => {
  await env?.close();
});

const NO_SCHEDULED_POLLS = {
  pollInitialMs: 3_600_000,
  pollMaxMs: 3_600_000,
  credentialRecheckMs: 3_600_000,
  continueAsNewAfterEvents: 0,
};

async function updateError(update: Promise<unknown>): Promise<string> {
  const error = await update.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause?.message ?? '';
}

async function activitiesScheduled(handle: TripHandle, activityType: string): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  ).length;
}

const phases = (progress: TripProgress) => progress.phaseHistory.map((change) => change.phase);

describe('charterTripWorkflow decision stage', () => {
  it('waits in awaiting_selection once every lift is answered, then reports the selected quote to Avinode once and completes', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay({ callbackUrl: 'https://backend.example/charter-events', actAsAccount: 'dana.broker' });
      const { handle, started } = await startTrip(env, taskQueue, request);
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      const qa = fake.quote(a!, 41_000);
      const qb = fake.quote(b!, 38_500);
      const waiting = await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      expect(waiting.quotes.map((quote) => quote.quoteId).sort()).toEqual([qa, qb].sort());
      expect((await handle.describe()).typedSearchAttributes.get(SearchAttributes.TripPhase)).toBe(
        'awaiting_selection',
      );
      // Still reconciling, at the slowest interval.
      expect(Date.parse(waiting.nextPollAt!) - Date.parse(waiting.phaseHistory.at(-1)!.at)).toBeGreaterThanOrEqual(
        request.timing!.pollMaxMs! - 50,
      );

      const progress = await handle.executeUpdate(selectQuote, { args: [{ quoteId: qb }] });
      expect(progress).toMatchObject({
        phase: 'completed',
        selectedQuoteId: qb,
        outcomeReport: { outcome: 'CONVERTED', quoteId: qb, status: 'reported' },
      });
      const result = await handle.result();
      const liftOfB = result.rfqs.find((rfq) => rfq.rfqId === b)!.lifts[0]!.liftId;
      expect(fake.outcomeReports).toEqual([
        { atripId: started.atripId, outcome: 'CONVERTED', winningSellerLiftId: liftOfB, actAsAccount: 'dana.broker' },
      ]);
      expect(phases(result)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'awaiting_selection',
        'completed',
      ]);
      expect(await activitiesScheduled(handle, 'reportTripOutcome')).toBe(1);
      const selected = fake.callbacks.find((event) => event.type === 'quote_selected');
      expect(selected).toMatchObject({ quote: { quoteId: qb }, outcomeReport: { status: 'reported' } });
      await keepHistory(env, handle, 'bundled-awaiting-selection-select');
    });
  });

  it('reports the outcome once when the report activity is retried after its worker stopped heartbeating', async () => {
    const fake = new FakeAvinode();
    const base = fake.activities();
    let attempts = 0;
    const activities = {
      ...base,
      async reportTripOutcome(input: Parameters<typeof base.reportTripOutcome>[0]) {
        attempts++;
        // The first attempt hangs without a heartbeat, as on a worker killed mid-call.
        if (attempts === 1) await new Promise((resolve) => setTimeout(resolve, 4_000));
        return base.reportTripOutcome(input);
      },
    };
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ timing: { ...oneWay().timing!, activityHeartbeatMs: 1_000 } }),
      );
      const [a] = fake.sendRfqs(started.atripId, 1);
      const qa = fake.quote(a!, 30_000);
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] });
      const result = await handle.result();
      expect(result.outcomeReport).toMatchObject({ status: 'reported' });
      expect(await activitiesScheduled(handle, 'reportTripOutcome')).toBe(1);
      expect(attempts).toBeGreaterThanOrEqual(2);
      // The hung first attempt finishes after the retry: Temporal ignores its late result.
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      expect(fake.outcomeReports.filter((report) => report.atripId === started.atripId).length).toBeLessThanOrEqual(2);
      expect(new Set(fake.outcomeReports.map((report) => report.winningSellerLiftId)).size).toBe(1);
    });
  });

  it('completes with the failure recorded when Avinode rejects the outcome report for good: the selection is never lost', async () => {
    const fake = new FakeAvinode();
    fake.outcomeFailure = ApplicationFailure.create({
      type: FailureType.Forbidden,
      message: 'PUT /trips/{id}/outcome → 403 NOT_AUTHORIZED',
      nonRetryable: true,
    });
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a] = fake.sendRfqs(started.atripId, 1);
      const qa = fake.quote(a!, 30_000);
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] });
      const result = await handle.result();
      expect(result).toMatchObject({
        phase: 'completed',
        selectedQuoteId: qa,
        outcomeReport: { status: 'failed', error: expect.stringContaining('403 NOT_AUTHORIZED') },
      });
      expect(result.endReason).toContain('reporting the outcome to Avinode failed');
    });
  });

  it('waits for rejected credentials to work again and then reports the selection, instead of recording it as failed', async () => {
    const fake = new FakeAvinode();
    const base = fake.activities();
    let rejections = 1;
    const activities = {
      ...base,
      async reportTripOutcome(input: Parameters<typeof base.reportTripOutcome>[0]) {
        if (rejections-- > 0) {
          throw ApplicationFailure.create({
            type: FailureType.AuthRejected,
            message: 'PUT /trips/{id}/outcome → 401 invalid_token (still rejected after one token refresh)',
            nonRetryable: true,
          });
        }
        return base.reportTripOutcome(input);
      },
    };
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a] = fake.sendRfqs(started.atripId, 1);
      const qa = fake.quote(a!, 30_000);
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      const progress = await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] });
      expect(progress).toMatchObject({ phase: 'completed', outcomeReport: { status: 'reported' } });
      expect(phases(progress).slice(-3)).toEqual(['blocked', 'awaiting_selection', 'completed']);
      expect(fake.outcomeReports).toHaveLength(1);
    });
  });

  it('gives up reporting after timing.outcomeReportTimeoutMs of retryable failures, and still completes with the selection', async () => {
    const fake = new FakeAvinode();
    const base = fake.activities();
    let attempts = 0;
    const activities = {
      ...base,
      async reportTripOutcome(): Promise<{ status: number }> {
        attempts++;
        throw ApplicationFailure.create({
          type: FailureType.Unavailable,
          message: 'PUT /trips/{id}/outcome → 503 SERVICE_UNAVAILABLE',
        });
      },
    };
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ timing: { ...oneWay().timing!, outcomeReportTimeoutMs: 2_500 } }),
      );
      const [a] = fake.sendRfqs(started.atripId, 1);
      const qa = fake.quote(a!, 30_000);
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      const progress = await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] });
      expect(progress).toMatchObject({ phase: 'completed', selectedQuoteId: qa, outcomeReport: { status: 'failed' } });
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(await activitiesScheduled(handle, 'reportTripOutcome')).toBe(1);
    });
  });

  it('stays in collecting_quotes when every operator declines, says so, and collects the quote of a later RFQ', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      fake.decline(a!, 'CREW_NOT_AVAILABLE', 'No crew that day.');
      fake.decline(b!, 'AIRCRAFT_NOT_AVAILABLE', 'Aircraft in maintenance.');
      const declined = await waitForProgress(
        handle,
        (p) => p.counts.declines === 2 && p.declines.every((d) => d.declineReason),
        'two declines with reasons',
      );
      expect(declined.phase).toBe('collecting_quotes');
      expect(declined.note).toContain('every operator declined');
      expect(declined.declines.map((d) => [d.rfqId, d.declineReason, d.message]).sort()).toEqual(
        [
          [a, 'CREW_NOT_AVAILABLE', 'No crew that day.'],
          [b, 'AIRCRAFT_NOT_AVAILABLE', 'Aircraft in maintenance.'],
        ].sort(),
      );
      const [c] = fake.sendRfqs(started.atripId, 1);
      const qc = fake.quote(c!, 52_000);
      const waiting = await waitForProgress(
        handle,
        (p) => p.phase === 'awaiting_selection',
        'awaiting_selection after the later RFQ',
      );
      expect(waiting.quotes.map((quote) => quote.quoteId)).toEqual([qc]);
      expect(waiting.note).toBeUndefined();
      await handle.executeUpdate(selectQuote, { args: [{ quoteId: qc }] });
      await handle.result();
      await keepHistory(env, handle, 'decision-all-declined-then-quote');
    });
  });

  it('at the quote deadline ends expired and cancels the trip on Avinode with a message to the operators', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const quoteDeadline = new Date(Date.now() + 2_500).toISOString();
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ quoteDeadline }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      fake.quote(a!, 22_000);
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      const result = await handle.result();
      expect(result).toMatchObject({ phase: 'expired', endReason: 'quote deadline passed; cancelled on Avinode' });
      expect(fake.cancels).toEqual([
        { atripId: started.atripId, reason: 'OTHER', messageToSeller: expect.stringContaining('quote deadline') },
      ]);
      expect(fake.trip(started.atripId).cancelled).toBe(true);
      await keepHistory(env, handle, 'decision-expired-cancelled');
    });
  });

  it('with onExpiry keep, the deadline ends the run expired and leaves the Avinode trip open', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const quoteDeadline = new Date(Date.now() + 1_500).toISOString();
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ quoteDeadline, onExpiry: 'keep' }));
      const result = await handle.result();
      expect(result).toMatchObject({
        phase: 'expired',
        endReason: 'quote deadline passed; the Avinode trip stays open (onExpiry: keep)',
      });
      expect(fake.cancels).toEqual([]);
      expect(fake.trip(started.atripId).cancelled).toBe(false);
    });
  });

  it('merges a re-price and an operator chat while awaiting selection', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ timing: NO_SCHEDULED_POLLS, callbackUrl: 'https://backend.example/hooks' }),
      );
      const [a] = fake.sendRfqs(started.atripId, 1);
      const qa = fake.quote(a!, 21_900);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      fake.reprice(qa, 20_500);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      const chat = fake.chat(a!, 'We can add catering at no cost.');
      await handle.signal('avinodeEvent', fake.event('TripChatFromSeller', chat));
      const progress = await waitForProgress(
        handle,
        (p) => p.quotes[0]?.price === 20_500 && p.messages.length === 1,
        'the re-price and the chat',
      );
      expect(progress.phase).toBe('awaiting_selection');
      expect(progress.quotes[0]!.priceHistory.map((entry) => entry.price)).toEqual([21_900]);
      expect(progress.messages).toEqual([
        expect.objectContaining({
          messageId: chat,
          direction: 'received',
          rfqId: a,
          text: 'We can add catering at no cost.',
        }),
      ]);
      // Callbacks go out in the background, in order, behind the run's main loop.
      await expect
        .poll(() =>
          fake.callbacks.filter((event) => event.type === 'message_received').map((event) => event.message?.messageId),
        )
        .toEqual([chat]);
      await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] });
      await handle.result();
    });
  });

  it('returns to collecting_quotes when the broker sends another RFQ while awaiting selection', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ timing: NO_SCHEDULED_POLLS }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      const qa = fake.quote(a!, 30_000);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', qa));
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      const [late] = fake.sendRfqs(started.atripId, 1);
      await handle.signal('avinodeEvent', fake.event('TripRequestMine', late!));
      const back = await waitForProgress(handle, (p) => p.phase === 'collecting_quotes', 'back to collecting_quotes');
      expect(back.rfqs.map((rfq) => rfq.rfqId).sort()).toEqual([a, late].sort());
      const ql = fake.quote(late!, 28_000);
      await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', ql));
      const again = await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection again');
      expect(phases(again)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'awaiting_selection',
        'collecting_quotes',
        'awaiting_selection',
      ]);
      await handle.executeUpdate(selectQuote, { args: [{ quoteId: ql }] });
      await handle.result();
    });
  });

  it('sends a message to a known RFQ as the broker, and rejects an unknown RFQ in the validator without starting anything', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ actAsAccount: 'dana.broker' }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      await waitForProgress(handle, (p) => p.rfqs.length === 1, 'the RFQ');
      const unknown = await updateError(
        handle.executeUpdate(sendMessage, { args: [{ rfqId: 'arfq-999', message: 'Hello?' }] }),
      );
      expect(unknown).toBe(`unknown RFQ arfq-999; the run knows RFQs ${a}`);
      expect(await updateError(handle.executeUpdate(sendMessage, { args: [{ rfqId: a!, message: '   ' }] }))).toBe(
        'message must be non-empty text',
      );
      expect(fake.calls.sendTripMessage).toBeUndefined();
      const history = await handle.fetchHistory();
      expect(
        (history.events ?? []).some(
          (event) =>
            event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'sendMessage',
        ),
      ).toBe(false);

      const progress = await handle.executeUpdate(sendMessage, {
        args: [{ rfqId: a!, message: 'Can you do a 08:00 departure?' }],
      });
      expect(fake.sentMessages).toEqual([
        { rfqId: a, message: 'Can you do a 08:00 departure?', actAsAccount: 'dana.broker' },
      ]);
      expect(progress.messages).toEqual([
        expect.objectContaining({
          direction: 'sent',
          rfqId: a,
          text: 'Can you do a 08:00 departure?',
          operator: progress.rfqs[0]!.operator,
        }),
      ]);
      await handle.executeUpdate(sendMessage, { args: [{ rfqId: a!, message: 'Thanks!' }] });
      expect((await handle.query(getProgress)).messages.map((message) => message.text)).toEqual([
        'Can you do a 08:00 departure?',
        'Thanks!',
      ]);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      await handle.result();
      await keepHistory(env, handle, 'decision-send-message');
    });
  });

  it('rejects selecting a quote on a lift its operator has since declined, and a quote from a trip that vanished', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      const qa = fake.quote(a!, 30_000);
      const qb = fake.quote(b!, 31_000);
      await waitForProgress(handle, (p) => p.quotes.length === 2, 'two quotes');
      fake.decline(a!);
      await waitForProgress(handle, (p) => p.counts.declines === 1, 'the decline');
      expect(await updateError(handle.executeUpdate(selectQuote, { args: [{ quoteId: qa }] }))).toBe(
        `quote ${qa} is on a lift the operator has since declined`,
      );

      fake.vanish(started.atripId);
      const recreated = await waitForProgress(
        handle,
        (p) => p.resets === 1 && p.phase === 'awaiting_rfqs',
        'the trip re-created after the reset',
      );
      expect(recreated.atripId).not.toBe(started.atripId);
      const vanished = await updateError(handle.executeUpdate(selectQuote, { args: [{ quoteId: qb }] }));
      expect(vanished).toBe(
        `quote ${qb} belonged to a trip that vanished in a sandbox reset; the run knows no quote yet`,
      );
      expect(fake.outcomeReports).toEqual([]);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      await handle.result();
    });
  });

  it('with closeOtherRequests, cancels every other RFQ with a message to its operator', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a, b, c] = fake.sendRfqs(started.atripId, 3);
      const qa = fake.quote(a!, 30_000);
      fake.quote(b!, 32_000);
      fake.decline(c!);
      await waitForProgress(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      const progress = await handle.executeUpdate(selectQuote, { args: [{ quoteId: qa, closeOtherRequests: true }] });
      expect(fake.rfqCancels.map((cancel) => cancel.rfqId).sort()).toEqual([b, c].sort());
      expect(
        fake.rfqCancels.every(
          (cancel) => cancel.reason === 'BOOKED' && cancel.messageToSeller.includes('another option'),
        ),
      ).toBe(true);
      expect(progress.closedRequests?.map((closed) => [closed.rfqId, closed.status]).sort()).toEqual(
        [
          [b, 'cancelled'],
          [c, 'cancelled'],
        ].sort(),
      );
      expect(progress.endReason).toContain('2/2 other RFQs cancelled');
    });
  });

  it('keeps the decline reason read by a reconciliation poll when no webhook carried it', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ callbackUrl: 'https://backend.example/hooks' }),
      );
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      fake.decline(a!, 'OWNER_DECLINED', 'The owner is using the aircraft.');
      fake.quote(b!, 40_000);
      const progress = await waitForProgress(
        handle,
        (p) => p.declines[0]?.declineReason !== undefined,
        'the decline reason',
      );
      expect(progress.declines[0]).toMatchObject({
        rfqId: a,
        declineReason: 'OWNER_DECLINED',
        message: 'The owner is using the aircraft.',
      });
      await expect
        .poll(() =>
          fake.callbacks
            .filter((event) => event.type === 'quote_declined')
            .map((event) => event.decline?.declineReason),
        )
        .toEqual(['OWNER_DECLINED']);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      const result = await handle.result();
      expect(secretsIn(JSON.stringify(result))).toEqual([]);
    });
  });
});
