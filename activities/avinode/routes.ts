// Where each Avinode operation lives: one table, so a path learned from the real API is changed in
// one place. `source` says how we know it (avinode-api.md tags): documented, observed by the buyer
// integration, or inferred where the reference names the operation but its path was not captured.
import type { HttpMethod } from './http.ts';

export interface AvinodeRoute {
  method: HttpMethod;
  route: string;
  source: 'documented' | 'observed' | 'inferred';
}

export const AVINODE_ROUTES = {
  createTrip: { method: 'POST', route: '/trips', source: 'documented' },
  readTrip: { method: 'GET', route: '/trips/{id}', source: 'documented' },
  /** "Search trips": listed, parameters not captured; the lookup by externalTripId is our inference. */
  searchTrips: { method: 'GET', route: '/trips', source: 'inferred' },
  cancelTrip: { method: 'PUT', route: '/trips/{id}/cancel', source: 'documented' },
  /** "Report trip outcome": path param = prefixed trip id, body documented; method and path segment not captured. */
  reportTripOutcome: { method: 'PUT', route: '/trips/{id}/outcome', source: 'inferred' },
  readTripRfqs: { method: 'GET', route: '/rfqs/{tripId}', source: 'observed' },
  readRfq: { method: 'GET', route: '/rfqs/{id}', source: 'documented' },
  /** "Cancel a single RFQ" (PUT): listed in the reference; the body mirrors the trip cancel's (inferred). */
  cancelRfq: { method: 'PUT', route: '/rfqs/{id}/cancel', source: 'documented' },
  readQuote: { method: 'GET', route: '/quotes/{id}', source: 'documented' },
  readTripMessage: { method: 'GET', route: '/tripmsgs/{id}', source: 'documented' },
  /**
   * "Send a message" (POST, path param = the RFQ id): path not captured; `chat` is the reference
   * page's slug and sits beside the documented seller actions `/tripmsgs/{requestId}/submitQuote` and `/decline`.
   */
  sendTripMessage: { method: 'POST', route: '/tripmsgs/{id}/chat', source: 'inferred' },
  listWebhookSettings: { method: 'GET', route: '/webhooks/settings', source: 'documented' },
  createWebhookSetting: { method: 'POST', route: '/webhooks/settings', source: 'documented' },
  updateWebhookSetting: { method: 'PUT', route: '/webhooks/settings/{id}', source: 'documented' },
} as const satisfies Record<string, AvinodeRoute>;

export type AvinodeOperation = keyof typeof AVINODE_ROUTES;

/** `{ method, route }` of an operation, to spread into a call. */
export function avinodeRoute(operation: AvinodeOperation): { method: HttpMethod; route: string } {
  const { method, route } = AVINODE_ROUTES[operation];
  return { method, route };
}
