// charterTripWorkflow with the REAL activities (createActivities over the real Avinode client)
// against the emulator over real HTTP, on the shared dev server. The broker and the operators are
// driven through the emulator's admin API; autopilot is off so every step is the test's.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WithStartWorkflowOperation, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createCharterWorkers } from '../../workers/charter-workers.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAvinodeClient, type AvinodeClient } from '../../activities/avinode/client.ts';
import { createAvinodeTokenSource, type TokenSource } from '../../activities/auth/index.ts';
import { SIGNATURE_HEADER, verifyCallbackSignature } from '../../platform/callback-signature.ts';
import { activityDepsFromConfig, createActivities, type ActivityDeps } from '../../activities/index.ts';
import { charterActivityInterceptors } from '../../activities/interceptors.ts';
import { loadConfig } from '../../platform/config.ts';
import { DEFAULT_AUTOPILOT, startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { avinodeEventWorkflow } from '../../workflows/avinode-event.ts';
import { charterTripWorkflow } from '../../workflows/charter-trip.ts';
import {
  cancelTrip,
  credentialsUpdated,
  getProgress,
  getTrip,
  selectQuote,
  sendMessage,
  workflowIdFor,
  type TripProgress,
  type TripRequest,
} from '../../workflows/contract.ts';
import { envFor, futureDate } from '../integration/avinode/helpers.ts';
import { waitUntil } from '../support.ts';
import { historyText } from './support.ts';
import { cheapestQuoteId } from '../../workflows/presentation.ts';

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let emulator: RunningEmulator;
let avinode: AvinodeClient;
let tokenSource: TokenSource;
let deps: ActivityDeps;
const CALLBACK_SECRET = 'callback-secret-for-emulator-tests';
/** The backend's callback endpoint: what arrived, and whether each signature verified. */
let callbackServer: Server;
let callbackUrl: string;
const callbacks: { body: string; signed: boolean }[] = [];
/** Every run this file starts, for the secrets scan. */
const workflowIds: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  emulator = await startEmulator({ port: 0, autopilot: { ...DEFAULT_AUTOPILOT, enabled: false } });
  // What the worker does: configuration → token layer → API client → activity deps.
  const config = loadConfig(envFor(emulator, { CALLBACK_SECRET }));
  callbackServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      callbacks.push({
        body,
        signed: verifyCallbackSignature(CALLBACK_SECRET, body, req.headers[SIGNATURE_HEADER] as string | undefined),
      });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', () => resolve()));
  callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/charter-events`;
  tokenSource = createAvinodeTokenSource(config.avinode);
  avinode = createAvinodeClient({
    baseUrl: emulator.apiBaseUrl,
    apiToken: config.avinode.apiToken,
    product: 'charterflow-wf-test/1',
    apiVersion: config.avinode.apiVersion,
    tokenSource,
  });
  deps = activityDepsFromConfig(config, avinode);
});

afterAll(async () => {
  await new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()));
  await avinode?.close();
  await emulator?.close();
  await nativeConnection?.close();
  await connection?.close();
});

async function withRealWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-emulator-${randomUUID()}`;
  const workers = await createCharterWorkers({
    connection: nativeConnection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities(deps),
    interceptors: { activity: [charterActivityInterceptors()] },
  });
  return workers.runUntil(fn(taskQueue));
}

/** Collecting tests end when every lift is answered; the decision stage has its own tests (decide: true). */
function request(
  timing: TripRequest['timing'],
  onReset: TripRequest['onReset'] = 'recreate',
  { decide = false } = {},
): TripRequest {
  return {
    externalId: `emu-${randomUUID().slice(0, 12)}`,
    legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(30), time: '09:30', pax: 5 }],
    aircraftCategory: 'Midsize jet',
    onReset,
    timing,
    ...(decide ? {} : { endWhenAllAnswered: true }),
  };
}

function routingId(workflowId: string): string {
  workflowIds.push(workflowId);
  return workflowId;
}

