// The whole product under load: CharterClient → Temporal dev server → worker → emulator with
// autopilot operators → webhooks back through the receiver. Measures the backend's view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUTOPILOT } from '../../emulator/index.ts';
import { workflowIdFor } from '../../workflows/contract.ts';
import { isTerminal, oneWayRequest, startStack, waitForProgress, type Stack } from '../integration/stack/harness.ts';
import { mib, percentile, report, runConcurrently } from './support.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    emulator: {
      autopilot: { ...DEFAULT_AUTOPILOT, enabled: true, sendRfqsAfterMs: 200, operators: 3, quoteAfterMs: 400, declineRatio: 0.34, chatRatio: 0 },
      tokenRequestsPerMinute: 100_000,
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('charter trips under load', () => {
  it('hands back 60 deep links with 6 starts in flight, p95 under 2 s, and completes every run within 90 s', async () => {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const requests = Array.from({ length: 60 }, () => oneWayRequest({ timing: { pollInitialMs: 5_000, pollMaxMs: 20_000, credentialRecheckMs: 5_000 } }));
    const started = performance.now();
    const latencies = await runConcurrently(requests.length, 6, (i) => stack.charter.startTrip(requests[i]!));
    const startedAllMs = performance.now() - started;
    const finished = await Promise.all(requests.map((request) => waitForProgress(stack, request.externalId, isTerminal, 90_000)));
    const completedAllMs = performance.now() - started;
    global.gc?.();
    const heapGrowthMiB = mib(process.memoryUsage().heapUsed - heapBefore);
    const stats = await stack.emulator.admin.stats();
    report('stack.trips', {
      trips: requests.length,
      deepLinkP50Ms: percentile(latencies, 50),
      deepLinkP95Ms: percentile(latencies, 95),
      startedAllMs,
      completedAllMs,
      tripsPerMinute: requests.length / (completedAllMs / 60_000),
      quotes: finished.reduce((sum, p) => sum + p.quotes.length, 0),
      webhooksDelivered: stats.webhooks.delivered,
      heapGrowthMiB,
      rssMiB: mib(process.memoryUsage().rss),
    });
    expect(finished.every((p) => p.phase === 'completed')).toBe(true);
    for (const request of requests) expect(stats.tripsByExternalId[workflowIdFor(request.externalId)]).toBe(1);
    expect(percentile(latencies, 95)).toBeLessThan(2_000);
    expect(completedAllMs).toBeLessThan(90_000);
    expect(heapGrowthMiB).toBeLessThan(150);
  });
});
