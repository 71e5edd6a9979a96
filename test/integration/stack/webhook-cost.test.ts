// What a trip costs with webhooks on, through a living marketplace (autopilot operators quoting and
// declining, webhooks back through the receiver): executions started per trip, history events per
// trip (its own and any auxiliary execution's), and Avinode calls per quote. Prints the figures
// (issue 12's table); asserts what must hold whatever the machine's speed: every trip decided, every
// quote the marketplace sent collected, and no execution per event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOPILOT, type AutopilotOptions } from '../../../emulator/index.ts';
import { workflowIdFor, type TripProgress } from '../../../workflows/contract.ts';
import { decide, oneWayRequest, startStack, type Stack } from './harness.ts';

const TRIPS = 8;
const MARKETPLACE: AutopilotOptions = {
  ...DEFAULT_AUTOPILOT,
  enabled: true,
  sendRfqsAfterMs: 200,
  operators: 3,
  quoteAfterMs: 400,
  declineRatio: 0.34,
  chatRatio: 0,
};
const timing = { pollInitialMs: 5_000, pollMaxMs: 20_000, credentialRecheckMs: 5_000 };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ emulator: { autopilot: MARKETPLACE, tokenRequestsPerMinute: 100_000 } });
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** Avinode API calls the emulator answered, by route (tokens and the emulator's own admin routes left out). */
function avinodeCalls(byRoute: Record<string, number>): { all: number; reads: number } {
  let all = 0;
  let reads = 0;
  for (const [route, count] of Object.entries(byRoute)) {
    if (!/ \/api\//.test(route) || /token|oauth/i.test(route)) continue;
    all += count;
    if (route.startsWith('GET ')) reads += count;
  }
  return { all, reads };
}

async function runTrips(label: string) {
  const since = new Date().toISOString();
  const before = avinodeCalls((await stack.emulator.admin.stats()).requestsByRoute);
  const quotesBefore = (await stack.emulator.admin.stats()).quotes;
  const requests = Array.from({ length: TRIPS }, () => oneWayRequest({ timing }));
  for (const request of requests) {
    await stack.charter.startTrip(request);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const finished: TripProgress[] = await Promise.all(
    requests.map((request) => decide(stack, request.externalId, 120_000, { rfqs: MARKETPLACE.operators })),
  );
  const stats = await stack.emulator.admin.stats();
  const after = avinodeCalls(stats.requestsByRoute);
  const quotes = finished.reduce((sum, progress) => sum + progress.quotes.length, 0);
  expect(finished.every((progress) => progress.phase === 'completed' || progress.phase === 'cancelled')).toBe(true);
  expect(quotes).toBe(stats.quotes - quotesBefore);

  let executions = 0;
  let events = 0;
  for await (const execution of stack.client.workflow.list({
    query: `TaskQueue = '${stack.config.temporal.taskQueue}' AND StartTime >= '${since}'`,
  })) {
    executions++;
    events +=
      (await stack.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()).events?.length ?? 0;
  }
  const tripEvents = await Promise.all(
    requests.map(
      async (request) =>
        (await stack.client.workflow.getHandle(workflowIdFor(request.externalId)).fetchHistory()).events?.length ?? 0,
    ),
  );
  const figures = {
    trips: TRIPS,
    quotes,
    executionsPerTrip: executions / TRIPS,
    eventsPerTripInclAuxiliary: Math.round(events / TRIPS),
    tripRunEventsMinMax: [Math.min(...tripEvents), Math.max(...tripEvents)],
    avinodeCallsPerQuote: +((after.all - before.all) / quotes).toFixed(2),
    avinodeReadsPerQuote: +((after.reads - before.reads) / quotes).toFixed(2),
  };
  process.stdout.write(`webhook-cost ${label} ${JSON.stringify(figures)}\n`);
  return { executions };
}

describe('the cost of a trip', () => {
  it(`with webhooks on: ${TRIPS} trips through autopilot operators collect every quote, with at most 2 executions per trip`, async () => {
    const { executions } = await runTrips('webhooks on');
    expect(executions).toBeLessThanOrEqual(2 * TRIPS);
  }, 240_000);

  it(`with every webhook dropped: ${TRIPS} trips collect every quote by polling alone`, async () => {
    await stack.emulator.admin.setFaults([{ kind: 'drop_webhooks' }]);
    try {
      const { executions } = await runTrips('webhooks dropped');
      expect(executions).toBe(TRIPS);
    } finally {
      await stack.emulator.admin.setFaults([]);
    }
  }, 240_000);
});
