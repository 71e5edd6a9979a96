// The activities charterTripWorkflow and avinodeEventWorkflow call: types only, so workflow code
// never imports activity values. activities/index.ts implements this interface.
import type {
  AvinodeEvent,
  CallbackEvent,
  CancelReason,
  QuoteSnapshot,
  RfqSnapshot,
  TripCreated,
  TripMessageSnapshot,
  TripRequest,
} from './contract.ts';

export interface CreateTripInput {
  request: Pick<TripRequest, 'legs' | 'aircraftCategory'>;
  /** Sent to Avinode as `externalTripId`; find-or-create on retried attempts. */
  workflowId: string;
}

/** What the workflow already knows about a quote; keeps the poll's input small. */
export interface KnownQuote {
  quoteId: string;
  price: number;
  currency: string;
}

export interface ReadTripStateInput {
  atripId: string;
  tripId: string;
  knownQuotes: KnownQuote[];
}

export interface TripState {
  rfqs: RfqSnapshot[];
  /** Only quotes that are new or whose price/currency changed since `knownQuotes`. */
  quotes: QuoteSnapshot[];
}

export interface AvinodeEventResolution {
  /** Short trip id and `atrip-…` ref, when the resource names them. */
  tripId?: string;
  atripId?: string;
  rfq?: RfqSnapshot;
  quotes: QuoteSnapshot[];
  message?: TripMessageSnapshot;
  /** Why nothing could be read (resource gone, href refused): recorded, never retried forever. */
  unresolved?: string;
}

export interface EventTrip {
  /** The trip's `externalTripId`, which is the trip workflow's id. */
  externalTripId?: string;
  tripId?: string;
  atripId?: string;
  /** Why the trip could not be identified. */
  unresolved?: string;
}

export interface CancelAvinodeTripInput {
  atripId: string;
  reason: CancelReason;
  messageToSeller?: string;
}

export type CredentialCheck = { ok: true } | { ok: false; explanation: string };

export interface CheckCredentialsInput {
  /** The run's trip, when it has one: reading it is the cheapest authenticated call Avinode documents. */
  atripId?: string;
}

export interface DeliverCallbackInput {
  url: string;
  event: CallbackEvent;
}

export interface CharterActivities {
  createTrip(input: CreateTripInput): Promise<TripCreated>;
  /** Throws TripVanished when the trip (which existed) now answers NOT_FOUND. */
  readTripState(input: ReadTripStateInput): Promise<TripState>;
  resolveAvinodeEvent(event: AvinodeEvent): Promise<AvinodeEventResolution>;
  findTripOfEvent(event: AvinodeEvent): Promise<EventTrip>;
  cancelAvinodeTrip(input: CancelAvinodeTripInput): Promise<{ status: number | 'vanished' }>;
  checkCredentials(input?: CheckCredentialsInput): Promise<CredentialCheck>;
  deliverCallback(input: DeliverCallbackInput): Promise<{ status: number }>;
}
