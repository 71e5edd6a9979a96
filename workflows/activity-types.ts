// The activities charterTripWorkflow and avinodeEventWorkflow call: types only, so workflow code
// never imports activity values. activities/index.ts implements this interface.
import type {
  AvinodeEvent,
  CallbackEvent,
  CancelReason,
  DuplicateTrip,
  QuoteSnapshot,
  RfqSnapshot,
  TripCreated,
  TripMessageSnapshot,
  TripOutcome,
} from './contract.ts';

export type { TripCriteria } from './contract.ts';
import type { TripCriteria } from './contract.ts';

export interface CreateTripInput {
  request: TripCriteria;
  /** Sent to Avinode as `externalTripId`; find-or-create on retried attempts. */
  workflowId: string;
}

export interface CreateTripResult extends TripCreated {
  /** Further live trips with our externalTripId that the lookup found: the run cancels them. */
  duplicates?: DuplicateTrip[];
  /**
   * A retried attempt's lookup could not answer, so the trip was posted again: an earlier attempt
   * may have stored one too. The run keeps looking (later lookups, webhooks naming another trip).
   */
  unconfirmed?: true;
}

export interface FindDuplicateTripsInput {
  /** The run's workflow id, which is the externalTripId it sends to Avinode. */
  workflowId: string;
  /** The run's own trip: never a duplicate. */
  keepAtripId: string;
  /** A trip an event named (read directly; a duplicate if live and carrying our externalTripId). */
  candidate?: DuplicateTrip;
  /** Also ask the trip lookup (default true). */
  lookup?: boolean;
}

export interface FindDuplicateTripsResult {
  duplicates: DuplicateTrip[];
  /** How the lookup went, when it was asked. */
  lookup?: 'answered' | 'unavailable';
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
  /**
   * Declined lifts whose reason the run does not know yet: the read fetches the unread messages of
   * their RFQs (the decline message carries `declineReason`). Absent: no message reads.
   */
  declinesWithoutReason?: { rfqId: string; liftId: string }[];
  /** Messages the run has already read (never fetched again). */
  readMessageIds?: string[];
  /** The run's outputCurrencies, for quote reads. */
  outputCurrencies?: string[];
  /** Messages webhooks named without bringing them (patch webhook-wakeups): read once, returned in `messages`. */
  messageIds?: string[];
}

export interface ResolveEventOptions {
  outputCurrencies?: string[];
}

export interface TripState {
  rfqs: RfqSnapshot[];
  /** Only quotes that are new or whose price/currency changed since `knownQuotes`. */
  quotes: QuoteSnapshot[];
  /** Messages read for `declinesWithoutReason` (absent when none were asked for). */
  messages?: TripMessageSnapshot[];
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
  /** The broker's account (`X-Avinode-ActAsAccount`); absent: the worker's AVINODE_ACT_AS_ACCOUNT. */
  actAsAccount?: string;
}

export interface ReportTripOutcomeInput {
  atripId: string;
  outcome: TripOutcome;
  winningSellerLiftId: string;
  actAsAccount?: string;
}

export interface SendTripMessageInput {
  rfqId: string;
  message: string;
  actAsAccount?: string;
}

export interface CancelRfqInput {
  rfqId: string;
  reason: CancelReason;
  messageToSeller: string;
  actAsAccount?: string;
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
  createTrip(input: CreateTripInput): Promise<CreateTripResult>;
  /** Other live trips carrying the run's externalTripId (the lookup, and/or one trip an event named). */
  findDuplicateTrips(input: FindDuplicateTripsInput): Promise<FindDuplicateTripsResult>;
  /** Throws TripVanished when the trip (which existed) now answers NOT_FOUND. */
  readTripState(input: ReadTripStateInput): Promise<TripState>;
  resolveAvinodeEvent(event: AvinodeEvent, options?: ResolveEventOptions): Promise<AvinodeEventResolution>;
  findTripOfEvent(event: AvinodeEvent): Promise<EventTrip>;
  cancelAvinodeTrip(input: CancelAvinodeTripInput): Promise<{ status: number | 'vanished' }>;
  /** Report trip outcome (CONVERTED with the winning lift). Setting the same outcome again is harmless. */
  reportTripOutcome(input: ReportTripOutcomeInput): Promise<{ status: number }>;
  /** Send a message (chat) to the operator of one RFQ; answers the new message's id when Avinode returns one. */
  sendTripMessage(input: SendTripMessageInput): Promise<{ messageId?: string; createdOn?: string }>;
  /** Cancel a single RFQ; `vanished` when it no longer exists. */
  cancelRfq(input: CancelRfqInput): Promise<{ status: number | 'vanished' }>;
  checkCredentials(input?: CheckCredentialsInput): Promise<CredentialCheck>;
  deliverCallback(input: DeliverCallbackInput): Promise<{ status: number }>;
}
