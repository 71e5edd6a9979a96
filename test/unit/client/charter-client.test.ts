// CharterClient against a fake Temporal client that records calls: validation first, then the
// exact update-with-start it sends.
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CharterClient, TripRequestInvalid, type StartTripInput } from '../../../client/index.ts';
import { getTrip, SearchAttributes, type TripProgress, type TripStarted } from '../../../workflows/contract.ts';
import { tripSummary } from '../../../workflows/presentation.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const STARTED: TripStarted = {
  workflowId: 'trip-order-42',
  atripId: 'atrip-1000001',
  tripId: 'Q4K7ZP',
  href: 'http://127.0.0.1:8280/api/trips/atrip-1000001',
  deepLinks: { searchInAvinode: 'http://127.0.0.1:8280/marketplace/Q4K7ZP' },
  reused: false,
};

interface UpdateWithStartCall {
  update: unknown;
  operation: WithStartWorkflowOperation<never>;
}

function fakeClient(executeUpdateWithStart: (call: UpdateWithStartCall) => Promise<unknown> = async () => STARTED) {
  const calls: UpdateWithStartCall[] = [];
  const handles: string[] = [];
  const client = {
    workflow: {
      executeUpdateWithStart: async (
        update: unknown,
        { startWorkflowOperation }: { startWorkflowOperation: WithStartWorkflowOperation<never> },
      ) => {
        const call = { update, operation: startWorkflowOperation };
        calls.push(call);
        return await executeUpdateWithStart(call);
      },
      getHandle: (workflowId: string) => {
        handles.push(workflowId);
        return {
          describe: async () => ({ status: { name: 'COMPLETED' } }),
          result: async () => ({
            workflowId,
            atripId: 'atrip-9',
            tripId: 'OLD123',
            deepLinks: { cancel: 'http://127.0.0.1:8280/api/trips/atrip-9/cancel' },
          }),
          query: async () => {
            throw new Error('no query expected');
          },
        };
      },
    },
  } as unknown as Client;
  return { client, calls, handles };
}

const oneWay: StartTripInput = {
  externalId: 'order-42',
  legs: [{ from: 'kteb', to: 'kpbi', date: '2026-05-14', time: '09:30', pax: 5 }],
};

