// charterTripWorkflow under adversity: sandbox resets, rejected credentials, long runs, visibility.
import { WorkflowFailedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelTrip, credentialsUpdated, getProgress, getTrip, selectQuote } from '../../workflows/contract.ts';
import {
  FAKE_SECRETS,
  FakeAvinode,
  keepHistory,
  oneWay,
  secretsIn,
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

describe('charterTripWorkflow when the sandbox is reset', () => {
  it('recreates the trip under policy recreate: new trip and deep link, resets counted, old quotes kept but not selectable', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay({
        endWhenAllAnswered: true,
        onReset: 'recreate',
        callbackUrl: 'https://backend.example/hooks',
      });
      const { handle, started } = await startTrip(env, taskQueue, request);
      const [a] = fake.sendRfqs(started.atripId, 2);
      const old = fake.quote(a!, 40_000);
      await waitForProgress(handle, (p) => p.quotes.length === 1, 'the first quote');

      fake.vanish(started.atripId);
      const recreated = await waitForProgress(
        handle,
        (p) => p.resets === 1 && p.phase === 'awaiting_rfqs',
        'the recreated trip',
      );
      expect(recreated.atripId).not.toBe(started.atripId);
      expect(recreated.rfqs).toEqual([]);
      expect(recreated.quotes).toEqual([expect.objectContaining({ quoteId: old, vanishedAt: expect.any(String) })]);
      expect(recreated.counts.quotes).toBe(0);
      const again = await handle.executeUpdate(getTrip);
      expect(again.atripId).toBe(recreated.atripId);
      expect(again.deepLinks.searchInAvinode).toContain(recreated.atripId!);
      await expect(handle.executeUpdate(selectQuote, { args: [{ quoteId: old }] })).rejects.toThrow();

      const [b] = fake.sendRfqs(recreated.atripId!, 1);
      const fresh = fake.quote(b!, 41_000);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.resets).toBe(1);
      expect(result.quotes.map((q) => [q.quoteId, Boolean(q.vanishedAt)])).toEqual([
        [old, true],
        [fresh, false],
      ]);
      expect(fake.createCalls).toEqual([started.workflowId, started.workflowId]);
      const deepLinkEvents = fake.callbacks.filter((event) => event.type === 'deep_link_ready');
      expect(deepLinkEvents.map((event) => [event.atripId, event.resets ?? 0])).toEqual([
        [started.atripId, 0],
        [recreated.atripId, 1],
      ]);
      expect(result.phaseHistory.map((change) => change.phase)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'completed',
      ]);
      await keepHistory(env, handle, 'reset-recreate');
    });
  });

  it('fails the run with a TripVanished failure and a clear message under policy fail', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ onReset: 'fail' }));
      fake.sendRfqs(started.atripId, 1);
      await waitForProgress(handle, (p) => p.phase === 'collecting_quotes', 'collecting_quotes');
      fake.vanish(started.atripId);
      const error = await handle.result().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('TripVanished');
      expect(cause!.message).toContain(`Avinode trip ${started.tripId} (${started.atripId}) no longer exists`);
      expect(cause!.message).toContain('onReset policy is "fail"');
      const progress = await handle.query(getProgress);
      expect(progress.phase).toBe('failed');
      expect(fake.createCalls).toHaveLength(1);
      await keepHistory(env, handle, 'reset-fail');
    });
  });
});

describe('charterTripWorkflow with rejected credentials', () => {
  it('moves to blocked with the explanation and resumes after credentialsUpdated', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = {
        pollInitialMs: 100,
        pollMaxMs: 200,
        credentialRecheckMs: 3_600_000,
        continueAsNewAfterEvents: 0,
      };
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ endWhenAllAnswered: true, timing }));
      fake.credentialsOk = false;
      const blocked = await waitForProgress(handle, (p) => p.phase === 'blocked', 'blocked');
      expect(blocked.blockedReason).toContain('401 AUTHENTICATION_INVALID');
      expect(blocked.phaseHistory.at(-1)).toMatchObject({ phase: 'blocked' });

      // A credentialsUpdated while they still fail keeps the run blocked, with the check's explanation.
      await handle.signal(credentialsUpdated);
      const stillBlocked = await waitForProgress(
        handle,
        (p) => p.blockedReason?.includes('invalid_client') === true,
        'the explanation of the failed check',
      );
      expect(stillBlocked.phase).toBe('blocked');

      fake.credentialsOk = true;
      const [a] = fake.sendRfqs(started.atripId, 1);
      await handle.signal(credentialsUpdated);
      fake.quote(a!, 33_000);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.blockedReason).toBeUndefined();
      expect(result.phaseHistory.map((change) => change.phase)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'blocked',
        'awaiting_rfqs',
        'collecting_quotes',
        'completed',
      ]);
      expect(fake.credentialChecks).toBe(2);
      await keepHistory(env, handle, 'blocked-credentials-updated');
    });
  });

  it('re-checks credentials periodically and resumes by itself once they work', async () => {
    const fake = new FakeAvinode();
    fake.credentialsOk = false;
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = { pollInitialMs: 100, pollMaxMs: 200, credentialRecheckMs: 150, continueAsNewAfterEvents: 0 };
      const request = oneWay({ endWhenAllAnswered: true, timing });
      // Blocked before the trip exists: the start call waits until creation resumes.
      const starting = startTrip(env, taskQueue, request);
      const handle = env.client.workflow.getHandle(`trip-${request.externalId}`);
      await waitForProgress(
        handle as never,
        (p) => p.phase === 'blocked' && fake.credentialChecks >= 2,
        'two failed re-checks',
      );
      fake.credentialsOk = true;
      const { started } = await starting;
      expect(started.atripId).toMatch(/^atrip-/);
      const [a] = fake.sendRfqs(started.atripId, 1);
      fake.quote(a!, 10_000);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.phaseHistory.slice(0, 3).map((change: { phase: string }) => change.phase)).toEqual([
        'creating_trip',
        'blocked',
        'creating_trip',
      ]);
    });
  });
});

