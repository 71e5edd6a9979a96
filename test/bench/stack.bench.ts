// The whole product under load: CharterClient → Temporal dev server → worker → emulator → webhooks
// back through the receiver, all on one machine. Measures the backend's view in two shapes:
// - a burst of starts with no marketplace activity: how fast deep links come back;
// - a steady arrival of trips into a living marketplace (autopilot operators quoting and declining,
//   about seven webhooks per trip): deep links stay prompt and every run completes.
// The second is paced below the machine's measured capacity (about one full trip lifecycle per
// second on 2 cores, see notes): a closed loop that outruns it only measures queueing.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOPILOT, type AutopilotOptions } from '../../emulator/index.ts';
import { workflowIdFor, type TripRequest } from '../../workflows/contract.ts';
import { decide, oneWayRequest, startStack, type Stack } from '../integration/stack/harness.ts';
import { mib, percentile, report, runConcurrently, runPaced, target } from './support.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

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

async function measure(
  name: string,
  requests: TripRequest[],
  start: (task: (index: number) => Promise<unknown>) => Promise<number[]>,
  finish?: (request: TripRequest) => Promise<unknown>,
) {
  const running = stack!;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const latencies = await start((i) => running.charter.startTrip(requests[i]!));
  const startedAllMs = performance.now() - started;
  if (finish) await Promise.all(requests.map(finish));
  const finished = await Promise.all(requests.map((request) => decide(running, request.externalId, 120_000)));
  const completedAllMs = performance.now() - started;
  global.gc?.();
  const stats = await running.emulator.admin.stats();
  const result = {
    trips: requests.length,
    deepLinkP50Ms: percentile(latencies, 50),
    deepLinkP95Ms: percentile(latencies, 95),
    startedAllMs,
    completedAllMs,
    tripsPerMinute: requests.length / (completedAllMs / 60_000),
    quotes: finished.reduce((sum, p) => sum + p.quotes.length, 0),
    webhooksDelivered: stats.webhooks.delivered,
    heapGrowthMiB: mib(process.memoryUsage().heapUsed - heapBefore),
    rssMiB: mib(process.memoryUsage().rss),
  };
  report(name, result);
  for (const request of requests) expect(stats.tripsByExternalId[workflowIdFor(request.externalId)]).toBe(1);
  return { ...result, finished };
}

describe('charter trips under load', () => {
  it('hands back 60 deep links with 6 starts in flight, p95 under 1.5 s', async () => {
    stack = await startStack({ emulator: { tokenRequestsPerMinute: 100_000 } });
    const requests = Array.from({ length: 60 }, () => oneWayRequest({ timing }));
    const result = await measure(
      'stack.startBurst',
      requests,
      (task) => runConcurrently(requests.length, 6, task),
      (request) => stack!.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' }),
    );
    expect(result.finished.every((p) => p.phase === 'cancelled')).toBe(true);
    target('stack.startBurst', 'deepLinkP95Ms', result.deepLinkP95Ms, '<', 1_500);
    target('stack.startBurst', 'heapGrowthMiB', result.heapGrowthMiB, '<', 150);
  });

  it('runs 40 trips arriving every 1.5 s through a living marketplace: deep-link p95 under 2 s, all complete within 120 s', async () => {
    stack = await startStack({ emulator: { autopilot: MARKETPLACE, tokenRequestsPerMinute: 100_000 } });
    const requests = Array.from({ length: 40 }, () => oneWayRequest({ timing }));
    const result = await measure('stack.marketplace', requests, (task) => runPaced(requests.length, 1_500, task));
    // A trip every operator declined is cancelled by the driver (decide); every other one completes.
    for (const progress of result.finished) {
      const everyLiftDeclined = progress.rfqs.every((rfq) => rfq.lifts.every((lift) => lift.status === 'declined'));
      expect(progress.phase).toBe(everyLiftDeclined ? 'cancelled' : 'completed');
    }
    expect(result.quotes).toBeGreaterThan(0);
    target('stack.marketplace', 'deepLinkP95Ms', result.deepLinkP95Ms, '<', 2_000);
    target('stack.marketplace', 'completedAllMs', result.completedAllMs, '<', 120_000);
    target('stack.marketplace', 'heapGrowthMiB', result.heapGrowthMiB, '<', 150);
  });
});
