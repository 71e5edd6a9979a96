// charterTripWorkflow with the REAL activities (createActivities over the real Avinode client)
// against the emulator over real HTTP, on the shared dev server. The broker and the operators are
// driven through the emulator's admin API; autopilot is off so every step is the test's.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAvinodeClient, type AvinodeClient } from '../../activities/avinode/client.ts';
import { createActivities } from '../../activities/index.ts';
import { DEFAULT_AUTOPILOT, startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { avinodeEventWorkflow } from '../../workflows/avinode-event.ts';
import { charterTripWorkflow } from '../../workflows/charter-trip.ts';
import { cancelTrip, getProgress, getTrip, workflowIdFor, type TripProgress, type TripRequest } from '../../workflows/contract.ts';
import { futureDate, tokenSourceFor } from '../integration/avinode/helpers.ts';

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let emulator: RunningEmulator;
let avinode: AvinodeClient;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  emulator = await startEmulator({ port: 0, autopilot: { ...DEFAULT_AUTOPILOT, enabled: false } });
  avinode = createAvinodeClient({
    baseUrl: emulator.apiBaseUrl,
    apiToken: emulator.credentials.apiToken,
    product: 'charterflow-wf-test/1',
    apiVersion: 'v1.0',
    tokenSource: tokenSourceFor(emulator),
  });
});

afterAll(async () => {
  await avinode?.close();
  await emulator?.close();
  await nativeConnection?.close();
  await connection?.close();
});

async function withRealWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-emulator-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities({ avinode }),
  });
  return worker.runUntil(fn(taskQueue));
}

function request(timing: TripRequest['timing']): TripRequest {
  return {
    externalId: `emu-${randomUUID().slice(0, 12)}`,
    legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(30), time: '09:30', pax: 5 }],
    aircraftCategory: 'Midsize jet',
    onReset: 'recreate',
    timing,
  };
}

async function start(taskQueue: string, trip: TripRequest) {
  const startWorkflowOperation = new WithStartWorkflowOperation(charterTripWorkflow, {
    workflowId: workflowIdFor(trip.externalId),
    taskQueue,
    args: [trip],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const started = await client.workflow.executeUpdateWithStart(getTrip, { startWorkflowOperation });
  return { started, handle: await startWorkflowOperation.workflowHandle() };
}

async function waitFor(handle: { query: (q: typeof getProgress) => Promise<TripProgress> }, predicate: (p: TripProgress) => boolean, what: string) {
  const deadline = Date.now() + 30_000;
  let last: TripProgress | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(getProgress);
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; last phase ${last?.phase}, ${last?.quotes.length} quotes`);
}

describe('charterTripWorkflow with the real activities against the emulator', () => {
  it('creates one trip, returns its deep link, and completes from polling once one operator quoted and one declined', async () => {
    const trip = request({ pollInitialMs: 100, pollMaxMs: 300, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 });
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
    });
  });

  it('routes a seller-response webhook through avinodeEventWorkflow to the trip run, which fetches the quote', async () => {
    // Polls an hour apart: only the routed webhook can bring the quote in.
    const trip = request({ pollInitialMs: 3_600_000, pollMaxMs: 3_600_000, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 });
    await withRealWorker(async (taskQueue) => {
      const { started, handle } = await start(taskQueue, trip);
      const { rfqIds } = await emulator.admin.sendRfqs(started.atripId, 1);
      const answer = await emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 39_900, currency: 'USD' });
      const routed = await client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: `avinode-event-TripRequestSellerResponse-${answer.messageId}-${randomUUID().slice(0, 6)}`,
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
      expect(progress.counts.polls).toBe(0);
    });
  });

  it('records a webhook for a trip no run carries as unknown and completes', async () => {
    await withRealWorker(async (taskQueue) => {
      const result = await client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: `avinode-event-TripRequestMine-${randomUUID()}`,
        args: [{ eventType: 'TripRequestMine', id: 'arfq-99999999', href: `${emulator.apiBaseUrl}/rfqs/arfq-99999999`, tripId: 'ZZZZZZ' }],
      });
      expect(result.outcome).toBe('unknown_trip');
    });
  });

  it('cancelTrip cancels the trip on the emulator', async () => {
    const trip = request({ pollInitialMs: 200, pollMaxMs: 1_000, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 0 });
    await withRealWorker(async (taskQueue) => {
      const { handle } = await start(taskQueue, trip);
      const before = (await emulator.admin.stats()).cancels;
      const progress = await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT', messageToSeller: 'Client chose another option.' }] });
      expect(progress.phase).toBe('cancelled');
      expect(progress.endReason).toMatch(/cancelled on Avinode/);
      expect((await emulator.admin.stats()).cancels).toBe(before + 1);
      expect((await handle.result()).phase).toBe('cancelled');
    });
  });
});
