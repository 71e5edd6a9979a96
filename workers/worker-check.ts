// `charterflow worker --check`: the container healthcheck. Healthy means this machine's worker polls
// for workflow tasks on its task queue, read from the SDK's `temporal_num_pollers` gauge on the
// worker's own metrics endpoint (no Temporal round trip, no credentials needed).
import type { Config } from '../platform/config.ts';
import { metricsUrl } from './worker.ts';

export interface WorkerCheckVerdict {
  ok: boolean;
  detail: string;
}

const SAMPLE = /^temporal_num_pollers\{([^}]*)\}\s+([0-9.eE+-]+)/;

/** Sum of workflow-task pollers (normal and sticky) for the task queue in a Prometheus text exposition. */
export function workflowPollersIn(exposition: string, taskQueue: string): number {
  let pollers = 0;
  for (const line of exposition.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...match[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]),
    );
    if (labels.task_queue !== taskQueue || !String(labels.poller_type).includes('workflow_task')) continue;
    pollers += Number(match[2]);
  }
  return pollers;
}

export async function checkWorkerPolling(
  config: Pick<Config, 'metrics' | 'temporal'>,
  timeoutMs = 3_000,
): Promise<WorkerCheckVerdict> {
  if (!config.metrics)
    return {
      ok: false,
      detail: 'METRICS_PORT=0: the worker serves no metrics endpoint, so --check cannot see it (set METRICS_PORT)',
    };
  // A worker listening on every interface is reached on loopback from inside its container.
  const bindAddress = config.metrics.bindAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  const url = metricsUrl(bindAddress);
  let text: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { ok: false, detail: `${url} answered ${response.status}` };
    text = await response.text();
  } catch (error) {
    return {
      ok: false,
      detail: `no worker metrics at ${url} (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const pollers = workflowPollersIn(text, config.temporal.taskQueue);
  return pollers > 0
    ? { ok: true, detail: `polling: ${pollers} workflow-task poller(s) on ${config.temporal.taskQueue}` }
    : { ok: false, detail: `not polling: no workflow-task poller on ${config.temporal.taskQueue} in ${url}` };
}
