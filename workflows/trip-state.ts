// The trip's state and its pure rules: merging what Avinode reports (RFQs, quotes, declines,
// messages) so that answers never go back and late reads never undo newer ones, where the answers
// take an open run, the progress projection, carry and restore across continue-as-new, and the
// callback outbox's numbering. No commands and no @temporalio/workflow at runtime (types and pure
// helpers only; instants come in as arguments), so unit tests load it directly. The run
// (charter-trip.ts) extends it with the lifecycle, which alone issues commands.
import type {
  AvinodeEvent,
  CallbackEvent,
  ClosedRequest,
  DeclineRecord,
  DuplicateTripRecord,
  LiftSnapshot,
  OutcomeReport,
  PhaseChange,
  QuoteRecord,
  QuoteSnapshot,
  RfqSnapshot,
  TripCreated,
  TripMessageSnapshot,
  TripPhase,
  TripProgress,
  TripRequest,
} from './contract.ts';
import { routeOf } from './presentation.ts';
import { TERMINAL_PHASES } from './trip-phases.ts';

const MAX_MESSAGES = 100;
/** The first change (the start) is kept, then the latest ones. */
const MAX_PHASE_CHANGES = 100;
/** An event's href naming one trip message (`…/tripmsgs/<id>`). */
const TRIP_MESSAGE_HREF = /\/tripmsgs\/[^/]+$/;
const ANSWERED: ReadonlySet<LiftSnapshot['status']> = new Set(['quoted', 'declined', 'cancelled']);
const EVERY_OPERATOR_DECLINED =
  'every operator declined; RFQs sent to other operators are still collected until the deadline';

type Counts = TripProgress['counts'];

/** A callback event as the lifecycle announces it; callbackEvent adds the envelope. */
export type CallbackNotice = Pick<CallbackEvent, 'type'> &
  Partial<Pick<CallbackEvent, 'quote' | 'reason' | 'outcomeReport' | 'message' | 'decline'>>;

/** Where the answers take an open run: its end, or the other of collecting_quotes and awaiting_selection. */
export type AnswersStep =
  | { end: 'completed' | 'cancelled'; reason: string }
  | { phase: 'awaiting_selection' | 'collecting_quotes'; reason: string };

/** What merging an RFQ changed, for the lifecycle to act on and announce. */
export interface RfqMerge {
  /** The run's first RFQ while awaiting RFQs: quote collection starts. */
  rfqsWentOut: boolean;
  /** Declines whose reason became known (decision stage): one `quote_declined` callback each. */
  explained: DeclineRecord[];
}

/** What merging a message changed, for the lifecycle to announce. */
export interface MessageMerge {
  /** A new operator chat (not a quote's or a decline's message): one `message_received` callback. */
  chat?: TripMessageSnapshot;
  /** Declines whose reason this message gave: one `quote_declined` callback each. */
  explained: DeclineRecord[];
}

/** Everything a continued run needs; ids, quotes and counters only, never secrets. */
export interface CarriedTripState {
  phase: TripPhase;
  trip?: TripCreated;
  rfqs: RfqSnapshot[];
  quotes: QuoteRecord[];
  declines: DeclineRecord[];
  messages: TripMessageSnapshot[];
  counts: Pick<Counts, 'polls' | 'webhooks'>;
  resets: number;
  phaseHistory: PhaseChange[];
  quoteDeadline?: string;
  lastPollAt?: string;
  pollIntervalMs: number;
  nextPollAt: string;
  pendingEvents: AvinodeEvent[];
  callbackSeq: number;
  /** Callback events not yet delivered when the run continued as new; the next run sends them (same eventIds). */
  undeliveredCallbacks?: CallbackEvent[];
  /** Trip messages already read (so a poll never fetches them again). */
  readMessageIds?: string[];
  duplicateTrips?: DuplicateTripRecord[];
  duplicateLookupsLeft?: number;
  continuedAsNew: number;
}

export interface TripRunStateInit {
  workflowId: string;
  request: TripRequest;
  /** The first poll interval (`timing.pollInitialMs`): the first poll is due that long after `nowMs`. */
  pollIntervalMs: number;
  nowMs: number;
  /** What the previous run carried (continue-as-new); it replaces the fresh state. */
  carried?: CarriedTripState;
}

/**
 * One run's state. The lifecycle writes phase, trip, counters and decisions; the rules below merge
 * what Avinode reports and answer the questions the lifecycle asks (every lift answered? which quotes
 * can still be selected?).
 */
