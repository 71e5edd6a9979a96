// The shared contract of charterflow: imported by workflows, activities, workers, the client
// library and the CLI. Workflow-safe: plain data and types plus @temporalio/* definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'charter-trips';

export const AVINODE_TASK_QUEUE_SUFFIX = '-avinode';

/** The Avinode task queue of a main task queue (runs derive it from their own queue, workers from TEMPORAL_TASK_QUEUE). */
export function avinodeTaskQueueOf(taskQueue: string): string {
  return `${taskQueue}${AVINODE_TASK_QUEUE_SUFFIX}`;
}
export const WORKFLOW_ID_PREFIX = 'trip-';

/** One table of failure types (style.md §3). Activities throw these; workflows branch on them. */
export const FailureType = {
  RateLimited: 'AvinodeRateLimited',
  Unavailable: 'AvinodeUnavailable',
  AuthRejected: 'AvinodeAuthRejected',
  Forbidden: 'AvinodeForbidden',
  RequestInvalid: 'AvinodeRequestInvalid',
  NotFound: 'AvinodeNotFound',
  ContractViolation: 'AvinodeContractViolation',
  TokenEndpointRejected: 'TokenEndpointRejected',
  /** A trip that existed now answers NOT_FOUND: the weekly sandbox rebuild. The workflow decides. */
  TripVanished: 'TripVanished',
  /** An href pointing outside the configured Avinode origin: refused, never followed. */
  ForeignHref: 'ForeignHref',
  CallbackRejected: 'CallbackRejected',
  /** The callback endpoint answered non-2xx or could not be reached: retried durably. */
  CallbackUndelivered: 'CallbackUndelivered',
  ConfigurationInvalid: 'ConfigurationInvalid',
  TripFailed: 'TripFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Types that retrying cannot fix; repeated in every retry policy's nonRetryableErrorTypes. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly FailureType[] = [
  FailureType.AuthRejected,
  FailureType.Forbidden,
  FailureType.RequestInvalid,
  FailureType.NotFound,
  FailureType.ContractViolation,
  FailureType.TokenEndpointRejected,
  FailureType.TripVanished,
  FailureType.ForeignHref,
  FailureType.CallbackRejected,
  FailureType.ConfigurationInvalid,
  FailureType.TripFailed,
];

/** Failures a person must fix (credentials, permissions): a run waits in `blocked` for these, it does not fail. */
export const CREDENTIAL_FAILURE_TYPES: readonly FailureType[] = [
  FailureType.AuthRejected,
  FailureType.TokenEndpointRejected,
  FailureType.Forbidden,
];

export const TRIP_PHASES = [
  'creating_trip',
  'awaiting_rfqs',
  'collecting_quotes',
  /** Every lift answered and at least one live quote: the broker decides (select, cancel, message). */
  'awaiting_selection',
  'blocked',
  'completed',
  'cancelled',
  'expired',
  'failed',
] as const;
export type TripPhase = (typeof TRIP_PHASES)[number];
export { TERMINAL_PHASES } from './trip-phases.ts';

/** Aircraft categories as named in Avinode's terminology page. */
export const AIRCRAFT_CATEGORIES = [
  'Piston',
  'Turbo prop',
  'Entry level jet (VLJ)',
  'Light jet',
  'Super light jet',
  'Midsize jet',
  'Super midsize jet',
  'Heavy jet',
  'Ultra long range',
  'VIP airliner',
  'Airliner',
  'Helicopter single engine',
  'Helicopter twin engine',
] as const;
export type AircraftCategory = (typeof AIRCRAFT_CATEGORIES)[number];

export const CANCEL_REASONS = ['BY_CLIENT', 'CHANGED', 'BOOKED', 'OTHER'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const DECLINE_REASONS = [
  'AIRCRAFT_NOT_AVAILABLE',
  'CABOTAGE',
  'CREW_NOT_AVAILABLE',
  'OWNER_DECLINED',
  'UNATTRACTIVE_TRIP',
  'UNKNOWN',
  'OTHER',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export const WEBHOOK_EVENT_TYPES = ['TripRequestMine', 'TripRequestSellerResponse', 'TripChatFromSeller'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type ResetPolicy = 'recreate' | 'fail';
/** What the run does on Avinode when the quote deadline or the departure passes with no selection. */
export type ExpiryPolicy = 'cancel' | 'keep';
export const EXPIRY_POLICIES: readonly ExpiryPolicy[] = ['cancel', 'keep'];

/** Trip outcomes of Avinode's "Report trip outcome" that charterflow reports (the enum's documented member). */
export type TripOutcome = 'CONVERTED';
/** Longest chat text charterflow sends (Avinode documents no limit; the emulator's admin API uses the same bound). */
export const MAX_MESSAGE_LENGTH = 4_000;

/** One leg of the itinerary. Times are local to the departure airport ("HH:MM"); absent = TBD. */
export interface TripLeg {
  from: string; // ICAO, 4 letters
  to: string;
  date: string; // YYYY-MM-DD
  time?: string; // HH:MM
  /** The time is the arrival time (Avinode `dateTime.departure: false`); default: departure. */
  arrival?: boolean;
  /** The time is UTC (`dateTime.local: false`); default: local to the airport. */
  utc?: boolean;
  /** Passengers; absent only with `paxTBD`. */
  pax?: number;
  /** The passenger count is not known yet (Avinode `paxTBD`). */
  paxTBD?: boolean;
}

/** One `criteria.requiredLift` entry: a category, an aircraft type or a specific tail. */
export interface RequiredLift {
  aircraftCategory?: AircraftCategory;
  aircraftType?: string;
  aircraftTail?: string;
}

/** Intervals and deadlines are inputs so tests run in seconds. All durations in milliseconds. */
export interface TripTiming {
  /** First reconciliation poll interval after RFQs go out; doubles up to pollMaxMs. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** Interval at which a blocked run re-checks its credentials. */
  credentialRecheckMs: number;
  /**
   * Continue-as-new once history reaches this many events (0 = only when the server suggests).
   * Absent: DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS (1,500; the client's TRIP_CONTINUE_AS_NEW_AFTER_EVENTS),
   * so a trip waiting days for its broker keeps a short history. DEFAULT_TIMING's 0 is only what runs
   * recorded before the decision stage used.
   */
  continueAsNewAfterEvents: number;
  /** How long a run about to continue as new waits for pending callbacks before carrying them over (default 30 s). */
  callbackDrainMs?: number;
  /**
   * Heartbeat timeout of the run's activities (default 20 s): they heartbeat while an Avinode call
   * is in flight, so a worker that dies mid-call is noticed after this long, not after the 60 s
   * startToCloseTimeout, and the retried attempt (find-or-create) runs on another worker.
   */
  activityHeartbeatMs?: number;
  /** How long a selection's outcome report is retried before the run records it as failed (default 1 h). */
  outcomeReportTimeoutMs?: number;
  /**
   * Webhooks are wake-ups (patch webhook-wakeups): the first event of a burst schedules one read of
   * the trip this long after it; events until then ride on the same read (default 500 ms; 2 s for
   * runs started before patch bundled-2026-12).
   */
  webhookDebounceMs?: number;
}

/**
 * Events in one run before it continues as new, when the request says nothing: the client writes
 * TRIP_CONTINUE_AS_NEW_AFTER_EVENTS (default this) into every request it starts; runs started
 * otherwise use this. Below the server's 4,096-event suggestion, so idle trips replay short histories.
 */
export const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 1_500;

export const DEFAULT_TIMING: TripTiming = {
  pollInitialMs: 30_000,
  pollMaxMs: 15 * 60_000,
  credentialRecheckMs: 5 * 60_000,
  continueAsNewAfterEvents: 0,
};

/** What the backend asks for. Validated by client/trip-request.ts before anything starts. */
export interface TripRequest {
  externalId: string;
  legs: TripLeg[];
  /** Shorthand for one `requiredLift` entry of this category. */
  aircraftCategory?: AircraftCategory;
  /** Several acceptable lifts (categories, types or tails); exclusive with aircraftCategory. */
  requiredLift?: RequiredLift[];
  maxFuelStopsPerSegment?: number;
  minimumYearOfMake?: number;
  /** Let operators offer a larger category than requested. */
  includeLiftUpgrades?: boolean;
  /** Currencies quote prices are also converted into (`outputCurrencies[]`), so quotes compare (e.g. `['USD']`). */
  outputCurrencies?: string[];
  /** ISO-8601 instant after which quote collection ends (phase `expired` if nothing selected). */
  quoteDeadline?: string;
  onReset: ResetPolicy;
  /** Where signed JSON events are POSTed (deep link ready, quote received, phase changed). */
  callbackUrl?: string;
  timing?: Partial<TripTiming>;
  /** Shown to operators on cancel when the caller gives no message. */
  notes?: string;
  /**
   * End `completed` as soon as every lift is answered (the behaviour before the decision stage).
   * Default false: the run waits in `awaiting_selection` for selectQuote, cancelTrip or the deadline.
   */
  endWhenAllAnswered?: boolean;
  /** Deadline or departure passed with no selection: cancel the Avinode trip (default) or keep it open. */
  onExpiry?: ExpiryPolicy;
  /** Avinode account the broker acts as (`X-Avinode-ActAsAccount`); default AVINODE_ACT_AS_ACCOUNT of the worker. */
  actAsAccount?: string;
}

export interface DeepLinks {
  searchInAvinode?: string;
  viewInAvinode?: string;
  cancel?: string;
}

/** What createTrip returns and the start call hands back (update-with-start). */
export interface TripCreated {
  atripId: string; // atrip-…
  tripId: string; // short id, e.g. Q4K7ZP
  href: string;
  deepLinks: DeepLinks;
  /** True when an earlier attempt's trip was found instead of posting again. */
  reused: boolean;
}

/** Another live Avinode trip carrying this run's externalTripId (a create retried after an ambiguous timeout). */
export interface DuplicateTrip {
  atripId: string; // atrip-…
  tripId?: string;
}

/** A duplicate the run found and cancelled (reason OTHER); the run keeps its own trip. */
export interface DuplicateTripRecord extends DuplicateTrip {
  /** `create_lookup`: the lookup of a retried create found several; `lookup`: a later lookup; `webhook`: an event named it. */
  discoveredBy: 'create_lookup' | 'lookup' | 'webhook';
  discoveredAt: string;
  /** `vanished`: already gone when cancelled; `failed`: the cancel failed (a later sighting tries again). */
  status: 'cancelled' | 'vanished' | 'failed';
  error?: string;
}

export interface TripStarted extends TripCreated {
  workflowId: string;
}

export type LiftStatus = 'unanswered' | 'quoted' | 'declined' | 'cancelled';

export interface LiftSnapshot {
  liftId: string; // asellerlift-…
  status: LiftStatus;
  aircraftCategory?: string;
  aircraftType?: string;
  aircraftTail?: string;
  maxPax?: number;
  quoteIds: string[];
  price?: number;
  currency?: string;
}

export interface RfqSnapshot {
  rfqId: string; // arfq-…
  operator: string;
  /** The requested lifts (0..n); their statuses are Avinode's (a cancelled RFQ keeps them). */
  lifts: LiftSnapshot[];
  /** Quotes on the RFQ itself (`rfq.links.quotes`: an operator offering another aircraft). */
  quoteIds?: string[];
  messageIds: string[];
  /** The RFQ was cancelled (`canceled: true`), by the broker in Avinode or by this run; it counts as answered. */
  cancelled?: { by: string; reason?: string; message?: string };
  createdOn?: string;
}

export interface QuoteSnapshot {
  quoteId: string; // aquote-…
  rfqId?: string;
  liftId?: string;
  operator: string;
  aircraftCategory?: string;
  aircraftType?: string;
  aircraftTail?: string;
  seats?: number;
  price: number;
  currency: string;
  /** The price converted into the run's `outputCurrencies`, when asked for. */
  convertedPrices?: { price: number; currency: string }[];
  /** `sellerPriceWithoutCommission`, when Avinode shows it. */
  priceWithoutCommission?: { price: number; currency: string };
  /** The price breakdown the operator made visible (`quotebreakdown`). */
  lineItems?: QuoteLineItem[];
  yearOfMake?: number;
  /** How to reach the operator (`sellercontactinfo`). */
  sellerContact?: { name?: string; emails?: string[]; phone?: string };
  /** What the operator wrote with the quote (`sellerMessage`). */
  sellerMessage?: string;
  createdOn?: string;
  updatedOn?: string;
}

export interface QuoteLineItem {
  /** e.g. FLIGHT, CREW, POSITIONING, CATERING, OTHER (the operator's submitQuote line item type). */
  type: string;
  displayName?: string;
  price: number;
  visibleToBuyer: boolean;
}

export interface TripMessageSnapshot {
  messageId: string; // asellermsg-… | abuyermsg-…
  /** `received` from an operator, `sent` by the broker through this run. Absent in runs recorded before. */
  direction?: 'received' | 'sent';
  operator?: string;
  text: string;
  quoteId?: string;
  rfqId?: string;
  liftId?: string;
  /** Set on an operator's decline (`declineReason` of Avinode's decline request). */
  declineReason?: string;
  createdOn?: string;
}

export interface QuoteRecord extends QuoteSnapshot {
  firstSeenAt: string;
  /** Earlier prices, oldest first, when the operator re-priced. */
  priceHistory: { price: number; currency: string; seenAt: string }[];
  /** Set when the trip this quote belongs to vanished (sandbox reset): kept for the record, not selectable. */
  vanishedAt?: string;
}

export interface DeclineRecord {
  rfqId: string;
  liftId: string;
  operator: string;
  seenAt: string;
  /** e.g. CREW_NOT_AVAILABLE; known once the operator's decline message has been read. */
  declineReason?: string;
  /** The operator's message with the decline. */
  message?: string;
}

/** What became of reporting the selection to Avinode (Report trip outcome). */
export interface OutcomeReport {
  outcome: TripOutcome;
  quoteId: string;
  winningSellerLiftId: string;
  status: 'reported' | 'failed';
  at: string;
  /** Why the report failed for good (the selection stands; the broker reports it in Avinode by hand). */
  error?: string;
}

/** An RFQ cancelled on the broker's behalf after a selection (`closeOtherRequests`). */
export interface ClosedRequest {
  rfqId: string;
  operator: string;
  status: 'cancelled' | 'failed';
  error?: string;
}

export interface PhaseChange {
  phase: TripPhase;
  at: string;
  reason?: string;
}

export interface TripProgress {
  workflowId: string;
  externalId: string;
  phase: TripPhase;
  route: string;
  atripId?: string;
  tripId?: string;
  deepLinks?: DeepLinks;
  rfqs: RfqSnapshot[];
  quotes: QuoteRecord[];
  declines: DeclineRecord[];
  messages: TripMessageSnapshot[];
  counts: {
    rfqs: number;
    lifts: number;
    answered: number;
    quotes: number;
    declines: number;
    polls: number;
    webhooks: number;
  };
  lastPollAt?: string;
  nextPollAt?: string;
  quoteDeadline?: string;
  blockedReason?: string;
  resets: number;
  selectedQuoteId?: string;
  outcomeReport?: OutcomeReport;
  closedRequests?: ClosedRequest[];
  /** Other Avinode trips found carrying this run's externalTripId, cancelled so one live trip remains. */
  duplicateTrips?: DuplicateTripRecord[];
  /** Why the run waits although every lift is answered (e.g. every operator declined). */
  note?: string;
  endReason?: string;
  phaseHistory: PhaseChange[];
  continuedAsNew: number;
}

export interface AvinodeEvent {
  eventType: WebhookEventType;
  id: string;
  href: string;
  tripId?: string;
  /** The trip's `atrip-` ref, when the receiver read it (runs with patch webhook-wakeups compare it with their own). */
  atripId?: string;
  /**
   * The trip message the receiver already read to find the trip (chat text, a decline's reason and
   * text): the run takes it from here instead of reading it again.
   */
  message?: TripMessageSnapshot;
}

/** Workflow ids of the durable records of webhook events no charterflow run carries. */
export const UNKNOWN_EVENT_WORKFLOW_PREFIX = 'avinode-unknown-';

/** What the receiver records of an event about a trip no charterflow run carries (once per event type and id). */
export interface UnknownAvinodeEvent {
  eventType: WebhookEventType;
  id: string;
  href: string;
  /** Why no run takes it: e.g. the trip was not created by charterflow, or the resource cannot be read. */
  reason: string;
  tripId?: string;
  atripId?: string;
  receivedAt: string;
}

export function unknownEventWorkflowIdOf(event: Pick<UnknownAvinodeEvent, 'eventType' | 'id'>): string {
  return `${UNKNOWN_EVENT_WORKFLOW_PREFIX}${event.eventType}-${event.id}`;
}

export interface CancelTripInput {
  reason: CancelReason;
  messageToSeller?: string;
}
export interface SelectQuoteInput {
  quoteId: string;
  /** Also cancel every other open RFQ of the trip, with a message to each operator. */
  closeOtherRequests?: boolean;
}
export interface SendMessageInput {
  rfqId: string;
  message: string;
}
export interface ExtendDeadlineInput {
  until: string; // ISO-8601 instant
}

/** Signed JSON events POSTed to `TripRequest.callbackUrl` (see activities/callbacks.ts for the signature). */
export type CallbackEventType =
  'deep_link_ready' | 'quote_received' | 'phase_changed' | 'quote_selected' | 'message_received' | 'quote_declined';
export interface CallbackEvent {
  type: CallbackEventType;
  /** Stable per event, so receivers can dedupe redeliveries. */
  eventId: string;
  workflowId: string;
  externalId: string;
  at: string;
  phase: TripPhase;
  tripId?: string;
  atripId?: string;
  deepLinks?: DeepLinks;
  quote?: QuoteSnapshot;
  /** `quote_selected`: what became of the outcome report. */
  outcomeReport?: OutcomeReport;
  /** `message_received`: the operator's chat. */
  message?: TripMessageSnapshot;
  /** `quote_declined`: the decline with its reason. */
  decline?: DeclineRecord;
  reason?: string;
  resets?: number;
}

export const getProgress = defineQuery<TripProgress>('getProgress');
export const getTrip = defineUpdate<TripStarted>('getTrip');
export const cancelTrip = defineUpdate<TripProgress, [CancelTripInput]>('cancelTrip');
export const selectQuote = defineUpdate<TripProgress, [SelectQuoteInput]>('selectQuote');
export const sendMessage = defineUpdate<TripProgress, [SendMessageInput]>('sendMessage');
export const extendDeadline = defineUpdate<TripProgress, [ExtendDeadlineInput]>('extendDeadline');
export const avinodeEvent = defineSignal<[AvinodeEvent]>('avinodeEvent');
export const credentialsUpdated = defineSignal('credentialsUpdated');

export const SearchAttributes = {
  TripPhase: defineSearchAttributeKey('TripPhase', SearchAttributeType.KEYWORD),
  AvinodeTripId: defineSearchAttributeKey('AvinodeTripId', SearchAttributeType.KEYWORD),
  AvinodeTripRef: defineSearchAttributeKey('AvinodeTripRef', SearchAttributeType.KEYWORD),
  Route: defineSearchAttributeKey('Route', SearchAttributeType.KEYWORD),
  DepartureDate: defineSearchAttributeKey('DepartureDate', SearchAttributeType.DATETIME),
  QuoteCount: defineSearchAttributeKey('QuoteCount', SearchAttributeType.INT),
} as const;

/** `--search-attribute` arguments for the dev server, derived from the keys above. */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = Object.values(SearchAttributes).map((key) => {
  const type =
    key.type === SearchAttributeType.DATETIME ? 'Datetime' : key.type === SearchAttributeType.INT ? 'Int' : 'Keyword';
  return `${key.name}=${type}`;
});

/** What POST /trips needs of a request: the itinerary and the lift criteria. */
export type TripCriteria = Pick<
  TripRequest,
  'legs' | 'aircraftCategory' | 'requiredLift' | 'maxFuelStopsPerSegment' | 'minimumYearOfMake' | 'includeLiftUpgrades'
>;

/** The request's criteria; absent fields stay absent (so the createTrip input of older runs looks the same). */
export function tripCriteriaOf(request: TripCriteria): TripCriteria {
  const { legs, aircraftCategory, requiredLift, maxFuelStopsPerSegment, minimumYearOfMake, includeLiftUpgrades } =
    request;
  return {
    legs,
    ...(aircraftCategory ? { aircraftCategory } : {}),
    ...(requiredLift?.length ? { requiredLift } : {}),
    ...(maxFuelStopsPerSegment !== undefined ? { maxFuelStopsPerSegment } : {}),
    ...(minimumYearOfMake !== undefined ? { minimumYearOfMake } : {}),
    ...(includeLiftUpgrades !== undefined ? { includeLiftUpgrades } : {}),
  };
}

export function workflowIdFor(externalId: string): string {
  return `${WORKFLOW_ID_PREFIX}${externalId}`;
}

export { routeOf } from './presentation.ts';