describe('charterTripWorkflow with transient Avinode failures and early cancels', () => {
  it('retries createTrip through 5xx and 429 (honouring nextRetryDelay) and creates exactly one trip', async () => {
    const fake = new FakeAvinode();
    const attempts: number[] = [];
    const base = fake.activities();
    const activities = fake.activities({
      async createTrip(input) {
        const { attempt } = Context.current().info;
        attempts.push(attempt);
        if (attempt === 1)
          throw ApplicationFailure.create({ type: 'AvinodeUnavailable', message: 'POST /trips → 503' });
        if (attempt === 2)
          throw ApplicationFailure.create({
            type: 'AvinodeRateLimited',
            message: 'POST /trips → 429 (retry after 1 s)',
            nextRetryDelay: 100,
          });
        return base.createTrip(input);
      },
    });
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      expect(attempts).toEqual([1, 2, 3]);
      expect(fake.tripCount(started.workflowId)).toBe(1);
      await handle.executeUpdate(cancelTrip, { args: [{ reason: 'OTHER' }] });
      expect((await handle.result()).phase).toBe('cancelled');
    });
  });

  it('keeps collecting when a poll fails with a non-retryable error, and the next poll reconciles', async () => {
    const fake = new FakeAvinode();
    const base = fake.activities();
    let failures = 0;
    const activities = fake.activities({
      async readTripState(input) {
        if (failures < 2) {
          failures++;
          throw ApplicationFailure.create({
            type: 'AvinodeContractViolation',
            message: 'GET /rfqs/{tripId} → 200 response violates its schema: 0.id:invalid_string',
            nonRetryable: true,
          });
        }
        return base.readTripState(input);
      },
    });
    await withWorker(env, activities, async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay({ endWhenAllAnswered: true }));
      const [a] = fake.sendRfqs(started.atripId, 1);
      fake.quote(a!, 19_000);
      const result = await handle.result();
      expect(failures).toBe(2);
      expect(result.phase).toBe('completed');
      expect(result.counts.polls).toBeGreaterThanOrEqual(3);
    });
  });

  it('cancels a trip whose creation is still in flight, once it exists', async () => {
    const fake = new FakeAvinode();
    let releaseCreate!: () => void;
    const createMayFinish = new Promise<void>((resolve) => (releaseCreate = resolve));
    const base = fake.activities();
    const activities = fake.activities({
      async createTrip(input) {
        await createMayFinish;
        return base.createTrip(input);
      },
    });
    await withWorker(env, activities, async (taskQueue) => {
      const request = oneWay();
      const starting = startTrip(env, taskQueue, request);
      const handle = env.client.workflow.getHandle(`trip-${request.externalId}`);
      await waitForProgress(handle as never, (p) => p.phase === 'creating_trip', 'creating_trip');
      const cancelling = handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      releaseCreate();
      const { started } = await starting;
      await cancelling;
      const result = await handle.result();
      expect(result.phase).toBe('cancelled');
      expect(fake.cancels.map((cancel) => cancel.atripId)).toEqual([started.atripId]);
    });
  });

  it('cancels a run blocked before any trip exists without calling Avinode', async () => {
    const fake = new FakeAvinode();
    fake.credentialsOk = false;
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const request = oneWay({
        timing: { pollInitialMs: 100, pollMaxMs: 200, credentialRecheckMs: 3_600_000, continueAsNewAfterEvents: 0 },
      });
      const starting = startTrip(env, taskQueue, request).then(
        () => 'started',
        (error: unknown) => (error as Error).name,
      );
      const handle = env.client.workflow.getHandle(`trip-${request.externalId}`);
      await waitForProgress(handle as never, (p) => p.phase === 'blocked', 'blocked');
      const progress = await handle.executeUpdate(cancelTrip, { args: [{ reason: 'BY_CLIENT' }] });
      expect(progress).toMatchObject({
        phase: 'cancelled',
        endReason: 'cancelled (BY_CLIENT) before an Avinode trip existed',
      });
      expect(await starting).toBe('WorkflowUpdateFailedError');
      expect((await handle.result()).phase).toBe('cancelled');
      expect(fake.cancels).toEqual([]);
      expect(fake.createCalls).toEqual([]);
    });
  });
});