export class TripRunState {
  readonly workflowId: string;
  readonly request: TripRequest;

  phase: TripPhase = 'creating_trip';
  phaseHistory: PhaseChange[] = [];
  trip: TripCreated | undefined;
  readonly rfqs = new Map<string, RfqSnapshot>();
  readonly quotes = new Map<string, QuoteRecord>();
  declines: DeclineRecord[] = [];
  messages: TripMessageSnapshot[] = [];
  polls = 0;
  webhooks = 0;
  resets = 0;
  quoteDeadlineMs: number | undefined;
  lastPollAt: string | undefined;
  pollIntervalMs: number;
  nextPollAtMs: number;
  pendingEvents: AvinodeEvent[] = [];
  callbackSeq = 0;
  continuedAsNew = 0;

  blockedReason: string | undefined;
  selectedQuoteId: string | undefined;
  outcomeReport: OutcomeReport | undefined;
  closedRequests: ClosedRequest[] | undefined;
  /** Messages already read, so polls fetch a decline's message once. */
  readonly readMessageIds = new Set<string>();
  /** The run was started with the decision stage (patch DECISION_STAGE); false only when replaying older runs. */
  decisionStage = false;
  /** Same-price reads keep their newer `updatedOn` (bundled patch); false only when replaying older runs. */
  keepsNewestQuoteRead = false;
  duplicateTrips: DuplicateTripRecord[] = [];
  /** Lookups still to try because a retried create could not rule out an earlier attempt's trip. */
  duplicateLookupsLeft = 0;
  endReason: string | undefined;
  /** Callback events not yet acknowledged, oldest first. */
  callbackQueue: CallbackEvent[] = [];
  /** Callback events the previous run could not deliver: this run sends them first. */
  carriedCallbacks: CallbackEvent[] = [];

  constructor({ workflowId, request, pollIntervalMs, nowMs, carried }: TripRunStateInit) {
    this.workflowId = workflowId;
    this.request = request;
    this.pollIntervalMs = pollIntervalMs;
    this.nextPollAtMs = nowMs + this.pollIntervalMs;
    if (request.quoteDeadline) {
      const at = Date.parse(request.quoteDeadline);
      if (!Number.isNaN(at)) this.quoteDeadlineMs = at;
    }
    if (carried) this.restore(carried);
  }

  private restore(carried: CarriedTripState): void {
    this.phase = carried.phase;
    this.phaseHistory = [...carried.phaseHistory];
    this.trip = carried.trip;
    for (const rfq of carried.rfqs) this.rfqs.set(rfq.rfqId, rfq);
    for (const quote of carried.quotes) this.quotes.set(quote.quoteId, quote);
    this.declines = [...carried.declines];
    this.messages = [...carried.messages];
    this.polls = carried.counts.polls;
    this.webhooks = carried.counts.webhooks;
    this.resets = carried.resets;
    this.quoteDeadlineMs = carried.quoteDeadline ? Date.parse(carried.quoteDeadline) : undefined;
    this.lastPollAt = carried.lastPollAt;
    this.pollIntervalMs = carried.pollIntervalMs;
    this.nextPollAtMs = Date.parse(carried.nextPollAt);
    this.pendingEvents = [...carried.pendingEvents];
    this.callbackSeq = carried.callbackSeq;
    this.carriedCallbacks = [...(carried.undeliveredCallbacks ?? [])];
    for (const id of carried.readMessageIds ?? []) this.readMessageIds.add(id);
    this.duplicateTrips = [...(carried.duplicateTrips ?? [])];
    this.duplicateLookupsLeft = carried.duplicateLookupsLeft ?? 0;
    this.continuedAsNew = carried.continuedAsNew;
  }

  /** The next run's `carried` input: what restore reads back, with undelivered callbacks and one more continuation. */
  carry(): CarriedTripState {
    return {
      phase: this.phase,
      ...(this.trip ? { trip: this.trip } : {}),
      rfqs: [...this.rfqs.values()],
      quotes: [...this.quotes.values()],
      declines: this.declines,
      messages: this.messages,
      counts: { polls: this.polls, webhooks: this.webhooks },
      resets: this.resets,
      phaseHistory: this.phaseHistory,
      ...(this.quoteDeadlineMs !== undefined ? { quoteDeadline: new Date(this.quoteDeadlineMs).toISOString() } : {}),
      ...(this.lastPollAt ? { lastPollAt: this.lastPollAt } : {}),
      pollIntervalMs: this.pollIntervalMs,
      nextPollAt: new Date(this.nextPollAtMs).toISOString(),
      pendingEvents: this.pendingEvents,
      callbackSeq: this.callbackSeq,
      ...(this.callbackQueue.length > 0 ? { undeliveredCallbacks: this.callbackQueue } : {}),
      ...(this.readMessageIds.size > 0 ? { readMessageIds: [...this.readMessageIds] } : {}),
      ...(this.duplicateTrips.length > 0 ? { duplicateTrips: this.duplicateTrips } : {}),
      ...(this.duplicateLookupsLeft > 0 ? { duplicateLookupsLeft: this.duplicateLookupsLeft } : {}),
      continuedAsNew: this.continuedAsNew + 1,
    };
  }

