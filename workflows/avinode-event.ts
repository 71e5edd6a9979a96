// avinodeEventWorkflow: the durable hand-off of one webhook (id `avinode-event-<EventType>-<resourceId>`,
// so redeliveries dedupe). It finds the trip the event is about and signals that trip's run.
// Unknown trips and finished runs are recorded in the result; nothing here retries forever.
import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { CharterActivities } from './activity-types.ts';
import { eventReadOptions } from './activity-options.ts';
import { avinodeEvent, WORKFLOW_ID_PREFIX, type AvinodeEvent } from './contract.ts';

const { findTripOfEvent } = proxyActivities<Pick<CharterActivities, 'findTripOfEvent'>>({ ...eventReadOptions, summary: 'find the trip of a webhook event' });

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

export async function avinodeEventWorkflow(event: AvinodeEvent): Promise<AvinodeEventResult> {
  const base = { eventType: event.eventType, resourceId: event.id };
  let trip;
  try {
    trip = await findTripOfEvent(event);
  } catch (error) {
    return { ...base, outcome: 'unresolved', detail: messageOf(error) };
  }
  if (trip.unresolved) return { ...base, outcome: 'unresolved', detail: trip.unresolved };
  const tripId = trip.tripId ?? event.tripId;
  const workflowId = trip.externalTripId;
  // The externalTripId we send to Avinode is the trip run's workflow id; anything else is not ours.
  if (!workflowId || !workflowId.startsWith(WORKFLOW_ID_PREFIX)) {
    return { ...base, outcome: 'unknown_trip', ...(tripId ? { tripId } : {}), detail: workflowId ? 'trip was not created by charterflow' : 'no charterflow run carries this trip' };
  }
  try {
    await getExternalWorkflowHandle(workflowId).signal(avinodeEvent, { ...event, ...(tripId ? { tripId } : {}) });
  } catch (error) {
    return { ...base, outcome: 'not_running', workflowId, ...(tripId ? { tripId } : {}), detail: messageOf(error) };
  }
  return { ...base, outcome: 'signalled', workflowId, ...(tripId ? { tripId } : {}) };
}