async function start(taskQueue: string, trip: TripRequest) {
  const startWorkflowOperation = new WithStartWorkflowOperation(charterTripWorkflow, {
    workflowId: workflowIdFor(trip.externalId),
    taskQueue,
    args: [trip],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  workflowIds.push(workflowIdFor(trip.externalId));
  const started = await client.workflow.executeUpdateWithStart(getTrip, { startWorkflowOperation });
  return { started, handle: await startWorkflowOperation.workflowHandle() };
}

async function waitFor(
  handle: { query: (q: typeof getProgress) => Promise<TripProgress> },
  predicate: (p: TripProgress) => boolean,
  what: string,
) {
  let last: TripProgress | undefined;
  const matching = async () => {
    last = await handle.query(getProgress);
    return predicate(last) ? last : undefined;
  };
  return waitUntil(matching, () => `${what}; last phase ${last?.phase}, ${last?.quotes.length} quotes`, {
    timeout: 30_000,
    interval: 50,
  });
}

describe('charterTripWorkflow with the real activities against the emulator', () => {
  it('creates one trip, returns its deep link, and completes from polling once one operator quoted and one declined', async () => {
    const trip = {
      ...request({ pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 }),
      callbackUrl,
    };
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      expect(started.atripId).toMatch(/^atrip-\d+$/);
      expect(started.deepLinks.searchInAvinode).toContain(emulator.url);
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 2);
      const quoted = await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 41_250, currency: 'USD' });
      await emulator.admin.respond(rfqIds[1]!, { action: 'decline' });
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.endReason).toBe('all lifts answered');
      expect(result.quotes.map((q) => [q.quoteId, q.price, q.currency])).toEqual([[quoted.quoteId, 41_250, 'USD']]);
      expect(result.declines.map((d) => d.rfqId)).toEqual([rfqIds[1]]);
      const stats = await emulator.admin.stats();
      expect(stats.tripsByExternalId[workflowIdFor(trip.externalId)]).toBe(1);
      // Signed events reached the backend: the run waits for them before it ends.
      const events = callbacks.map(
        ({ body }) =>
          JSON.parse(body) as { type: string; workflowId: string; deepLinks?: { searchInAvinode?: string } },
      );
      expect(callbacks.every((callback) => callback.signed)).toBe(true);
      expect(events.every((event) => event.workflowId === handle.workflowId)).toBe(true);
      expect(events.find((event) => event.type === 'deep_link_ready')?.deepLinks?.searchInAvinode).toBe(
        started.deepLinks.searchInAvinode,
      );
      expect(events.filter((event) => event.type === 'quote_received')).toHaveLength(1);
    });
  });

  it('routes a seller-response webhook through avinodeEventWorkflow (a routing run an older receiver started) to the trip run, whose read fetches the quote and the message', async () => {
    // Polls an hour apart: only the routed webhook can bring the quote in.
    const trip = request({
      pollInitialMs: 3_600_000,
      pollMaxMs: 3_600_000,
      credentialRecheckMs: 1_000,
      continueAsNewAfterEvents: 0,
    });
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 1);
      const answer = await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 39_900, currency: 'USD' });
      const routed = await client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: routingId(
          `avinode-event-TripRequestSellerResponse-${answer.messageId}-${randomUUID().slice(0, 6)}`,
        ),
        args: [
          {
            eventType: 'TripRequestSellerResponse',
            id: answer.messageId,
            href: `${emulator.apiBaseUrl}/tripmsgs/${answer.messageId}`,
            tripId: started.tripId,
          },
        ],
      });
      expect(routed).toMatchObject({ outcome: 'signalled', workflowId: handle.workflowId, tripId: started.tripId });
      const progress = await waitFor(handle, (p) => p.phase === 'completed', 'the webhook quote');
      expect(progress.quotes.map((q) => [q.quoteId, q.price])).toEqual([[answer.quoteId, 39_900]]);
      expect(progress.counts.webhooks).toBe(1);
      // No periodic poll came due; the one read is the one the webhook woke, and it read the message the event named.
      expect(progress.counts.polls).toBe(1);
      expect(progress.messages.map((message) => message.messageId)).toEqual([answer.messageId]);
    });
  });

  it('records a webhook for a trip no run carries as unknown and completes', async () => {
    await withRealWorker(async (taskQueue) => {
      const result = await client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: routingId(`avinode-event-TripRequestMine-${randomUUID()}`),
        args: [
          {
            eventType: 'TripRequestMine',
            id: 'arfq-99999999',
            href: `${emulator.apiBaseUrl}/rfqs/arfq-99999999`,
            tripId: 'ZZZZZZ',
          },
        ],
      });
      expect(result.outcome).toBe('unknown_trip');
    });
  });

  it('cancelTrip cancels the trip on the emulator', async () => {
    const trip = request({
      pollInitialMs: 200,
      pollMaxMs: 1_000,
      credentialRecheckMs: 1_000,
      continueAsNewAfterEvents: 0,
    });
    await withRealWorker(async (taskQueue) => {
      const { handle } = await start(taskQueue, trip);
      const before = (await emulator.admin.stats()).cancels;
      const progress = await handle.executeUpdate(cancelTrip, {
        args: [{ reason: 'BY_CLIENT', messageToSeller: 'Client chose another option.' }],
      });
      expect(progress.phase).toBe('cancelled');
      expect(progress.endReason).toMatch(/cancelled on Avinode/);
      expect((await emulator.admin.stats()).cancels).toBe(before + 1);
      expect((await handle.result()).phase).toBe('cancelled');
    });
  });

  it('recreates the trip after a sandbox reset under policy recreate, then completes on the new trip', async () => {
    const trip = request({
      pollInitialMs: 100,
      pollMaxMs: 200,
      credentialRecheckMs: 1_000,
      continueAsNewAfterEvents: 0,
    });
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      const first = await emulator.admin.sendRfqs(started.atripId, 2);
      const oldQuote = await emulator.admin.respond(first.rfqIds[0]!, {
        action: 'quote',
        price: 50_000,
        currency: 'USD',
      });
      await waitFor(handle, (p) => p.quotes.length === 1, 'the first quote');
      await emulator.admin.reset();
      const recreated = await waitFor(
        handle,
        (p) => p.resets === 1 && p.atripId !== undefined && p.atripId !== started.atripId,
        'the recreated trip',
      );
      expect(recreated.phase).toBe('awaiting_rfqs');
      expect(recreated.counts.quotes).toBe(0);
      expect(recreated.quotes.find((q) => q.quoteId === oldQuote.quoteId)?.vanishedAt).toBeDefined();
      const again = await handle.executeUpdate(getTrip);
      expect(again.atripId).toBe(recreated.atripId);
      expect(again.deepLinks.searchInAvinode).not.toBe(started.deepLinks.searchInAvinode);
      const second = await emulator.admin.sendRfqs(recreated.atripId!, 1);
      const newQuote = await emulator.admin.respond(second.rfqIds[0]!, {
        action: 'quote',
        price: 48_000,
        currency: 'USD',
      });
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.quotes.filter((q) => !q.vanishedAt).map((q) => q.quoteId)).toEqual([newQuote.quoteId]);
      // One trip before the wipe, one after it: never a duplicate.
      expect((await emulator.admin.stats()).tripsByExternalId[workflowIdFor(trip.externalId)]).toBe(2);
    });
  });

  it('fails the run with TripVanished after a sandbox reset under policy fail', async () => {
    const trip = request(
      { pollInitialMs: 100, pollMaxMs: 200, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 },
      'fail',
    );
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      await emulator.admin.sendRfqs(started.atripId, 1);
      await waitFor(handle, (p) => p.phase === 'collecting_quotes', 'the RFQs');
      await emulator.admin.reset();
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('TripVanished');
      expect(cause?.message).toMatch(/no longer exists.*onReset policy is "fail"/);
      const progress = await handle.query(getProgress);
      expect(progress.phase).toBe('failed');
    });
  });

  it('blocks on a rotated client secret with the explanation, and completes after the secret is fixed and credentialsUpdated', async () => {
    // A re-check an hour away: only the signal can resume the run.
    const trip = request({
      pollInitialMs: 100,
      pollMaxMs: 200,
      credentialRecheckMs: 3_600_000,
      continueAsNewAfterEvents: 0,
    });
    const original = emulator.credentials.clientSecret;
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      await emulator.admin.updateCredentials({ clientSecret: 'rotated-by-someone-else-0123', revokeTokens: true });
      try {
        const blocked = await waitFor(handle, (p) => p.phase === 'blocked', 'the blocked phase');
        expect(blocked.blockedReason).toMatch(/invalid_client/);
        // Which method was used: the doctor's first question.
        expect(blocked.blockedReason).toContain(emulator.credentials.authMethod);
        expect(blocked.blockedReason).not.toContain(original);
      } finally {
        await emulator.admin.updateCredentials({ clientSecret: original });
      }
      await handle.signal(credentialsUpdated);
      await waitFor(handle, (p) => p.phase === 'awaiting_rfqs', 'the resumed phase');
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 1);
      await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 45_000, currency: 'USD' });
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.phaseHistory.map((change) => change.phase)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'blocked',
        'awaiting_rfqs',
        'collecting_quotes',
        'completed',
      ]);
      expect(result.blockedReason).toBeUndefined();
    });
  });

  it('waits out a 429 storm on the poll as Retry-After says, then completes', async () => {
    const trip = request({
      pollInitialMs: 100,
      pollMaxMs: 200,
      credentialRecheckMs: 1_000,
      continueAsNewAfterEvents: 0,
    });
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 1);
      await waitFor(handle, (p) => p.phase === 'collecting_quotes', 'the RFQs');
      const [last] = await emulator.admin.requests({ limit: 1 });
      await emulator.admin.setFaults([{ route: 'GET /api/rfqs/:id', kind: '429', times: 3, retryAfterSeconds: 1 }]);
      await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 44_000, currency: 'USD' });
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      const polls = (await emulator.admin.requests({ sinceSeq: last?.seq ?? 0 }))
        .filter((entry) => entry.method === 'GET' && entry.path.startsWith('/api/rfqs/'))
        .sort((a, b) => a.seq - b.seq);
      const storm = polls.findIndex((entry) => entry.status === 429);
      expect(polls.slice(storm, storm + 4).map((entry) => entry.status)).toEqual([429, 429, 429, 200]);
      const gaps = polls
        .slice(storm + 1, storm + 4)
        .map((entry, index) => Date.parse(entry.at) - Date.parse(polls[storm + index]!.at));
      // Never a hot loop: every retry waited the second Retry-After asked for.
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(900);
    });
  });

  it('reports a selection to Avinode as outcome CONVERTED with the winning lift, after a message to that operator', async () => {
    const trip = request(
      { pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 },
      'recreate',
      { decide: true },
    );
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, { ...trip, actAsAccount: 'dana.broker@example.test' });
      const { rfqIds, liftIds } = await emulator.admin.sendRfqs(started.atripId, 2);
      const cheap = await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 20_700, currency: 'USD' });
      await emulator.admin.respond(rfqIds[1]!, {
        action: 'decline',
        reason: 'CREW_NOT_AVAILABLE',
        message: 'No crew that weekend.',
      });
      const waiting = await waitFor(
        handle,
        (p) => p.phase === 'awaiting_selection' && p.declines[0]?.declineReason !== undefined,
        'awaiting_selection with the decline reason',
      );
      expect(waiting.declines[0]).toMatchObject({
        rfqId: rfqIds[1],
        declineReason: 'CREW_NOT_AVAILABLE',
        message: 'No crew that weekend.',
      });
      expect(waiting.quotes[0]).toMatchObject({
        quoteId: cheap.quoteId,
        sellerMessage: expect.stringContaining('20700 USD'),
      });

      const sent = await handle.executeUpdate(sendMessage, {
        args: [{ rfqId: rfqIds[0]!, message: 'Can you do a 08:00 departure?' }],
      });
      expect(sent.messages.at(-1)).toMatchObject({
        direction: 'sent',
        rfqId: rfqIds[0],
        messageId: expect.stringMatching(/^abuyermsg-/),
      });
      const done = await handle.executeUpdate(selectQuote, { args: [{ quoteId: cheap.quoteId! }] });
      expect(done).toMatchObject({
        phase: 'completed',
        outcomeReport: { status: 'reported', winningSellerLiftId: liftIds[0] },
      });

      const stats = await emulator.admin.stats();
      expect(stats.outcomesByTrip[started.atripId]).toEqual({
        outcome: 'CONVERTED',
        winningSellerLiftId: liftIds[0],
        reports: 1,
      });
      const journal = await emulator.admin.requests({});
      const chat = journal.filter(
        (entry) => entry.method === 'POST' && entry.path === `/api/tripmsgs/${rfqIds[0]}/chat`,
      );
      expect(chat.map((entry) => entry.status)).toEqual([201]);
      expect(chat[0]!.requestHeaders['x-avinode-actasaccount']).toBe('dana.broker@example.test');
      expect(chat[0]!.requestBody).toMatchObject({ message: 'Can you do a 08:00 departure?' });
      expect(
        journal
          .filter((entry) => entry.path === `/api/trips/${started.atripId}/outcome`)
          .map((entry) => [entry.method, entry.status]),
      ).toEqual([['PUT', 200]]);
    });
  });

  it('collects a lift quote, a quote on the RFQ itself and a decline with its reason from one RFQ with two lifts', async () => {
    const timing = { pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 };
    await withRealWorker(async (taskQueue) => {
      const { aircraftCategory: _category, ...base } = request(timing, 'recreate', { decide: true });
      const { started, handle } = await start(taskQueue, {
        ...base,
        requiredLift: [{ aircraftType: 'Citation XLS+' }, { aircraftTail: 'N500RL' }],
        maxFuelStopsPerSegment: 0,
      });
      const { rfqIds, liftIds } = await emulator.admin.sendRfqs(started.atripId, 1, 2);
      const posted = (await emulator.admin.requests({ route: 'POST /api/trips' })).find(
        (entry) => (entry.responseBody as { data?: { id?: string } })?.data?.id === started.atripId,
      );
      expect((posted!.requestBody as { criteria: unknown }).criteria).toEqual({
        requiredLift: [{ aircraftType: 'Citation XLS+' }, { aircraftTail: 'N500RL' }],
        maxFuelStopsPerSegment: 0,
      });
      const onLift = await emulator.admin.respond(rfqIds[0]!, {
        action: 'quote',
        liftId: liftIds[0],
        price: 31_000,
        currency: 'USD',
      });
      const alternate = await emulator.admin.respond(rfqIds[0]!, {
        action: 'quote',
        onRfq: true,
        aircraftTail: 'N350AL',
        aircraftType: 'Challenger 350',
        price: 36_500,
        currency: 'USD',
      });
      await emulator.admin.respond(rfqIds[0]!, {
        action: 'decline',
        liftId: liftIds[1],
        declineReason: 'OWNER_DECLINED',
        message: 'The owner is flying.',
      });
      const waiting = await waitFor(
        handle,
        (p) => p.phase === 'awaiting_selection' && p.declines[0]?.declineReason !== undefined,
        'awaiting_selection',
      );
      expect(waiting.quotes.map((quote) => [quote.quoteId, quote.price, quote.aircraftTail ?? null]).sort()).toEqual(
        [
          [onLift.quoteId, 31_000, expect.any(String)],
          [alternate.quoteId, 36_500, 'N350AL'],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(waiting.rfqs[0]).toMatchObject({ quoteIds: [alternate.quoteId] });
      // Quote reads ask for the breakdown, the operator's contact and the tail details.
      const lineItems = waiting.quotes.find((quote) => quote.quoteId === onLift.quoteId)!.lineItems!;
      expect(lineItems.map((item) => item.type)).toEqual(['FLIGHT', 'CREW', 'POSITIONING', 'CATERING']);
      expect(lineItems.reduce((sum, item) => sum + item.price, 0)).toBe(31_000);
      expect(waiting.quotes[0]).toMatchObject({
        sellerContact: { emails: [expect.stringContaining('@')] },
        yearOfMake: expect.any(Number),
        priceWithoutCommission: { currency: 'USD' },
      });
      expect(waiting.declines).toEqual([
        expect.objectContaining({
          liftId: liftIds[1],
          declineReason: 'OWNER_DECLINED',
          message: 'The owner is flying.',
        }),
      ]);
      // The RFQ requests the two lifts the trip asked for.
      expect(waiting.rfqs[0]!.lifts.map((lift) => [lift.aircraftType, lift.aircraftTail])).toEqual([
        ['Citation XLS+', expect.any(String)],
        [expect.any(String), 'N500RL'],
      ]);
      const alternateLift = waiting.quotes.find((quote) => quote.quoteId === alternate.quoteId)!.liftId!;
      expect(liftIds).not.toContain(alternateLift);
      const done = await handle.executeUpdate(selectQuote, { args: [{ quoteId: alternate.quoteId! }] });
      expect(done.outcomeReport).toMatchObject({ status: 'reported', winningSellerLiftId: alternateLift });
    });
  });

  it("converts quote prices into the run's outputCurrencies, so quotes in different currencies compare", async () => {
    const timing = { pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 };
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, {
        ...request(timing, 'recreate', { decide: true }),
        outputCurrencies: ['USD'],
      });
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 2);
      await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 20_000, currency: 'EUR' });
      const dollars = await emulator.admin.respond(rfqIds[1]!, { action: 'quote', price: 21_000, currency: 'USD' });
      const waiting = await waitFor(handle, (p) => p.phase === 'awaiting_selection', 'awaiting_selection');
      expect(waiting.quotes.map((quote) => [quote.currency, quote.convertedPrices?.[0]?.currency]).sort()).toEqual([
        ['EUR', 'USD'],
        ['USD', 'USD'],
      ]);
      // 20,000 EUR is about 21,700 USD: the dollar quote is the cheaper one, though its number is larger.
      expect(cheapestQuoteId(waiting)).toBe(dollars.quoteId);
      const reads = (await emulator.admin.requests({ route: 'GET /api/quotes/:id' })).filter((entry) =>
        waiting.quotes.some((quote) => entry.path.includes(quote.quoteId)),
      );
      expect(reads.every((entry) => decodeURIComponent(entry.path).includes('outputCurrencies[]=USD'))).toBe(true);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
    });
  });

  it('ends cancelled, with the reason, when the broker cancels every RFQ in Avinode; a partial cancel is not an answer from the operator', async () => {
    const timing = { pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 };
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, request(timing, 'recreate', { decide: true }));
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 2);
      await emulator.admin.cancelRfq(rfqIds[0]!, { reason: 'CHANGED' });
      const partial = await waitFor(handle, (p) => p.rfqs.some((rfq) => rfq.cancelled), 'the cancelled RFQ');
      expect(partial.phase).toBe('collecting_quotes');
      expect(partial.rfqs.find((rfq) => rfq.rfqId === rfqIds[0])!.cancelled).toMatchObject({
        by: expect.any(String),
        reason: 'CHANGED',
      });
      await emulator.admin.cancelRfq(rfqIds[1]!, { reason: 'CHANGED' });
      const result = await handle.result();
      expect(result).toMatchObject({ phase: 'cancelled', endReason: 'every RFQ was cancelled in Avinode (CHANGED)' });
    });
  });

  it('cancels the Avinode trip when the quote deadline passes with no selection', async () => {
    const timing = { pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 };
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, {
        ...request(timing, 'recreate', { decide: true }),
        quoteDeadline: new Date(Date.now() + 2_500).toISOString(),
      });
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 1);
      await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 30_000, currency: 'USD' });
      const result = await handle.result();
      expect(result).toMatchObject({ phase: 'expired', endReason: 'quote deadline passed; cancelled on Avinode' });
      const trip = await avinode.readTrip(started.atripId);
      expect(trip.trip.status).toBe('Cancelled');
      const cancel = (await emulator.admin.requests({})).filter(
        (entry) => entry.path === `/api/trips/${started.atripId}/cancel`,
      );
      expect(cancel.map((entry) => entry.status)).toEqual([200]);
    });
  });

  it('leaves none of the credentials or the minted access token in any history of this file', async () => {
    const { value: accessToken } = await tokenSource.getToken();
    const secrets = [
      emulator.credentials.clientSecret,
      emulator.credentials.apiToken,
      accessToken,
      CALLBACK_SECRET,
    ].filter((secret): secret is string => !!secret);
    expect(secrets.length).toBe(4);
    expect(callbacks.length).toBeGreaterThan(0);
    expect(workflowIds.length).toBeGreaterThanOrEqual(9);
    const hits: string[] = [];
    for (const workflowId of workflowIds) {
      const text = historyText(await client.workflow.getHandle(workflowId).fetchHistory());
      expect(text).toContain(workflowId);
      for (const secret of secrets) if (text.includes(secret)) hits.push(`${workflowId}: ${secret.slice(0, 4)}…`);
    }
    expect(hits).toEqual([]);
  });
});