describe('CharterClient.startTrip', () => {
  it('throws TripRequestInvalid naming each bad field and never calls Temporal', async () => {
    const fake = fakeClient();
    const charter = new CharterClient(fake.client, { now: () => NOW });
    const bad = { externalId: 'bad id', legs: [{ from: 'KTEB', to: 'KTEB', date: '2026-04-01', pax: 0 }] };
    const error = await charter.startTrip(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TripRequestInvalid);
    const fields = (error as TripRequestInvalid).problems.map((p) => p.path);
    expect(fields).toEqual(expect.arrayContaining(['externalId', 'legs[0].pax']));
    expect(fake.calls).toEqual([]);
    expect(fake.handles).toEqual([]);
  });

  it('sends one update-with-start: trip-<externalId>, USE_EXISTING, summary and typed search attributes', async () => {
    const fake = fakeClient();
    const charter = new CharterClient(fake.client, { now: () => NOW, taskQueue: 'trips-under-test' });
    await expect(charter.startTrip(oneWay)).resolves.toEqual(STARTED);
    expect(fake.calls).toHaveLength(1);
    const { update, operation } = fake.calls[0]!;
    expect(update).toBe(getTrip);
    expect(operation).toBeInstanceOf(WithStartWorkflowOperation);
    expect(operation.workflowTypeOrFunc).toBe('charterTripWorkflow');
    const normalized = {
      externalId: 'order-42',
      legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 }],
      onReset: 'recreate',
    };
    expect(operation.options).toMatchObject({
      workflowId: 'trip-order-42',
      taskQueue: 'trips-under-test',
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [normalized],
      staticSummary: tripSummary(normalized as never),
    });
    expect(operation.options.staticDetails).toContain('| 1 | KTEB | KPBI | 2026-05-14 09:30 | 5 |');
    const attributes = new Map(
      (operation.options.typedSearchAttributes as { key: { name: string }; value: unknown }[]).map((p) => [
        p.key.name,
        p.value,
      ]),
    );
    expect(attributes.get(SearchAttributes.TripPhase.name)).toBe('creating_trip');
    expect(attributes.get(SearchAttributes.Route.name)).toBe('KTEB-KPBI');
    expect(attributes.get(SearchAttributes.DepartureDate.name)).toEqual(new Date('2026-05-14T09:30:00Z'));
    expect(attributes.get(SearchAttributes.QuoteCount.name)).toBe(0);
  });

  it('writes its continue-as-new threshold into requests that set none, and keeps the one a request sets', async () => {
    const fake = fakeClient();
    await new CharterClient(fake.client, { now: () => NOW }).startTrip(oneWay);
    await new CharterClient(fake.client, { now: () => NOW, continueAsNewAfterEvents: 800 }).startTrip({
      ...oneWay,
      timing: { pollInitialMs: 5_000 },
    });
    await new CharterClient(fake.client, { now: () => NOW, continueAsNewAfterEvents: 800 }).startTrip({
      ...oneWay,
      timing: { continueAsNewAfterEvents: 0 },
    });
    const timings = fake.calls.map(({ operation }) => (operation.options.args as { timing?: object }[])[0]!.timing);
    expect(timings).toEqual([
      { continueAsNewAfterEvents: 1_500 },
      { pollInitialMs: 5_000, continueAsNewAfterEvents: 800 },
      { continueAsNewAfterEvents: 0 },
    ]);
  });

  it('names the Avinode task queue in the run input only when it is not the derived <task queue>-avinode', async () => {
    const fake = fakeClient();
    await new CharterClient(fake.client, {
      now: () => NOW,
      taskQueue: 'trips',
      avinodeTaskQueue: 'trips-avinode',
    }).startTrip(oneWay);
    await new CharterClient(fake.client, {
      now: () => NOW,
      taskQueue: 'trips',
      avinodeTaskQueue: 'avinode-calls',
    }).startTrip(oneWay);
    const inputs = fake.calls.map(
      ({ operation }) => (operation.options.args as { avinodeTaskQueue?: string }[])[0]!.avinodeTaskQueue,
    );
    expect(inputs).toEqual([undefined, 'avinode-calls']);
  });

  it('uses the route of every leg and the default task queue', async () => {
    const fake = fakeClient();
    const charter = new CharterClient(fake.client, { now: () => NOW });
    await charter.startTrip({
      externalId: 'order-43',
      legs: [
        { from: 'KTEB', to: 'KPBI', date: '2026-05-14', pax: 2 },
        { from: 'KPBI', to: 'MYNN', date: '2026-05-15', pax: 2 },
      ],
    });
    const options = fake.calls[0]!.operation.options;
    expect(options.taskQueue).toBe('charter-trips');
    const route = (options.typedSearchAttributes as { key: { name: string }; value: unknown }[]).find(
      (p) => p.key.name === 'Route',
    );
    expect(route?.value).toBe('KTEB-KPBI-MYNN');
  });

  it('answers with the trip of an ended run instead of starting a second one', async () => {
    const fake = fakeClient(async ({ operation }) => {
      throw new WorkflowExecutionAlreadyStartedError('already', operation.options.workflowId, 'charterTripWorkflow');
    });
    const charter = new CharterClient(fake.client, { now: () => NOW });
    const started = await charter.startTrip(oneWay);
    expect(fake.handles).toEqual(['trip-order-42']);
    expect(started).toMatchObject({
      workflowId: 'trip-order-42',
      atripId: 'atrip-9',
      tripId: 'OLD123',
      href: 'http://127.0.0.1:8280/api/trips/atrip-9',
      reused: true,
    });
  });

  it('passes other Temporal errors through unchanged', async () => {
    const failure = new Error('14 UNAVAILABLE');
    const charter = new CharterClient(fakeClient(async () => Promise.reject(failure)).client, { now: () => NOW });
    await expect(charter.startTrip(oneWay)).rejects.toBe(failure);
  });

  it('exposes typed results', () => {
    expectTypeOf<CharterClient['startTrip']>().returns.resolves.toEqualTypeOf<TripStarted>();
    expectTypeOf<CharterClient['getProgress']>().returns.resolves.toEqualTypeOf<TripProgress>();
    expectTypeOf<CharterClient['startTrip']>().parameter(0).toEqualTypeOf<StartTripInput>();
  });
});
