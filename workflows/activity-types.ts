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
  TripOutcome,
} from './contract.ts';

export type { TripCriteria } from './contract.ts';
import type { TripCriteria } from './contract.ts';

export interface CreateTripInput {
  request: TripCriteria;
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
  /**
   * Declined lifts whose reason the run does not know yet: the read fetches the unread messages of
   * their RFQs (the decline message carries `declineReason`). Absent: no message reads.
   */
  declinesWithoutReason?: { rfqId: string; liftId: string }[];
  /** Messages the run has already read (never fetched again). */
  readMessageIds?: string[];
  /** The run's outputCurrencies, for quote reads. */
  outputCurrencies?: string[];
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
  createTrip(input: CreateTripInput): Promise<TripCreated>;
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
