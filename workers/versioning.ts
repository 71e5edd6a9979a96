// Worker Versioning (docs/upgrades.md). With TEMPORAL_WORKER_DEPLOYMENT and TEMPORAL_WORKER_BUILD_ID a
// worker polls as the version `<deployment>:<buildId>`; the server sends each run's tasks to the
// version its behaviour asks for:
// - charterTripWorkflow: AUTO_UPGRADE (the worker's default). Trips stay open for days, longer than
//   any deploy: each run moves to the current version at its next workflow task, so its code
//   changes go behind patched() and the replay fixtures guard them.
// - avinodeEventWorkflow: PINNED (workflows/avinode-event.ts). A routing run lives for seconds and
//   finishes on the build that started it; its code never needs a patch.
// - unknownAvinodeEventWorkflow: PINNED (workflows/unknown-event.ts), for the same reason: a record
//   ends in its first workflow task.
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import type { WorkerDeploymentConfig } from '../platform/config.ts';

export const DEFAULT_VERSIONING_BEHAVIOR = 'AUTO_UPGRADE' as const;

export function workerDeploymentOptionsFor(
  deployment: WorkerDeploymentConfig | undefined,
): WorkerDeploymentOptions | undefined {
  if (!deployment) return undefined;
  return {
    version: { deploymentName: deployment.deploymentName, buildId: deployment.buildId },
    useWorkerVersioning: true,
    defaultVersioningBehavior: DEFAULT_VERSIONING_BEHAVIOR,
  };
}
