// Links into the Temporal Web UI. Its workflow list takes the visibility query from the URL; the
// columns it shows are chosen in the UI ("Configure Columns") and kept by the browser per namespace.
import { SearchAttributes } from '../workflows/contract.ts';

/** Trips only: the routing run of each webhook event stays out of the list. */
export const TRIP_LIST_QUERY = "WorkflowType = 'charterTripWorkflow'";

/** The search attributes worth a column next to Status and Workflow ID. */
export const TRIP_LIST_COLUMNS: readonly string[] = [
  SearchAttributes.TripPhase.name,
  SearchAttributes.Route.name,
  SearchAttributes.DepartureDate.name,
  SearchAttributes.QuoteCount.name,
  SearchAttributes.AvinodeTripId.name,
];

/** The UI's workflow list filtered to trips, e.g. http://127.0.0.1:8233/namespaces/default/workflows?query=… */
export function tripListUrl(uiBaseUrl: string, namespace: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(TRIP_LIST_QUERY)}`;
}
