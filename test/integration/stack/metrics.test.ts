// `charterflow worker` serves Prometheus metrics on METRICS_PORT: the SDK's own and charterflow's
// business counters (workflows/metrics.ts), labelled by task queue, so a dashboard can follow runs.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../workers/dev-server.ts';
import {
  decide,
  killProcess,
  oneWayRequest,
  spawnWorkerProcess,
  startStack,
  waitUntil,
  type Stack,
} from './harness.ts';

let stack: Stack;
let worker: ChildProcess | undefined;
let metricsUrl: string;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  const port = await findFreePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await spawnWorkerProcess(stack, { METRICS_PORT: String(port) });
});
afterAll(async () => {
  if (worker) await killProcess(worker, 'SIGTERM');
  await stack?.close();
});

/** The value of the first sample of `name` whose labels include every `labels` pair (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || !match[1]!.endsWith(name)) continue;
    const pairs = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => pairs[key] === value)) return Number(match[3]);
  }
  return 0;
}

describe('the worker metrics endpoint', () => {
  it('counts the phases and quotes of a completed run next to the SDK metrics of its task queue', async () => {
    const request = oneWayRequest();
    const trip = await stack.charter.startTrip(request);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 1);
    await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 18_500, currency: 'USD' });
    const done = await decide(stack, request.externalId);
    expect(done.phase).toBe('completed');

    const taskQueue = stack.env.TEMPORAL_TASK_QUEUE!;
    // The exporter is scraped, not pushed: wait until this run's completion is visible.
    const text = await waitUntil(async () => {
      const body = await (await fetch(metricsUrl)).text();
      return sample(body, 'charterflow_trip_phase_entered', { phase: 'completed', taskQueue }) >= 1 ? body : undefined;
    }, 'the completed phase in the metrics');
    for (const phase of ['creating_trip', 'awaiting_rfqs', 'collecting_quotes', 'awaiting_selection', 'completed']) {
      expect(
        sample(text, 'charterflow_trip_phase_entered', { phase, taskQueue, workflowType: 'charterTripWorkflow' }),
        phase,
      ).toBe(1);
    }
    expect(sample(text, 'charterflow_quotes_received', { kind: 'new', taskQueue })).toBe(1);
    expect(sample(text, 'charterflow_quotes_received', { kind: 'repriced', taskQueue })).toBe(0);
    // The SDK's own metrics come through the same endpoint.
    expect(text).toMatch(/^temporal_workflow_completed\{[^}]*task_queue="[^"]+"/m);
    expect(text).toMatch(/^temporal_activity_execution_latency/m);
  });

  it('counts a failed activity attempt by its failure type (the activity interceptor)', async () => {
    await stack.emulator.admin.setFaults([{ route: 'POST /api/trips', kind: '503', times: 1 }]);
    const trip = await stack.charter.startTrip(oneWayRequest());
    expect(trip.atripId).toMatch(/^atrip-/);
    // createTrip runs on the Avinode task queue: the sample is told apart by activity type.
    const failed = await waitUntil(async () => {
      const count = sample(await (await fetch(metricsUrl)).text(), 'charterflow_activity_failures', {
        type: 'AvinodeUnavailable',
        activityType: 'createTrip',
      });
      return count >= 1 ? count : undefined;
    }, 'the failed createTrip attempt in the metrics');
    expect(failed).toBeGreaterThanOrEqual(1);
  });

  it('refuses to start when the metrics port is taken, naming METRICS_PORT and the way out', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    try {
      await expect(spawnWorkerProcess(stack, { METRICS_PORT: String(port) })).rejects.toThrow(
        new RegExp(
          `METRICS_PORT: cannot serve metrics on 127\\.0\\.0\\.1:${port} .*choose a free port, or METRICS_PORT=0`,
        ),
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
