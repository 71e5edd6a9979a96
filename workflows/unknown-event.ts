// unknownAvinodeEventWorkflow: the durable record of one webhook event about a trip no charterflow run
// carries (id `avinode-unknown-<EventType>-<resourceId>`, started with REJECT_DUPLICATE so a redelivery,
// even to another receiver process, is recorded once). It ends at once; its input and result are the
// record, and the Web UI lists them under `WorkflowType = 'unknownAvinodeEventWorkflow'`.
import { setCurrentDetails, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { UnknownAvinodeEvent } from './contract.ts';

export async function unknownAvinodeEventWorkflow(event: UnknownAvinodeEvent): Promise<UnknownAvinodeEvent> {
  const trip = event.tripId
    ? `Avinode trip ${event.tripId}`
    : event.atripId
      ? `Avinode trip ${event.atripId}`
      : 'no trip';
  // Current details are metadata answered by the worker, not a command: no history changes with them.
  setCurrentDetails(`**${event.eventType}** ${event.id} → ${trip}: ${event.reason} (received ${event.receivedAt})`);
  return event;
}

// Like the routing runs (workflows/avinode-event.ts): a record lives for one task, so it finishes on the
// build that started it and its code never needs a patch.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  unknownAvinodeEventWorkflow,
);