  // ── phases ──────────────────────────────────────────────────────────────────

  /** Moves to `phase`; true when that is a change (or the run's first phase), which the history records. */
  enterPhase(phase: TripPhase, at: string, reason?: string): boolean {
    const changed = phase !== this.phase || this.phaseHistory.length === 0;
    this.phase = phase;
    if (changed) {
      this.phaseHistory.push({ phase, at, ...(reason ? { reason } : {}) });
      // Flapping credentials over a days-long run must not grow the carried state without bound.
      if (this.phaseHistory.length > MAX_PHASE_CHANGES)
        this.phaseHistory.splice(1, this.phaseHistory.length - MAX_PHASE_CHANGES);
    }
    return changed;
  }

  // ── merging what Avinode reports (polls and webhooks, in any order) ──────────

  /** Merges an RFQ as read; `now` is the instant declines are first seen. */
  recordRfq(incoming: RfqSnapshot, now: string): RfqMerge {
    const previous = this.rfqs.get(incoming.rfqId);
    const firstRfq = this.rfqs.size === 0;
    const lifts = incoming.lifts.map((lift) => {
      const old = previous?.lifts.find((candidate) => candidate.liftId === lift.liftId);
      const quoteIds = [...new Set([...(old?.quoteIds ?? []), ...lift.quoteIds])];
      // Answers never go back to unanswered: an older read arriving late must not undo them.
      if (old && ANSWERED.has(old.status) && !ANSWERED.has(lift.status)) return { ...old, quoteIds };
      return { ...lift, quoteIds };
    });
    for (const old of previous?.lifts ?? []) if (!lifts.some((lift) => lift.liftId === old.liftId)) lifts.push(old);
    const messageIds = [...new Set([...(previous?.messageIds ?? []), ...incoming.messageIds])];
    const rfqQuoteIds = [...new Set([...(previous?.quoteIds ?? []), ...(incoming.quoteIds ?? [])])];
    // A cancellation is final: a read from before it, arriving late, does not revive the RFQ.
    const cancelled = incoming.cancelled ?? previous?.cancelled;
    const { quoteIds: _incomingQuoteIds, cancelled: _incomingCancelled, ...rest } = incoming;
    this.rfqs.set(incoming.rfqId, {
      ...rest,
      lifts,
      ...(rfqQuoteIds.length > 0 ? { quoteIds: rfqQuoteIds } : {}),
      messageIds,
      ...(cancelled ? { cancelled } : {}),
    });
    for (const lift of lifts) {
      if (lift.status === 'declined' && !this.declines.some((decline) => decline.liftId === lift.liftId)) {
        this.declines.push({ rfqId: incoming.rfqId, liftId: lift.liftId, operator: incoming.operator, seenAt: now });
      }
    }
    const explained = this.decisionStage ? this.attachDeclineReasons() : [];
    return { rfqsWentOut: firstRfq && this.phase === 'awaiting_rfqs', explained };
  }

  /**
   * Merges a quote as read: `new` the first time, `repriced` when its price changed (the old price
   * goes to its history), undefined when nothing changed or the read is older than the price held.
   */
  recordQuote(incoming: QuoteSnapshot, now: string): 'new' | 'repriced' | undefined {
    const existing = this.quotes.get(incoming.quoteId);
    if (!existing) {
      this.quotes.set(incoming.quoteId, { ...incoming, firstSeenAt: now, priceHistory: [] });
      this.markLiftQuoted(incoming);
      return 'new';
    }
    if (existing.price === incoming.price && existing.currency === incoming.currency) {
      // Re-priced and back, the middle price never read: without the newer instant, a late read of
      // that middle price would pass for the newest.
      if (this.keepsNewestQuoteRead && incoming.updatedOn && (existing.updatedOn ?? '') < incoming.updatedOn)
        this.quotes.set(incoming.quoteId, { ...existing, updatedOn: incoming.updatedOn });
      return undefined;
    }
    // Out of order: a read older than what we hold must not roll a re-price back.
    if (existing.updatedOn && incoming.updatedOn && incoming.updatedOn < existing.updatedOn) return undefined;
    const priceHistory = [
      ...existing.priceHistory,
      { price: existing.price, currency: existing.currency, seenAt: now },
    ];
    this.quotes.set(incoming.quoteId, { ...existing, ...incoming, firstSeenAt: existing.firstSeenAt, priceHistory });
    return 'repriced';
  }

