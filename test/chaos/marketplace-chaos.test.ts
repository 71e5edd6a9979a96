// Chaos: a dozen charter runs through a living marketplace while the emulator misbehaves at random
// (seeded): 5xx and ERR_INTERNAL_CRITICAL, 429 with Retry-After, latency, revoked tokens, and
// webhooks dropped, duplicated and reordered. Timing is left to chance, so the assertions are the
// invariants a broker relies on, not a script: every run ends cleanly with every lift answered,
// Avinode holds exactly one trip per run, and no quote or decline is lost or counted twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOPILOT, type FaultRule } from '../../emulator/index.ts';
import { workflowIdFor, type TripProgress } from '../../workflows/contract.ts';
import { decide, historyText, oneWayRequest, startStack, type Stack } from '../integration/stack/harness.ts';
import { runConcurrently } from '../bench/support.ts';

const TRIPS = 12;
const OPERATORS = 3;
const SEED = 20_261_127;

const CHAOS: FaultRule[] = [
  { kind: '503', route: 'GET /api/trips/:id', probability: 0.15 },
  { kind: '503', route: 'GET /api/rfqs/:id', probability: 0.15 },
  { kind: 'internal_critical', route: 'POST /api/trips', probability: 0.25 },
  { kind: '500', route: 'GET /api/quotes/:id', probability: 0.15 },
  // Quotes now come inside the trip read; the webhook receiver reads the messages that name no trip.
  { kind: '500', route: 'GET /api/tripmsgs/:id', probability: 0.15 },
  { kind: '429', probability: 0.05, retryAfterSeconds: 1 },
  { kind: 'latency', probability: 0.3, latencyMs: 120 },
  { kind: 'revoke_tokens', probability: 0.03 },
  { kind: 'drop_webhooks', probability: 0.3 },
  { kind: 'duplicate_webhooks', probability: 0.3 },
  { kind: 'delay_webhooks', probability: 0.2, latencyMs: 400 },
];

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    emulator: {
      autopilot: {
        ...DEFAULT_AUTOPILOT,
        enabled: true,
        sendRfqsAfterMs: 150,
        operators: OPERATORS,
        quoteAfterMs: 250,
        declineRatio: 0.34,
        chatRatio: 0.3,
      },
      seed: SEED,
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('charter runs under seeded marketplace chaos', () => {
  it('all end with every lift answered, one Avinode trip each, and every quote and decline counted exactly once', async () => {
    await stack.emulator.admin.setFaults(CHAOS, SEED);
    // A low continue-as-new threshold makes some runs carry their state over mid-collection too.
    const requests = Array.from({ length: TRIPS }, () =>
      oneWayRequest({
        timing: { pollInitialMs: 300, pollMaxMs: 1_000, credentialRecheckMs: 300, continueAsNewAfterEvents: 120 },
      }),
    );
    await runConcurrently(requests.length, 4, (i) => stack.charter.startTrip(requests[i]!));
    // The broker picks the cheapest quote of every run once all its lifts are answered (cancels when all declined).
    const finished: TripProgress[] = await Promise.all(
      requests.map((request) => decide(stack, request.externalId, 120_000, { rfqs: OPERATORS })),
    );
    const stats = await stack.emulator.admin.stats();
    await stack.emulator.admin.clearFaults();

    // The chaos really happened.
    expect(Object.keys(stats.faultsInjected).length).toBeGreaterThanOrEqual(5);
    expect(stats.webhooks.dropped + stats.webhooks.duplicated).toBeGreaterThan(0);

    for (const [i, progress] of finished.entries()) {
      const expected =
        progress.quotes.length > 0
          ? { phase: 'completed', outcome: 'reported' }
          : { phase: 'cancelled', outcome: undefined };
      expect({ run: i, phase: progress.phase, outcome: progress.outcomeReport?.status }).toEqual({
        run: i,
        ...expected,
      });
      if (progress.outcomeReport) {
        expect(stats.outcomesByTrip[progress.atripId!]).toMatchObject({
          outcome: 'CONVERTED',
          winningSellerLiftId: progress.outcomeReport.winningSellerLiftId,
        });
      }
      expect(progress.quotes.length + progress.declines.length).toBe(OPERATORS);
      expect(new Set(progress.quotes.map((quote) => quote.quoteId)).size).toBe(progress.quotes.length);
      expect(stats.tripsByExternalId[workflowIdFor(requests[i]!.externalId)]).toBe(1);
    }
    // What the runs hold is what the operators did on Avinode: nothing lost, nothing doubled.
    expect(finished.reduce((sum, p) => sum + p.quotes.length, 0)).toBe(stats.quotes);
    expect(finished.reduce((sum, p) => sum + p.declines.length, 0)).toBe(stats.declines);

    // And chaos never pushed a credential into a history.
    const secrets = [stack.emulator.credentials.clientSecret, stack.emulator.credentials.apiToken];
    for (const request of requests) {
      const history = await historyText(stack, request.externalId);
      for (const secret of secrets) expect(history).not.toContain(secret);
    }
  }, 180_000); // ~20 s alone; the bound only matters on a machine busy with the rest of the suite
});