describe('charterTripWorkflow over a long run', () => {
  it('continues as new under a tiny history threshold and keeps every quote, decline and counter', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const timing = { pollInitialMs: 50, pollMaxMs: 100, credentialRecheckMs: 1_000, continueAsNewAfterEvents: 30 };
      const { handle, started } = await startTrip(
        env,
        taskQueue,
        oneWay({ endWhenAllAnswered: true, timing, callbackUrl: 'https://backend.example/hooks' }),
      );
      const rfqs = fake.sendRfqs(started.atripId, 5);
      const quoteIds: string[] = [];
      for (const [index, rfqId] of rfqs.slice(0, 4).entries()) {
        quoteIds.push(fake.quote(rfqId, 20_000 + index * 1_000));
        await waitForProgress(handle, (p) => p.quotes.length === quoteIds.length, `quote ${index + 1}`);
        await handle.signal('avinodeEvent', fake.event('TripRequestSellerResponse', quoteIds.at(-1)!));
      }
      fake.reprice(quoteIds[0]!, 18_500);
      await waitForProgress(
        handle,
        (p) => p.quotes.find((q) => q.quoteId === quoteIds[0])?.price === 18_500,
        'the re-price',
      );
      const beforeEnd = await waitForProgress(handle, (p) => p.continuedAsNew >= 2, 'two continue-as-new');
      expect(beforeEnd.quotes).toHaveLength(4);
      fake.decline(rfqs[4]!);
      const result = await handle.result();
      expect(result.phase).toBe('completed');
      expect(result.continuedAsNew).toBeGreaterThanOrEqual(2);
      expect(result.quotes.map((q) => q.quoteId).sort()).toEqual([...quoteIds].sort());
      expect(result.quotes.find((q) => q.quoteId === quoteIds[0])!.priceHistory.map((h) => h.price)).toEqual([20_000]);
      expect(result.declines).toHaveLength(1);
      expect(result.counts.webhooks).toBe(4);
      expect(result.counts.polls).toBeGreaterThan(result.continuedAsNew);
      expect(result.phaseHistory.map((change) => change.phase)).toEqual([
        'creating_trip',
        'awaiting_rfqs',
        'collecting_quotes',
        'completed',
      ]);
      // Callback ids stay unique across runs.
      expect(new Set(fake.callbacks.map((event) => event.eventId)).size).toBe(fake.callbacks.length);
      expect(fake.callbacks.filter((event) => event.type === 'quote_received')).toHaveLength(5);
      await keepHistory(env, handle, 'continue-as-new');
      const runs = env.histories.filter((history) => history.name.startsWith('continue-as-new:'));
      expect(runs.length).toBe(result.continuedAsNew + 1);
    });
  });
});

describe('charterTripWorkflow visibility', () => {
  it('keeps TripPhase, AvinodeTripId, AvinodeTripRef, Route and QuoteCount queryable and current details readable', async () => {
    const fake = new FakeAvinode();
    await withWorker(env, fake.activities(), async (taskQueue) => {
      const { handle, started } = await startTrip(env, taskQueue, oneWay());
      const [a] = fake.sendRfqs(started.atripId, 2);
      fake.quote(a!, 27_500);
      await waitForProgress(handle, (p) => p.quotes.length === 1, 'a quote');
      const query = `AvinodeTripId = '${started.tripId}' AND AvinodeTripRef = '${started.atripId}' AND TripPhase = 'collecting_quotes' AND Route = 'KTEB-KPBI' AND QuoteCount = 1`;
      const found = async () => {
        const ids = new Set<string>();
        for await (const execution of env.client.workflow.list({ query })) ids.add(execution.workflowId);
        return [...ids];
      };
      await expect.poll(found, { timeout: 30_000, interval: 200 }).toEqual([handle.workflowId]);
      const description = await handle.describe();
      expect(
        description.typedSearchAttributes
          .get((await import('../../workflows/contract.ts')).SearchAttributes.DepartureDate)
          ?.toISOString(),
      ).toBe('2027-05-14T09:30:00.000Z');
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain('**Phase:** collecting_quotes');
      expect(metadata.currentDetails).toContain('| Quote | Operator |');
      expect(metadata.currentDetails).toContain('27,500 USD');
      await handle.executeUpdate(selectQuote, {
        args: [{ quoteId: (await handle.query(getProgress)).quotes[0]!.quoteId }],
      });
      await handle.result();
    });
  });

  it('leaves none of the fake secrets in any history this file produced', () => {
    expect(env.histories.length).toBeGreaterThanOrEqual(4);
    expect(
      env.histories.flatMap(({ name, text }) =>
        secretsIn(text, Object.values(FAKE_SECRETS)).map((secret) => `${name}: ${secret}`),
      ),
    ).toEqual([]);
  });
});
