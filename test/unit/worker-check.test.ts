// `charterflow worker --check`, the container healthcheck, reads the worker's own metrics endpoint.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWorkerPolling, workflowPollersIn } from '../../workers/worker-check.ts';

const exposition = (queue: string, workflowPollers: number) =>
  [
    '# HELP temporal_num_pollers Current number of active pollers per queue type',
    '# TYPE temporal_num_pollers gauge',
    `temporal_num_pollers{namespace="default",poller_type="activity_task",service_name="temporal-core-sdk",task_queue="${queue}"} 10`,
    `temporal_num_pollers{namespace="default",poller_type="sticky_workflow_task",service_name="temporal-core-sdk",task_queue="${queue}"} ${workflowPollers}`,
    `temporal_num_pollers{namespace="default",poller_type="workflow_task",service_name="temporal-core-sdk",task_queue="${queue}"} ${workflowPollers}`,
    '',
  ].join('\n');

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function metricsServing(body: string): Promise<string> {
  server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `0.0.0.0:${(server.address() as AddressInfo).port}`;
}

describe('worker --check', () => {
  it('counts workflow-task pollers of its own task queue only', () => {
    expect(workflowPollersIn(exposition('charter-trips', 2), 'charter-trips')).toBe(4);
    expect(workflowPollersIn(exposition('other-queue', 2), 'charter-trips')).toBe(0);
    expect(workflowPollersIn(exposition('charter-trips', 0), 'charter-trips')).toBe(0);
  });

  it('is healthy while the worker polls, reaching a 0.0.0.0 endpoint over loopback', async () => {
    const bindAddress = await metricsServing(exposition('charter-trips', 3));
    expect(
      await checkWorkerPolling({ metrics: { bindAddress }, temporal: { taskQueue: 'charter-trips' } as never }),
    ).toEqual({ ok: true, detail: 'polling: 6 workflow-task poller(s) on charter-trips' });
  });

  it('is unhealthy when the worker does not poll, serves no metrics, or cannot be reached', async () => {
    const bindAddress = await metricsServing(exposition('charter-trips', 0));
    expect(
      (await checkWorkerPolling({ metrics: { bindAddress }, temporal: { taskQueue: 'charter-trips' } as never })).ok,
    ).toBe(false);
    expect(await checkWorkerPolling({ temporal: { taskQueue: 'charter-trips' } as never })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('METRICS_PORT=0'),
    });
    expect(
      await checkWorkerPolling({
        metrics: { bindAddress: '127.0.0.1:1' },
        temporal: { taskQueue: 'charter-trips' } as never,
      }),
    ).toMatchObject({ ok: false, detail: expect.stringContaining('no worker metrics at http://127.0.0.1:1/metrics') });
  });
});