  private markLiftQuoted(quote: QuoteSnapshot): void {
    if (!quote.liftId) return;
    for (const rfq of this.rfqs.values()) {
      const lift = rfq.lifts.find((candidate) => candidate.liftId === quote.liftId);
      if (!lift) {
        // A quote on the RFQ itself (its own offered lift): the RFQ has an answer.
        if (this.decisionStage && rfq.rfqId === quote.rfqId && !rfq.quoteIds?.includes(quote.quoteId))
          rfq.quoteIds = [...(rfq.quoteIds ?? []), quote.quoteId];
        continue;
      }
      if (!lift.quoteIds.includes(quote.quoteId)) lift.quoteIds = [...lift.quoteIds, quote.quoteId];
      if (lift.status === 'unanswered') {
        lift.status = 'quoted';
        lift.price = quote.price;
        lift.currency = quote.currency;
      }
    }
  }

  /** Merges a message read or sent: once per messageId, the latest MAX_MESSAGES kept. */
  recordMessage(message: TripMessageSnapshot): MessageMerge {
    if (!this.decisionStage) {
      if (this.messages.some((known) => known.messageId === message.messageId)) return { explained: [] };
      this.messages = [...this.messages, message].slice(-MAX_MESSAGES);
      return { explained: [] };
    }
    this.readMessageIds.add(message.messageId);
    if (this.messages.some((known) => known.messageId === message.messageId)) return { explained: [] };
    const operator = message.operator ?? (message.rfqId ? this.rfqs.get(message.rfqId)?.operator : undefined);
    const full: TripMessageSnapshot = {
      ...message,
      direction: message.direction ?? 'received',
      ...(operator ? { operator } : {}),
    };
    this.messages = [...this.messages, full].slice(-MAX_MESSAGES);
    const chat = full.direction === 'received' && !full.quoteId && !full.declineReason;
    return { ...(chat ? { chat: full } : {}), explained: this.attachDeclineReasons() };
  }

  /** A decline's reason and text live in the operator's decline message: copied onto the decline record once read. */
  private attachDeclineReasons(): DeclineRecord[] {
    const explained: DeclineRecord[] = [];
    for (const decline of this.declines) {
      if (decline.declineReason) continue;
      const message = [...this.messages]
        .reverse()
        .find(
          (candidate) =>
            candidate.declineReason &&
            (candidate.liftId ? candidate.liftId === decline.liftId : candidate.rfqId === decline.rfqId),
        );
      if (!message?.declineReason) continue;
      decline.declineReason = message.declineReason;
      if (message.text) decline.message = message.text;
      explained.push(decline);
    }
    return explained;
  }

  // ── webhook events (patch webhook-wakeups) ──────────────────────────────────

  /** The event is about a message the run already has: a message id is never reused, so this is a redelivery. */
  knowsMessageOf(event: AvinodeEvent): boolean {
    const messageId = event.message?.messageId ?? (TRIP_MESSAGE_HREF.test(event.href) ? event.id : undefined);
    return messageId !== undefined && this.knowsMessage(messageId);
  }

  /** Messages the events named but did not bring (an older receiver, a routing run): the read fetches them. */
  unreadMessagesOf(trip: TripCreated | undefined, events: AvinodeEvent[]): string[] {
    if (!trip) return [];
    const ids = events
      .filter((event) => !event.message && !this.namesOtherTrip(trip, event) && TRIP_MESSAGE_HREF.test(event.href))
      .map((event) => event.id);
    return [...new Set(ids)].filter((id) => !this.knowsMessage(id));
  }

  /** The event names another Avinode trip than `trip`: by its atrip ref, or by its short id when it has no ref. */
  namesOtherTrip(trip: TripCreated, event: AvinodeEvent): boolean {
    return (
      (event.atripId !== undefined && event.atripId !== trip.atripId) ||
      (event.atripId === undefined && event.tripId !== undefined && event.tripId !== trip.tripId)
    );
  }

