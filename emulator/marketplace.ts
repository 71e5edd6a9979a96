// The simulated actors: the broker who sends RFQs from the deep link, operators who quote, decline,
// re-price and chat (on command or on autopilot), and trip cancellation. Fires the webhooks.
import { CANCEL_REASONS, DECLINE_REASONS } from '../workflows/contract.ts';
import { fail, type Reply } from './http-kit.ts';
import type { Stats } from './journal.ts';
import type { ResourceRenderer } from './resources.ts';
import type { SeededRandom } from './rng.ts';
import {
  CATEGORY_AIRCRAFT,
  OPERATORS,
  type LiftRecord,
  type MarketStore,
  type MessageRecord,
  type Operator,
  type RfqRecord,
  type TripRecord,
} from './store.ts';
import type { ValidTrip } from './trip-validation.ts';
import type { WebhookDispatcher } from './webhooks.ts';

export interface AutopilotOptions {
  enabled: boolean;
  /** Delay after a trip is created before the simulated broker sends RFQs. */
  sendRfqsAfterMs: number;
  operators: number;
  /** Delay after an RFQ is sent before its operator answers (spread a little per operator). */
  quoteAfterMs: number;
  /** Share of operators that decline instead of quoting, 0..1. */
  declineRatio?: number;
  /** When set, quoting operators change their price this long after quoting. */
  repriceAfterMs?: number;
  /** Share of operators that send a chat message before answering, 0..1. */
  chatRatio?: number;
  /** Share of broker messages an operator answers with a chat (after quoteAfterMs / 2), 0..1. */
  chatReplyRatio?: number;
}

export interface BuyerMessageInput {
  message: string;
  suppressNotification?: boolean;
  actAsAccount?: string;
}

export interface OutcomeInput {
  outcome: string;
  winningSellerLiftId?: string;
  winningTenantName?: string;
  winningTail?: string;
}

export interface RespondInput {
  action: 'quote' | 'decline' | 'reprice' | 'chat';
  price?: number;
  currency?: string;
  /** A decline's reason (the documented field name); `reason` is the older admin name. */
  declineReason?: string;
  reason?: string;
  message?: string;
  aircraftCategory?: string;
  aircraftType?: string;
  aircraftTail?: string;
  seats?: number;
  /** The lift answered; default: the first unanswered one (a decline without it declines the whole request). */
  liftId?: string;
  /** A quote on the RFQ itself (an alternate aircraft) rather than on a requested lift. */
  onRfq?: boolean;
  /** Which quote a re-price changes; default: the latest quote of the first quoted lift. */
  quoteId?: string;
}

export interface RespondResult {
  rfqId: string;
  liftId: string;
  action: RespondInput['action'];
  messageId: string;
  quoteId?: string;
  price?: number;
  currency?: string;
  status: LiftRecord['status'];
}

/** A failed actor step, carrying the reply the admin API answers with. */
export class ActorError extends Error {
  constructor(readonly reply: Reply) {
    super('actor step refused');
  }
}

/** Runs an actor step, answering with the reply of a refused one. */
export function actor(run: () => Reply): Reply {
  try {
    return run();
  } catch (error) {
    if (error instanceof ActorError) return error.reply;
    throw error;
  }
}

