// JSON shapes of the emulated resources, following avinode-api.md §5–§9.
import { isRecord } from './http-kit.ts';
import type { LiftRecord, MarketStore, MessageRecord, QuoteRecord, RfqRecord, TripRecord, WebhookSetting } from './store.ts';

const SOURCING_STATUS: Record<LiftRecord['status'], number> = { Unanswered: 0, Accepted: 2, Declined: 3, Cancelled: 4 };

export const BUYER = {
  company: { id: 'acomp-2000001', displayName: 'Charterflow Brokerage (emulated)' },
  account: { id: 'aacc-2000001', displayName: 'Dana Broker' },
};

export class ResourceRenderer {
  constructor(
    private readonly store: MarketStore,
    private readonly origin: () => string,
  ) {}

  apiHref(path: string): string {
    return `${this.origin()}/api/${path}`;
  }

  searchLink(id: string): string {
    return `${this.origin()}/marketplace/mvc/search/load/${id}?source=api&origin=api_action`;
  }

  viewLink(id: string): string {
    return `${this.origin()}/marketplace/mvc/trips/buying/${id}?source=api`;
  }

  trip(trip: TripRecord, { embedRfqs = true } = {}) {
    const actions: Record<string, unknown> = {
      searchInAvinode: { type: 'searchInAvinode', description: 'Start a search in Avinode', httpMethod: 'GET', href: this.searchLink(trip.id) },
      viewInAvinode: { type: 'viewInAvinode', description: 'View in Avinode', httpMethod: 'GET', href: this.viewLink(trip.id) },
    };
    if (trip.status === 'Active') {
      actions.cancel = { type: 'cancel', description: 'Cancel', httpMethod: 'PUT', href: this.apiHref(`trips/${trip.id}/cancel`) };
    }
    return {
      id: trip.id,
      type: 'trips',
      tripId: trip.tripId,
      href: this.apiHref(`trips/${trip.id}`),
      ...(trip.externalTripId !== undefined ? { externalTripId: trip.externalTripId } : {}),
      status: trip.status,
      sourcing: trip.sourcing,
      segments: trip.segments,
      criteria: trip.criteria,
      ...(trip.cancellation ? { cancellation: trip.cancellation } : {}),
      // [inferred] shape: where a read shows the reported outcome is not documented.
      ...(trip.outcome ? { outcome: trip.outcome } : {}),
      actions,
      createdOn: trip.createdOn,
      updatedOn: trip.updatedOn,
      ...(embedRfqs ? { rfqs: trip.rfqIds.map((id) => this.rfq(this.store.rfqs.get(id)!)) } : {}),
    };
  }

  rfq(rfq: RfqRecord) {
    const trip = this.store.trips.get(rfq.tripRef)!;
    return {
      id: rfq.id,
      type: 'rfqs',
      href: this.apiHref(`rfqs/${rfq.id}`),
      tripId: trip.tripId,
      trip: { id: trip.id, href: this.apiHref(`trips/${trip.id}`), type: 'trips' },
      status: rfq.status,
      ...(rfq.status === 'Cancelled' ? { canceled: true } : {}),
      ...(rfq.cancellation ? { cancellation: rfq.cancellation } : {}),
      createdOn: rfq.createdOn,
      updatedOn: rfq.updatedOn,
      sellerCompany: { id: rfq.operator.companyId, displayName: rfq.operator.displayName, contactInfo: { emails: [rfq.operator.email] } },
      buyerCompany: BUYER.company,
      buyerAccount: BUYER.account,
      segments: trip.segments.map(rfqSegment),
      sellerLift: rfq.liftIds.map((id) => this.lift(this.store.lifts.get(id)!)),
      links: { tripmsgs: rfq.messageIds.map((id) => ({ id, href: this.apiHref(`tripmsgs/${id}`), type: 'tripmsgs' })) },
      actions: {
        searchInAvinode: { type: 'searchInAvinode', description: 'Compare in Avinode', httpMethod: 'GET', href: this.searchLink(rfq.id) },
        viewInAvinode: { type: 'viewInAvinode', description: 'View in Avinode', httpMethod: 'GET', href: this.viewLink(trip.id) },
      },
    };
  }

