// avinodeEventWorkflow: the webhook hand-off resolves the trip and signals its run, or records why not.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avinodeEventWorkflow } from '../../workflows/avinode-event.ts';
import {
  FakeAvinode,
  keepHistory,
  oneWay,
  setupTemporal,
  startTrip,
  waitForProgress,
  withWorker,
  type TemporalEnv,
} from './support.ts';

let env: TemporalEnv;

beforeAll(async () => {
  env = await setupTemporal();
});

afterAll(async () => {
  await env?.close();
});

describe('avinodeEventWorkflow', () => {
  it('finds the trip run by the Avinode trip and signals it, so the quote arrives without a poll', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = {
        pollInitialMs: 3_600_000,
        pollMaxMs: 3_600_000,
        credentialRecheckMs: 3_600_000,
        continueAsNewAfterEvents: 0,
      };
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ endWhenAllAnswered: true, timing }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      const quoteId = fake.quote(a!, 15_000);
      const event = fake.event('TripRequestSellerResponse', quoteId);
      const routed = await env.client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: `avinode-event-${event.eventType}-${event.id}`,
        args: [event],
      });
      expect(routed).toEqual({
        outcome: 'signalled',
        eventType: event.eventType,
        resourceId: quoteId,
        workflowId: started.workflowId,
        tripId: started.tripId,
      });
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.quotes.map((q) => q.quoteId)).toEqual([quoteId]);
      // No scheduled poll: the one read is the confirmation before the run declares every lift answered.
      expect(result.counts).toMatchObject({ webhooks: 1, polls: 1 });
      const routing = env.client.workflow.getHandle(`avinode-event-${event.eventType}-${event.id}`);
      await keepHistory(env, routing, 'avinode-event-signalled');
    });
  });

  it('records an event for a trip Avinode does not know and completes', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const event = {
        eventType: 'TripRequestMine' as const,
        id: 'arfq-nowhere',
        href: 'https://sandbox.example/api/rfqs/arfq-nowhere',
        tripId: 'ZZZZZZ',
      };
      const routed = await env.client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: `avinode-event-${randomUUID()}`,
        args: [event],
      });
      expect(routed).toMatchObject({ outcome: 'unresolved', resourceId: 'arfq-nowhere' });
      expect(routed.detail).toContain('NOT_FOUND');
    });
  });

  it('records an event for a trip that charterflow did not create, or whose run has ended', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ endWhenAllAnswered: true }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      fake.quote(a!, 9_000);
      await handle.result();
      const event = fake.event('TripRequestMine', a!);
      const ended = await env.client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: `avinode-event-${randomUUID()}`,
        args: [event],
      });
      // A completed run still accepts nothing: the signal to a closed execution fails and is recorded.
      expect(ended).toMatchObject({ outcome: 'not_running', workflowId: started.workflowId });

      const foreign = fake.activities({
        findTripOfEvent: async () => ({ externalTripId: 'crm-4411', tripId: 'ABC123', atripId: 'atrip-1' }),
      });
      await withWorker(env, foreign, async (otherQueue) => {
        const routed = await env.client.workflow.execute(avinodeEventWorkflow, {
          taskQueue: otherQueue,
          workflowId: `avinode-event-${randomUUID()}`,
          args: [event],
        });
        expect(routed).toMatchObject({
          outcome: 'unknown_trip',
          tripId: 'ABC123',
          detail: 'trip was not created by charterflow',
        });
      });
    });
  });

  it('signals a blocked run, which handles the event once its credentials work again', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = {
        pollInitialMs: 3_600_000,
        pollMaxMs: 3_600_000,
        credentialRecheckMs: 3_600_000,
        continueAsNewAfterEvents: 0,
      };
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ timing, endWhenAllAnswered: true }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      fake.credentialsOk = false;
      const quoteId = fake.quote(a!, 11_000);
      const event = fake.event('TripRequestSellerResponse', quoteId);
      const routed = await env.client.workflow.execute(avinodeEventWorkflow, {
        taskQueue,
        workflowId: `avinode-event-${randomUUID()}`,
        args: [event],
      });
      expect(routed.outcome).toBe('signalled');
      await waitForProgress(handle, (p) => p.phase === 'blocked', 'blocked');
      fake.credentialsOk = true;
      await handle.signal('credentialsUpdated');
      const result = await handle.result();
      expect(result.quotes.map((q) => q.quoteId)).toEqual([quoteId]);
    });
  });
});