  private knowsMessage(messageId: string): boolean {
    return this.readMessageIds.has(messageId) || this.messages.some((known) => known.messageId === messageId);
  }

  // ── answers ─────────────────────────────────────────────────────────────────

  isTerminal(): boolean {
    return TERMINAL_PHASES.includes(this.phase);
  }

  /**
   * Every request answered: each RFQ cancelled, or each of its requested lifts quoted or declined,
   * or (an RFQ requesting no lift) quoted on the RFQ itself. Runs recorded before the decision stage
   * knew only RFQs with lifts, which this reads the same.
   */
  allLiftsAnswered(): boolean {
    const rfqs = [...this.rfqs.values()];
    if (!this.decisionStage) {
      const lifts = rfqs.flatMap((rfq) => rfq.lifts);
      return lifts.length > 0 && lifts.every((lift) => ANSWERED.has(lift.status));
    }
    return rfqs.length > 0 && rfqs.every((rfq) => this.rfqAnswered(rfq));
  }

  private rfqAnswered(rfq: RfqSnapshot): boolean {
    if (rfq.cancelled) return true;
    if (rfq.lifts.length > 0) return rfq.lifts.every((lift) => ANSWERED.has(lift.status));
    return (rfq.quoteIds?.length ?? 0) > 0;
  }

  allRequestsCancelled(): boolean {
    const rfqs = [...this.rfqs.values()];
    return rfqs.length > 0 && rfqs.every((rfq) => rfq.cancelled);
  }

  liveQuotes(): QuoteRecord[] {
    return [...this.quotes.values()].filter((quote) => !quote.vanishedAt);
  }

  /** Quotes a broker can still choose: not from a vanished trip, not on a lift the operator has since declined. */
  selectableQuotes(): QuoteRecord[] {
    return this.liveQuotes().filter((quote) => this.liftOf(quote)?.status !== 'declined');
  }

  liftOf(quote: QuoteSnapshot): LiftSnapshot | undefined {
    for (const rfq of this.rfqs.values()) {
      const lift = rfq.lifts.find(
        (candidate) => candidate.liftId === quote.liftId || candidate.quoteIds.includes(quote.quoteId),
      );
      if (lift) return lift;
    }
    return undefined;
  }

  winningLiftIdOf(quote: QuoteSnapshot): string | undefined {
    return quote.liftId ?? this.liftOf(quote)?.liftId;
  }

  rfqOf(quote: QuoteSnapshot): RfqSnapshot | undefined {
    if (quote.rfqId) return this.rfqs.get(quote.rfqId);
    const liftId = this.winningLiftIdOf(quote);
    return [...this.rfqs.values()].find((rfq) => rfq.lifts.some((lift) => lift.liftId === liftId));
  }

  // ── the callback outbox ─────────────────────────────────────────────────────

  /**
   * The run's next callback event, numbered after the last one (continued runs go on counting, so
   * eventIds stay unique and receivers dedupe redeliveries) and stamped with the phase, trip and
   * resets at `at`. undefined when the request has no callbackUrl: nothing is numbered then.
   */
  callbackEvent(event: CallbackNotice, at: string): CallbackEvent | undefined {
    if (!this.request.callbackUrl) return undefined;
    this.callbackSeq++;
    return {
      ...event,
      eventId: `${this.workflowId}/${this.callbackSeq}`,
      workflowId: this.workflowId,
      externalId: this.request.externalId,
      at,
      phase: this.phase,
      ...(this.trip ? { tripId: this.trip.tripId, atripId: this.trip.atripId, deepLinks: this.trip.deepLinks } : {}),
      ...(this.resets > 0 ? { resets: this.resets } : {}),
    };
  }

  /** An event handed to delivery: it stays queued (and is carried on continue-as-new) until it settles. */
  queueCallback(event: CallbackEvent): void {
    this.callbackQueue.push(event);
  }

  /** Delivered, or given up on: the event leaves the queue. */
  callbackSettled(event: CallbackEvent): void {
    this.callbackQueue.splice(this.callbackQueue.indexOf(event), 1);
  }

