// avinodeEventWorkflow: the durable hand-off of one webhook (id `avinode-event-<EventType>-<resourceId>`,
// so redeliveries dedupe). It finds the trip the event is about and signals that trip's run.
// Unknown trips and finished runs are recorded in the result; nothing here retries forever.
import {
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { CharterActivities } from './activity-types.ts';
import { eventReadOptions } from './activity-options.ts';
import { avinodeEvent, WORKFLOW_ID_PREFIX, type AvinodeEvent } from './contract.ts';

const { findTripOfEvent } = proxyActivities<Pick<CharterActivities, 'findTripOfEvent'>>({
  ...eventReadOptions,
  summary: 'find the trip of a webhook event',
});

export type AvinodeEventOutcome = 'signalled' | 'unknown_trip' | 'not_running' | 'unresolved';

export interface AvinodeEventResult {
  outcome: AvinodeEventOutcome;
  eventType: AvinodeEvent['eventType'];
  resourceId: string;
  /** The trip run signalled (or that would have been). */
  workflowId?: string;
  tripId?: string;
  detail?: string;
}

function messageOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The routing run's line in the Web UI, once it knows its trip: `TripRequestSellerResponse
 * arfq-… → trip-REQ-1042 (Q4K7ZP): signalled`. Current details are metadata answered by the
 * worker, not a command, so setting them changes no history (recorded routing runs still replay).
 */
function describeRouting(result: AvinodeEventResult): AvinodeEventResult {
  const target = result.workflowId
    ? `${result.workflowId}${result.tripId ? ` (${result.tripId})` : ''}`
    : result.tripId
      ? `Avinode trip ${result.tripId}`
      : 'no trip';
  setCurrentDetails(
    `**${result.eventType}** ${result.resourceId} → ${target}: ${result.outcome}${result.detail ? ` — ${result.detail}` : ''}`,
  );
  return result;
}

export async function avinodeEventWorkflow(event: AvinodeEvent): Promise<AvinodeEventResult> {
  const base = { eventType: event.eventType, resourceId: event.id };
  let trip;
  try {
    trip = await findTripOfEvent(event);
  } catch (error) {
    return describeRouting({ ...base, outcome: 'unresolved', detail: messageOf(error) });
  }
  if (trip.unresolved) return describeRouting({ ...base, outcome: 'unresolved', detail: trip.unresolved });
  const tripId = trip.tripId ?? event.tripId;
  const workflowId = trip.externalTripId;
  // The externalTripId we send to Avinode is the trip run's workflow id; anything else is not ours.
  if (!workflowId || !workflowId.startsWith(WORKFLOW_ID_PREFIX)) {
    return describeRouting({
      ...base,
      outcome: 'unknown_trip',
      ...(tripId ? { tripId } : {}),
      detail: workflowId ? 'trip was not created by charterflow' : 'no charterflow run carries this trip',
    });
  }
  try {
    await getExternalWorkflowHandle(workflowId).signal(avinodeEvent, { ...event, ...(tripId ? { tripId } : {}) });
  } catch (error) {
    return describeRouting({
      ...base,
      outcome: 'not_running',
      workflowId,
      ...(tripId ? { tripId } : {}),
      detail: messageOf(error),
    });
  }
  return describeRouting({ ...base, outcome: 'signalled', workflowId, ...(tripId ? { tripId } : {}) });
}

// Worker Versioning (workers/versioning.ts): a routing run lives for seconds, so it finishes on the
// build that started it and its code never needs a patch; trips auto-upgrade (the worker default).
// Only a versioned worker may name a behaviour (the server rejects it from an unversioned one), so
// the option is read when the run starts on a worker that has a deployment version.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  avinodeEventWorkflow,
);