export class Marketplace {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: MarketStore,
    private readonly render: ResourceRenderer,
    private readonly webhooks: WebhookDispatcher,
    private readonly stats: Stats,
    private readonly rng: SeededRandom,
    private readonly clock: () => number,
    public autopilot: AutopilotOptions,
  ) {}

  private iso(): string {
    return new Date(this.clock()).toISOString();
  }

  createTrip(input: ValidTrip): TripRecord {
    const at = this.iso();
    const trip = this.store.addTrip({
      id: this.store.nextId('trip'),
      tripId: this.store.newShortTripId(),
      ...(input.externalTripId !== undefined ? { externalTripId: input.externalTripId } : {}),
      segments: input.segments,
      criteria: input.criteria,
      sourcing: input.sourcing,
      status: 'Active',
      createdOn: at,
      updatedOn: at,
      rfqIds: [],
    });
    this.stats.trips += 1;
    if (input.externalTripId !== undefined) {
      this.stats.tripsByExternalId[input.externalTripId] =
        (this.stats.tripsByExternalId[input.externalTripId] ?? 0) + 1;
    }
    if (this.autopilot.enabled) {
      this.later(this.autopilot.sendRfqsAfterMs, () => {
        const current = this.store.trips.get(trip.id);
        if (current?.status === 'Active' && current.rfqIds.length === 0)
          this.sendRfqs(trip.id, this.autopilot.operators);
      });
    }
    return trip;
  }

  /**
   * The broker's manual step in the web UI: one RFQ per operator, each requesting `liftsPerRfq`
   * lifts (the trip's `requiredLift` entries in turn, else the operator's own aircraft).
   */
  sendRfqs(atripId: string, operators: number, liftsPerRfq = 1): RfqRecord[] {
    const trip = this.store.trips.get(atripId);
    if (!trip) throw new ActorError(fail(404, 'NOT_FOUND', 'Not found'));
    if (trip.status !== 'Active')
      throw new ActorError(fail(409, 'TRIP_CANCELLED', 'The trip is cancelled; RFQs can no longer be sent'));
    const requested = requestedLifts(trip.criteria);
    const created: RfqRecord[] = [];
    const at = this.iso();
    for (let i = 0; i < operators; i++) {
      const operator = OPERATORS[(trip.rfqIds.length + i) % OPERATORS.length]!;
      const rfq: RfqRecord = {
        id: this.store.nextId('rfq'),
        tripRef: trip.id,
        operator,
        createdOn: at,
        updatedOn: at,
        status: 'Active',
        liftIds: [],
        quoteIds: [],
        messageIds: [],
      };
      for (let k = 0; k < liftsPerRfq; k++) {
        const lift = this.newLift(rfq, operator, requested[k % Math.max(1, requested.length)] ?? {});
        rfq.liftIds.push(lift.id);
      }
      this.store.rfqs.set(rfq.id, rfq);
      trip.rfqIds.push(rfq.id);
      created.push(rfq);
    }
    trip.updatedOn = at;
    this.stats.rfqs += created.length;
    for (const rfq of created) {
      this.notifyRequest(trip, rfq);
      if (this.autopilot.enabled) this.scheduleOperator(rfq.id);
    }
    return created;
  }

  private newLift(
    rfq: RfqRecord,
    operator: Operator,
    wanted: RequestedLift,
    kind: LiftRecord['kind'] = 'requested',
  ): LiftRecord {
    const category = wanted.aircraftCategory ?? operator.aircraftCategory;
    const catalogue = CATEGORY_AIRCRAFT[category];
    const sameAsOperator = category === operator.aircraftCategory;
    const lift: LiftRecord = {
      id: this.store.nextId('lift'),
      rfqId: rfq.id,
      kind,
      aircraftCategory: category,
      aircraftType:
        wanted.aircraftType ?? (sameAsOperator ? operator.aircraftType : (catalogue?.type ?? operator.aircraftType)),
      aircraftTail:
        wanted.aircraftTail ??
        `${operator.tailPrefix}${String(this.rng.int(100, 999))}${operator.displayName.slice(0, 2).toUpperCase()}`,
      maxPax: sameAsOperator ? operator.maxPax : (catalogue?.maxPax ?? operator.maxPax),
      yearOfMake: this.rng.int(2006, 2023),
      status: 'Unanswered',
      quoteIds: [],
    };
    this.store.lifts.set(lift.id, lift);
    return lift;
  }

  /** TripRequestMine, also re-sent with the same RFQ id when the request changes or is cancelled. */
  private notifyRequest(trip: TripRecord, rfq: RfqRecord): void {
    this.webhooks.publish('TripRequestMine', {
      id: rfq.id,
      href: this.render.apiHref(`rfqs/${rfq.id}`),
      type: 'rfqs',
      tripId: trip.tripId,
    });
  }

  respond(arfqId: string, input: RespondInput): RespondResult {
    const rfq = this.store.rfqs.get(arfqId);
    if (!rfq) throw new ActorError(fail(404, 'NOT_FOUND', 'Not found'));
    const trip = this.store.trips.get(rfq.tripRef)!;
    if (trip.status !== 'Active' || rfq.status !== 'Active')
      throw new ActorError(fail(409, 'TRIP_CANCELLED', 'The request is cancelled; operators can no longer answer'));
    const at = this.iso();
    const messageId = this.store.nextId('message');
    let text: string;
    let quoteId: string | undefined;
    let decline: { reason: string } | undefined;
    let answered: LiftRecord[];

    switch (input.action) {
      case 'quote': {
        // A quote on the RFQ itself offers another aircraft (e.g. an alternate tail): its own lift, outside sellerLift[].
        const lift = input.onRfq ? this.newLift(rfq, rfq.operator, {}, 'offered') : this.pickLift(rfq, input);
        if (input.aircraftCategory !== undefined) lift.aircraftCategory = input.aircraftCategory;
        if (input.aircraftType !== undefined) lift.aircraftType = input.aircraftType;
        if (input.aircraftTail !== undefined) lift.aircraftTail = input.aircraftTail;
        if (input.seats !== undefined) lift.maxPax = input.seats;
        const price = input.price ?? this.suggestPrice(trip, lift);
        const currency = input.currency ?? 'USD';
        text =
          input.message ??
          `${rfq.operator.displayName} is pleased to offer the ${lift.aircraftType} (${lift.aircraftTail}) for ${price} ${currency}.`;
        quoteId = this.store.nextId('quote');
        this.store.quotes.set(quoteId, {
          id: quoteId,
          rfqId: rfq.id,
          liftId: lift.id,
          price,
          currency,
          sellerMessage: text,
          createdOn: at,
          updatedOn: at,
        });
        lift.quoteIds.push(quoteId);
        lift.status = 'Accepted';
        if (input.onRfq) rfq.quoteIds.push(quoteId);
        this.stats.quotes += 1;
        answered = [lift];
        break;
      }
      case 'reprice': {
        const quote =
          input.quoteId !== undefined
            ? this.store.quotes.get(input.quoteId)
            : this.render.latestQuote(this.pickLift(rfq, input));
        if (input.quoteId !== undefined && quote?.rfqId !== rfq.id)
          throw new ActorError(fail(404, 'NOT_FOUND', 'The quote does not belong to this RFQ', 'quoteId'));
        const lift = quote ? this.store.lifts.get(quote.liftId) : undefined;
        if (!quote || !lift || lift.status !== 'Accepted')
          throw new ActorError(fail(409, 'NOT_QUOTED', 'Only a quoted lift can be re-priced'));
        quote.price = input.price ?? Math.round(quote.price * 0.95);
        if (input.currency !== undefined) quote.currency = input.currency;
        quote.updatedOn = at;
        text = input.message ?? `Updated price: ${quote.price} ${quote.currency}.`;
        quote.sellerMessage = text;
        quoteId = quote.id;
        this.stats.reprices += 1;
        answered = [lift];
        break;
      }
      case 'decline': {
        const reason = input.declineReason ?? input.reason ?? 'AIRCRAFT_NOT_AVAILABLE';
        text = input.message ?? DECLINE_TEXT[reason] ?? `Unfortunately we have to decline (${reason}).`;
        decline = { reason };
        // A lift, or the whole request: every lift not answered yet.
        const lifts =
          input.liftId !== undefined
            ? [this.pickLift(rfq, input)]
            : this.requestedLifts(rfq).filter((lift) => lift.status === 'Unanswered');
        answered = lifts.length > 0 ? lifts : [this.pickLift(rfq, input)];
        for (const lift of answered) lift.status = 'Declined';
        this.stats.declines += 1;
        break;
      }
      case 'chat':
        text = input.message ?? 'Could you confirm the passenger count and any catering requests?';
        answered = [];
        this.stats.chats += 1;
        break;
    }
    const onLift = answered.length === 1 ? answered[0] : undefined;
    this.store.messages.set(messageId, {
      id: messageId,
      rfqId: rfq.id,
      ...(onLift ? { liftId: onLift.id } : {}),
      message: text,
      createdOn: at,
      ...(quoteId ? { quoteId } : {}),
      ...(decline ? { decline } : {}),
    });
    rfq.messageIds.push(messageId);
    rfq.updatedOn = at;
    trip.updatedOn = at;
    this.messagesOf(trip).fromSellers += 1;
    const quote = quoteId ? this.store.quotes.get(quoteId) : undefined;
    const lift = onLift ?? this.requestedLifts(rfq)[0];
    const result: RespondResult = {
      rfqId: rfq.id,
      liftId: lift?.id ?? '',
      action: input.action,
      messageId,
      status: lift?.status ?? 'Unanswered',
      ...(quote ? { quoteId: quote.id, price: quote.price, currency: quote.currency } : {}),
    };
    const eventType = input.action === 'chat' ? 'TripChatFromSeller' : 'TripRequestSellerResponse';
    // Message notifications carry no tripId (documented for chats): the trip is found from the message.
    this.webhooks.publish(eventType, {
      id: messageId,
      href: this.render.apiHref(`tripmsgs/${messageId}`),
      type: 'tripmsgs',
    });
    return result;
  }

  private requestedLifts(rfq: RfqRecord): LiftRecord[] {
    return rfq.liftIds.map((id) => this.store.lifts.get(id)!);
  }

  cancelTrip(trip: TripRecord, reason: string, messageToSeller?: string): void {
    if (trip.status === 'Cancelled') return;
    const at = this.iso();
    trip.status = 'Cancelled';
    trip.updatedOn = at;
    trip.cancellation = { reason, ...(messageToSeller !== undefined ? { messageToSeller } : {}) };
    this.stats.cancels += 1;
    for (const rfqId of trip.rfqIds) {
      const rfq = this.store.rfqs.get(rfqId)!;
      if (rfq.status === 'Cancelled') continue;
      rfq.status = 'Cancelled';
      rfq.updatedOn = at;
      rfq.cancellation = { reason, ...(messageToSeller !== undefined ? { messageToSeller } : {}) };
      // TripRequestMine also fires for a cancellation made by my company (same RFQ id as before).
      this.notifyRequest(trip, rfq);
    }
  }

  /** The broker's chat on an RFQ ("Send a message"); the autopilot's operator sometimes answers. */
  sendBuyerMessage(arfqId: string, input: BuyerMessageInput): MessageRecord {
    const rfq = this.store.rfqs.get(arfqId);
    if (!rfq) throw new ActorError(fail(404, 'NOT_FOUND', 'Not found'));
    const trip = this.store.trips.get(rfq.tripRef)!;
    if (trip.status !== 'Active' || rfq.status !== 'Active')
      throw new ActorError(fail(409, 'TRIP_CANCELLED', 'The request is cancelled; messages can no longer be sent'));
    const at = this.iso();
    const message: MessageRecord = {
      id: this.store.nextId('buyerMessage'),
      rfqId: rfq.id,
      message: input.message,
      createdOn: at,
      ...(input.actAsAccount ? { actAsAccount: input.actAsAccount } : {}),
      ...(input.suppressNotification !== undefined ? { suppressNotification: input.suppressNotification } : {}),
    };
    this.store.messages.set(message.id, message);
    rfq.messageIds.push(message.id);
    rfq.updatedOn = at;
    this.stats.buyerMessages += 1;
    this.messagesOf(trip).fromBuyer += 1;
    const pilot = this.autopilot;
    if (pilot.enabled && this.rng.next() < (pilot.chatReplyRatio ?? 0)) {
      this.later(Math.round(pilot.quoteAfterMs / 2), () => {
        const current = this.store.rfqs.get(rfq.id);
        if (current?.status === 'Active') this.respond(rfq.id, { action: 'chat', message: replyTo(input.message) });
      });
    }
    return message;
  }

  /** Report trip outcome: the latest report is the trip's outcome (reporting the same again changes nothing). */
  reportOutcome(trip: TripRecord, input: OutcomeInput): TripRecord {
    const reports = (trip.outcome?.reports ?? 0) + 1;
    trip.outcome = { ...input, reportedOn: this.iso(), reports };
    trip.updatedOn = trip.outcome.reportedOn;
    this.stats.outcomeReports += 1;
    this.stats.outcomesByTrip[trip.id] = {
      outcome: input.outcome,
      ...(input.winningSellerLiftId ? { winningSellerLiftId: input.winningSellerLiftId } : {}),
      ...(input.winningTenantName ? { winningTenantName: input.winningTenantName } : {}),
      reports,
    };
    return trip;
  }

  /**
   * Cancel a single RFQ (through the API, or the broker in the web UI): the RFQ is `canceled`, its
   * lifts keep their statuses, and TripRequestMine is sent again with the same RFQ id.
   */
  cancelRfq(rfq: RfqRecord, cancellation: { reason?: string; messageToSeller?: string }): RfqRecord {
    if (rfq.status === 'Cancelled') return rfq;
    const trip = this.store.trips.get(rfq.tripRef)!;
    const at = this.iso();
    rfq.status = 'Cancelled';
    rfq.updatedOn = at;
    rfq.cancellation = cancellation;
    trip.updatedOn = at;
    this.stats.rfqCancels += 1;
    this.notifyRequest(trip, rfq);
    return rfq;
  }

  private messagesOf(trip: TripRecord): { fromBuyer: number; fromSellers: number } {
    const counts = (this.stats.messagesByTrip[trip.id] ??= { fromBuyer: 0, fromSellers: 0 });
    return counts;
  }

  /** Stops every scheduled autopilot step (reset and close). */
  clearSchedule(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private pickLift(rfq: RfqRecord, input: RespondInput): LiftRecord {
    if (input.liftId !== undefined) {
      const lift = this.store.lifts.get(input.liftId);
      if (!lift || lift.rfqId !== rfq.id)
        throw new ActorError(fail(404, 'NOT_FOUND', 'The lift does not belong to this RFQ', 'liftId'));
      return lift;
    }
    const lifts = this.requestedLifts(rfq);
    const preferred =
      input.action === 'reprice'
        ? lifts.find((lift) => lift.status === 'Accepted')
        : lifts.find((lift) => lift.status === 'Unanswered');
    return preferred ?? lifts[0]!;
  }

  private suggestPrice(trip: TripRecord, lift: LiftRecord): number {
    const hourly = CATEGORY_AIRCRAFT[lift.aircraftCategory]?.hourly ?? 6000;
    const hours = trip.segments.length * (2 + this.rng.next() * 2);
    return Math.round((hourly * hours) / 50) * 50;
  }

  private scheduleOperator(rfqId: string): void {
    const pilot = this.autopilot;
    const spread = Math.round(pilot.quoteAfterMs * 0.5 * this.rng.next());
    const chats = this.rng.next() < (pilot.chatRatio ?? 0);
    const declines = this.rng.next() < (pilot.declineRatio ?? 0);
    const active = () => {
      const rfq = this.store.rfqs.get(rfqId);
      return rfq?.status === 'Active' && this.store.trips.get(rfq.tripRef)?.status === 'Active';
    };
    if (chats)
      this.later(
        Math.round((pilot.quoteAfterMs + spread) / 2),
        () => active() && this.respond(rfqId, { action: 'chat' }),
      );
    this.later(pilot.quoteAfterMs + spread, () => {
      if (!active()) return;
      if (declines) {
        this.respond(rfqId, { action: 'decline', reason: this.rng.pick(DECLINE_REASONS) });
        return;
      }
      this.respond(rfqId, { action: 'quote' });
      if (pilot.repriceAfterMs !== undefined)
        this.later(pilot.repriceAfterMs, () => active() && this.respond(rfqId, { action: 'reprice' }));
    });
  }

  private later(delayMs: number, step: () => unknown): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        try {
          step();
        } catch {
          // The trip changed under the autopilot (cancelled, reset, already answered): skip the step.
        }
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.timers.add(timer);
  }
}