  /**
   * What the answers call for. Every lift answered: the run waits for the broker in
   * `awaiting_selection` when a live quote exists (back to `collecting_quotes` when a new RFQ goes
   * out), or ends at once with `endWhenAllAnswered` (and in runs recorded before the decision stage).
   * Every RFQ cancelled outside the run (the broker in the Avinode UI): nothing is left to decide.
   */
  answersCallFor(): AnswersStep | undefined {
    if (!this.decisionStage || this.request.endWhenAllAnswered) {
      return this.allLiftsAnswered() ? { end: 'completed', reason: 'all lifts answered' } : undefined;
    }
    if (this.phase !== 'collecting_quotes' && this.phase !== 'awaiting_selection') return undefined;
    if (this.allRequestsCancelled()) {
      const reasons = [
        ...new Set(
          [...this.rfqs.values()].map((rfq) => rfq.cancelled?.reason).filter((reason): reason is string => !!reason),
        ),
      ];
      return {
        end: 'cancelled',
        reason: `every RFQ was cancelled in Avinode${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
      };
    }
    const decidable = this.allLiftsAnswered() && this.selectableQuotes().length > 0;
    if (decidable && this.phase === 'collecting_quotes')
      return { phase: 'awaiting_selection', reason: 'every lift answered; waiting for the broker to select a quote' };
    if (!decidable && this.phase === 'awaiting_selection')
      return {
        phase: 'collecting_quotes',
        reason: this.allLiftsAnswered() ? 'no live quote left' : 'a new RFQ went out',
      };
    return undefined;
  }

  /** The RFQs a selection closes (closeOtherRequests): every other one still open. */
  otherOpenRfqs(winner: QuoteSnapshot): RfqSnapshot[] {
    const winningRfq = this.rfqOf(winner)?.rfqId;
    return [...this.rfqs.values()].filter(
      (rfq) => rfq.rfqId !== winningRfq && !rfq.cancelled && !rfq.lifts.every((lift) => lift.status === 'cancelled'),
    );
  }

  /**
   * The run's trip vanished (the weekly sandbox reset): counted as a reset; its RFQs go with it; its
   * quotes stay on the record (someone may have seen them) but can no longer be selected.
   */
  forgetVanishedTrip(now: string): void {
    this.resets++;
    for (const quote of this.quotes.values()) if (!quote.vanishedAt) quote.vanishedAt = now;
    this.rfqs.clear();
    this.trip = undefined;
  }

  // ── projection ──────────────────────────────────────────────────────────────

  /** What getProgress answers (and the UI details render). */
  progress(): TripProgress {
    const rfqs = [...this.rfqs.values()];
    const lifts = rfqs.flatMap((rfq) => rfq.lifts);
    const quotes = [...this.quotes.values()];
    return {
      workflowId: this.workflowId,
      externalId: this.request.externalId,
      phase: this.phase,
      route: routeOf(this.request.legs),
      ...(this.trip ? { atripId: this.trip.atripId, tripId: this.trip.tripId, deepLinks: this.trip.deepLinks } : {}),
      rfqs,
      quotes,
      declines: this.declines,
      messages: this.messages,
      counts: {
        rfqs: rfqs.length,
        lifts: lifts.length,
        answered: rfqs.flatMap((rfq) => rfq.lifts.filter((lift) => rfq.cancelled || ANSWERED.has(lift.status))).length,
        quotes: this.liveQuotes().length,
        declines: this.declines.length,
        polls: this.polls,
        webhooks: this.webhooks,
      },
      ...(this.lastPollAt ? { lastPollAt: this.lastPollAt } : {}),
      ...(!this.isTerminal() && this.trip && this.phase !== 'blocked'
        ? { nextPollAt: new Date(this.nextPollAtMs).toISOString() }
        : {}),
      ...(this.quoteDeadlineMs !== undefined ? { quoteDeadline: new Date(this.quoteDeadlineMs).toISOString() } : {}),
      ...(this.blockedReason ? { blockedReason: this.blockedReason } : {}),
      resets: this.resets,
      ...(this.selectedQuoteId ? { selectedQuoteId: this.selectedQuoteId } : {}),
      ...(this.outcomeReport ? { outcomeReport: this.outcomeReport } : {}),
      ...(this.closedRequests ? { closedRequests: this.closedRequests } : {}),
      ...(this.duplicateTrips.length > 0 ? { duplicateTrips: this.duplicateTrips } : {}),
      ...(this.phase === 'collecting_quotes' &&
      this.decisionStage &&
      this.allLiftsAnswered() &&
      this.selectableQuotes().length === 0
        ? { note: EVERY_OPERATOR_DECLINED }
        : {}),
      ...(this.endReason ? { endReason: this.endReason } : {}),
      phaseHistory: this.phaseHistory,
      continuedAsNew: this.continuedAsNew,
    };
  }
}
