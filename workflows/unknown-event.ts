// unknownAvinodeEventWorkflow: the durable record of one webhook event about a trip no charterflow run
// carries (id `avinode-unknown-<EventType>-<resourceId>`, started with REJECT_DUPLICATE so a redelivery,
// even to another receiver process, is recorded once). It ends in its first workflow task: its input
// and result are the record, the receiver's static summary names the event and the reason, and the
// Web UI lists them under `WorkflowType = 'unknownAvinodeEventWorkflow'`.
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { UnknownAvinodeEvent } from './contract.ts';

export async function unknownAvinodeEventWorkflow(event: UnknownAvinodeEvent): Promise<UnknownAvinodeEvent> {
  return event;
}

// Like the routing runs (workflows/avinode-event.ts): a record lives for one task, so it finishes on the
// build that started it and its code never needs a patch.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  unknownAvinodeEventWorkflow,
);