/** What a simulated operator writes with a decline, by documented reason. */
const DECLINE_TEXT: Record<string, string> = {
  AIRCRAFT_NOT_AVAILABLE: 'Unfortunately the aircraft is not available on these dates.',
  CABOTAGE: 'Unfortunately cabotage rules do not allow us to operate this trip.',
  CREW_NOT_AVAILABLE: 'Unfortunately we have no crew available for this trip.',
  OWNER_DECLINED: 'The owner has declined this trip.',
  UNATTRACTIVE_TRIP: 'We have to pass on this trip.',
  UNKNOWN: 'Unfortunately we cannot offer this trip.',
  OTHER: 'Unfortunately we cannot offer this trip.',
};

function replyTo(message: string): string {
  const quoted = message.length > 60 ? `${message.slice(0, 57)}…` : message;
  return `Thanks for your message ("${quoted}"). We will confirm shortly.`;
}

interface RequestedLift {
  aircraftCategory?: string;
  aircraftType?: string;
  aircraftTail?: string;
}

/** The trip's `criteria.requiredLift[]` entries, as far as they name an aircraft. */
function requestedLifts(criteria: Record<string, unknown>): RequestedLift[] {
  const list = Array.isArray(criteria.requiredLift) ? criteria.requiredLift : [];
  return list
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map(({ aircraftCategory, aircraftType, aircraftTail }) => ({
      ...(typeof aircraftCategory === 'string' ? { aircraftCategory } : {}),
      ...(typeof aircraftType === 'string' ? { aircraftType } : {}),
      ...(typeof aircraftTail === 'string' ? { aircraftTail } : {}),
    }));
}

export const isCancelReason = (value: unknown): boolean =>
  typeof value === 'string' && (CANCEL_REASONS as readonly string[]).includes(value);
export const isDeclineReason = (value: unknown): boolean =>
  typeof value === 'string' && (DECLINE_REASONS as readonly string[]).includes(value);