  lift(lift: LiftRecord) {
    const latest = this.latestQuote(lift);
    return {
      id: lift.id,
      type: 'sellerlifts',
      aircraftCategory: lift.aircraftCategory,
      aircraftType: lift.aircraftType,
      aircraftTail: lift.aircraftTail,
      maxPax: lift.maxPax,
      sourcingDisplayStatus: lift.status,
      sourcingStatus: SOURCING_STATUS[lift.status],
      ...(latest && lift.status === 'Accepted' ? { sellerPrice: { price: latest.price, currency: latest.currency } } : {}),
      links: { quotes: lift.quoteIds.map((id) => ({ id, href: this.apiHref(`quotes/${id}`), type: 'quotes' })) },
      actions: { viewInAvinode: { type: 'viewInAvinode', description: 'View in Avinode', httpMethod: 'GET', href: this.viewLink(lift.rfqId) } },
    };
  }

  latestQuote(lift: LiftRecord): QuoteRecord | undefined {
    const id = lift.quoteIds[lift.quoteIds.length - 1];
    return id ? this.store.quotes.get(id) : undefined;
  }

  quote(quote: QuoteRecord) {
    const rfq = this.store.rfqs.get(quote.rfqId)!;
    const lift = this.store.lifts.get(quote.liftId)!;
    const trip = this.store.trips.get(rfq.tripRef)!;
    return {
      id: quote.id,
      type: 'quotes',
      href: this.apiHref(`quotes/${quote.id}`),
      sellerPrice: { price: quote.price, currency: quote.currency },
      sellerPriceWithoutCommission: { price: quote.price, currency: quote.currency },
      sellerMessage: quote.sellerMessage,
      segments: trip.segments.map(rfqSegment),
      lift: { id: lift.id, aircraftCategory: lift.aircraftCategory, aircraftType: lift.aircraftType, aircraftTail: lift.aircraftTail, maxPax: lift.maxPax },
      sellerCompany: { id: rfq.operator.companyId, displayName: rfq.operator.displayName },
      rfq: { id: rfq.id, href: this.apiHref(`rfqs/${rfq.id}`) },
      trip: { id: trip.id, tripId: trip.tripId },
      createdOn: quote.createdOn,
      updatedOn: quote.updatedOn,
    };
  }

  message(message: MessageRecord) {
    const rfq = this.store.rfqs.get(message.rfqId)!;
    const trip = this.store.trips.get(rfq.tripRef)!;
    const fromBuyer = message.id.startsWith('abuyermsg-');
    return {
      id: message.id,
      type: 'tripmsgs',
      href: this.apiHref(`tripmsgs/${message.id}`),
      message: message.message,
      createdOn: message.createdOn,
      ...(fromBuyer
        ? { buyerCompany: BUYER.company, buyerAccount: message.actAsAccount ? { displayName: message.actAsAccount } : BUYER.account }
        : { sellerCompany: { id: rfq.operator.companyId, displayName: rfq.operator.displayName } }),
      rfq: { id: rfq.id, href: this.apiHref(`rfqs/${rfq.id}`) },
      trip: { id: trip.id, tripId: trip.tripId },
      ...(message.liftId ? { lift: { id: message.liftId } } : {}),
      ...(message.quoteId ? { quote: { id: message.quoteId, href: this.apiHref(`quotes/${message.quoteId}`) } } : {}),
      // [inferred] shape: the decline request's documented fields (declineReason, message) as the buyer reads them.
      ...(message.decline ? { declineReason: message.decline.reason } : {}),
    };
  }

  webhookSetting(setting: WebhookSetting) {
    const { clientSecret: _secret, ...visible } = setting;
    return { ...visible, type: 'webhooksettings', href: this.apiHref(`webhooks/settings/${setting.id}`) };
  }
}

/** The RFQ view of a posted segment: adds airport details and a departure date-time block. */
function rfqSegment(segment: unknown) {
  if (!isRecord(segment)) return segment;
  const start = isRecord(segment.startAirport) ? segment.startAirport : {};
  const end = isRecord(segment.endAirport) ? segment.endAirport : {};
  const dateTime = isRecord(segment.dateTime) ? segment.dateTime : {};
  const local = typeof dateTime.date === 'string' ? `${dateTime.date}T${typeof dateTime.time === 'string' ? dateTime.time : '00:00'}` : undefined;
  return {
    ...segment,
    startAirportDetails: { icao: start.icao },
    endAirportDetails: { icao: end.icao },
    ...(local ? { departureDateTime: { dateTimeLocal: local } } : {}),
  };
}
