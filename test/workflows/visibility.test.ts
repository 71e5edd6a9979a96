// Visibility writes of charterTripWorkflow (patch coalesced-visibility): search attributes are written
// at start by the client, then once per workflow task at most and only with values that changed.
// Read from the run's own history. Fake Avinode, real dev server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharterClient } from '../../client/index.ts';
import { getProgress, SearchAttributes, workflowIdFor } from '../../workflows/contract.ts';
import {
  FakeAvinode,
  keepHistory,
  oneWay,
  setupTemporal,
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

type Fields = Record<string, unknown>;
interface Payload {
  data?: Uint8Array | null;
}

const decode = (fields: Record<string, Payload> | null | undefined): Fields =>
  Object.fromEntries(
    Object.entries(fields ?? {}).map(([name, payload]) => [
      name,
      JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8')) as unknown,
    ]),
  );

/** The start's search attributes, then each upsert of the run's own attributes (not the SDK's TemporalChangeVersion) with the workflow task that wrote it. */
async function visibilityWrites(
  handle: TripHandle,
): Promise<{ start: Fields; upserts: { task: number; fields: Fields }[] }> {
  const events = (await handle.fetchHistory()).events ?? [];
  let start: Fields = {};
  let task = 0;
  const upserts: { task: number; fields: Fields }[] = [];
  for (const event of events) {
    if (event.workflowExecutionStartedEventAttributes)
      start = decode(
        event.workflowExecutionStartedEventAttributes.searchAttributes?.indexedFields as Record<string, Payload>,
      );
    if (event.workflowTaskCompletedEventAttributes) task++;
    const upserted = event.upsertWorkflowSearchAttributesEventAttributes;
    if (!upserted) continue;
    const { TemporalChangeVersion: _sdk, ...fields } = decode(
      upserted.searchAttributes?.indexedFields as Record<string, Payload>,
    );
    if (Object.keys(fields).length > 0) upserts.push({ task, fields });
  }
  return { start, upserts };
}

describe('charterTripWorkflow visibility writes', () => {
  it('writes nothing the start already set, one upsert for several changes in one task, and none for polls that change nothing', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const charter = new CharterClient(env.client, { taskQueue });
      // The first poll comes 2 s after the create: by then both operators have quoted.
      const request = oneWay({
        timing: { pollInitialMs: 2_000, pollMaxMs: 2_000, credentialRecheckMs: 3_600_000, continueAsNewAfterEvents: 0 },
      });
      const started = await charter.startTrip(request);
      const [a, b] = fake.sendRfqs(started.atripId, 2);
      const qa = fake.quote(a!, 41_000);
      fake.quote(b!, 38_500);
      const handle: TripHandle = env.client.workflow.getHandle(workflowIdFor(request.externalId));
      await waitForProgress(
        handle,
        (p) => p.phase === 'awaiting_selection' && p.counts.polls >= 3,
        'awaiting_selection and two more polls',
        30_000,
      );
      await charter.selectQuote(request.externalId, qa);
      const result = await handle.result();
      expect(result.phaseHistory.map((change) => change.phase)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'awaiting_selection',
        'completed',
      ]);

      const { start, upserts } = await visibilityWrites(handle);
      expect(start).toMatchObject({ TripPhase: 'creating_trip', Route: 'KTEB-KPBI', QuoteCount: 0 });
      // The create's task: trip ids and the phase in one upsert. The first poll's task: RFQs and both
      // quotes, so collecting_quotes is transient and never written. Later polls: nothing. Then the end.
      expect(upserts.map((upsert) => upsert.fields)).toEqual([
        { AvinodeTripId: started.tripId, AvinodeTripRef: started.atripId, TripPhase: 'awaiting_rfqs' },
        { TripPhase: 'awaiting_selection', QuoteCount: 2 },
        { TripPhase: 'completed' },
      ]);
      const tasks = upserts.map((upsert) => upsert.task);
      expect(new Set(tasks).size).toBe(tasks.length);
      expect(Math.min(...tasks)).toBeGreaterThan(1);
      // The UI still reads the current phase and count.
      const attributes = (await handle.describe()).typedSearchAttributes;
      expect(attributes.get(SearchAttributes.TripPhase)).toBe('completed');
      expect((await handle.query(getProgress)).counts.quotes).toBe(2);
      await keepHistory(env, handle, 'coalesced-visibility');
    });
  });
});
