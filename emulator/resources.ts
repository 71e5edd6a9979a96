// JSON shapes of the emulated resources, following avinode-api.md §5–§9.
import { isRecord } from './http-kit.ts';
import type {
  LiftRecord,
  MarketStore,
  MessageRecord,
  QuoteRecord,
  RfqRecord,
  TripRecord,
  WebhookSetting,
} from './store.ts';

const SOURCING_STATUS: Record<LiftRecord['status'], number> = { Unanswered: 0, Accepted: 2, Declined: 3 };

export const BUYER = {
  company: { id: 'acomp-2000001', displayName: 'Charterflow Brokerage (emulated)' },
  account: { id: 'aacc-2000001', displayName: 'Dana Broker' },
};

export class ResourceRenderer {
  constructor(
    private readonly store: MarketStore,
    private readonly origin: () => string,
    private readonly options: { inferredShapes: boolean } = { inferredShapes: true },
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
      searchInAvinode: {
        type: 'searchInAvinode',
        description: 'Start a search in Avinode',
        httpMethod: 'GET',
        href: this.searchLink(trip.id),
      },
      viewInAvinode: {
        type: 'viewInAvinode',
        description: 'View in Avinode',
        httpMethod: 'GET',
        href: this.viewLink(trip.id),
      },
    };
    if (trip.status === 'Active') {
      actions.cancel = {
        type: 'cancel',
        description: 'Cancel',
        httpMethod: 'PUT',
        href: this.apiHref(`trips/${trip.id}/cancel`),
      };
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
      ...(trip.outcome && this.options.inferredShapes ? { outcome: trip.outcome } : {}),
      actions,
      createdOn: trip.createdOn,
      updatedOn: trip.updatedOn,
      ...(embedRfqs ? { rfqs: trip.rfqIds.map((id) => this.rfq(this.store.rfqs.get(id)!)) } : {}),
    };
  }

  /** An RFQ; with the `latestquote` include flag each lift carries its latest quote, rendered with the other flags asked for. */
  rfq(rfq: RfqRecord, include: ReadonlySet<string> = new Set()) {
    const trip = this.store.trips.get(rfq.tripRef)!;
    return {
      id: rfq.id,
      type: 'rfqs',
      href: this.apiHref(`rfqs/${rfq.id}`),
      tripId: trip.tripId,
      // [inferred]: the documented RFQ content names the trip by its short tripId only.
      ...(this.options.inferredShapes
        ? { trip: { id: trip.id, href: this.apiHref(`trips/${trip.id}`), type: 'trips' } }
        : {}),
      status: rfq.status,
      ...(rfq.status === 'Cancelled' ? { canceled: true } : {}),
      ...(rfq.cancellation && this.options.inferredShapes ? { cancellation: rfq.cancellation } : {}),
      createdOn: rfq.createdOn,
      updatedOn: rfq.updatedOn,
      sellerCompany: {
        id: rfq.operator.companyId,
        displayName: rfq.operator.displayName,
        contactInfo: { emails: [rfq.operator.email] },
      },
      buyerCompany: BUYER.company,
      buyerAccount: BUYER.account,
      segments: trip.segments.map(rfqSegment),
      sellerLift: rfq.liftIds.map((id) => this.lift(this.store.lifts.get(id)!, include)),
      links: {
        tripmsgs: rfq.messageIds.map((id) => ({ id, href: this.apiHref(`tripmsgs/${id}`), type: 'tripmsgs' })),
        quotes: rfq.quoteIds.map((id) => ({ id, href: this.apiHref(`quotes/${id}`), type: 'quotes' })),
      },
      actions: {
        searchInAvinode: {
          type: 'searchInAvinode',
          description: 'Compare in Avinode',
          httpMethod: 'GET',
          href: this.searchLink(rfq.id),
        },
        viewInAvinode: {
          type: 'viewInAvinode',
          description: 'View in Avinode',
          httpMethod: 'GET',
          href: this.viewLink(trip.id),
        },
      },
    };
  }

  lift(lift: LiftRecord, include: ReadonlySet<string> = new Set()) {
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
      ...(latest && lift.status === 'Accepted'
        ? { sellerPrice: { price: latest.price, currency: latest.currency } }
        : {}),
      links: { quotes: lift.quoteIds.map((id) => ({ id, href: this.apiHref(`quotes/${id}`), type: 'quotes' })) },
      // [inferred] shape: the flag is documented, where the quote appears is not (here: the quote resource itself).
      ...(latest && include.has('latestquote') && this.options.inferredShapes
        ? { latestQuote: this.quote(latest, include) }
        : {}),
      actions: {
        viewInAvinode: {
          type: 'viewInAvinode',
          description: 'View in Avinode',
          httpMethod: 'GET',
          href: this.viewLink(lift.rfqId),
        },
      },
    };
  }

  latestQuote(lift: LiftRecord): QuoteRecord | undefined {
    const id = lift.quoteIds[lift.quoteIds.length - 1];
    return id ? this.store.quotes.get(id) : undefined;
  }

  /** A quote; `include` holds the documented include flags asked for (quotebreakdown, sellercontactinfo, taildetails). */
  quote(quote: QuoteRecord, include: ReadonlySet<string> = new Set(), outputCurrencies: readonly string[] = []) {
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
      lift: {
        id: lift.id,
        aircraftCategory: lift.aircraftCategory,
        aircraftType: lift.aircraftType,
        aircraftTail: lift.aircraftTail,
        maxPax: lift.maxPax,
        // [inferred] field name: what taildetails adds is not documented.
        ...(include.has('taildetails') ? { yearOfMake: lift.yearOfMake } : {}),
      },
      sellerCompany: {
        id: rfq.operator.companyId,
        displayName: rfq.operator.displayName,
        ...(include.has('sellercontactinfo') ? { contactInfo: { emails: [rfq.operator.email] } } : {}),
      },
      ...(include.has('quotebreakdown') ? { lineItems: breakdownOf(quote.price) } : {}),
      // [inferred] shape: outputCurrencies[] is documented, the field carrying the converted prices is not.
      ...(outputCurrencies.length > 0 && this.options.inferredShapes
        ? { convertedPrices: convert(quote.price, quote.currency, outputCurrencies) }
        : {}),
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
        ? {
            buyerCompany: BUYER.company,
            buyerAccount: message.actAsAccount ? { displayName: message.actAsAccount } : BUYER.account,
          }
        : { sellerCompany: { id: rfq.operator.companyId, displayName: rfq.operator.displayName } }),
      rfq: { id: rfq.id, href: this.apiHref(`rfqs/${rfq.id}`) },
      trip: { id: trip.id, tripId: trip.tripId },
      ...(message.liftId ? { lift: { id: message.liftId } } : {}),
      ...(message.quoteId ? { quote: { id: message.quoteId, href: this.apiHref(`quotes/${message.quoteId}`) } } : {}),
      // [inferred] shape: the decline request's documented fields (declineReason, message) as the buyer reads them.
      ...(message.decline && this.options.inferredShapes ? { declineReason: message.decline.reason } : {}),
    };
  }

  webhookSetting(setting: WebhookSetting) {
    const { clientSecret: _secret, ...visible } = setting;
    return { ...visible, type: 'webhooksettings', href: this.apiHref(`webhooks/settings/${setting.id}`) };
  }
}

/** Fixed rates per USD: the emulator converts for `outputCurrencies[]`, it does not follow a market. */
const PER_USD: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, CHF: 0.88, CAD: 1.36, AUD: 1.52, JPY: 151 };

function convert(price: number, currency: string, into: readonly string[]) {
  const usd = price / (PER_USD[currency] ?? 1);
  return into
    .filter((target) => PER_USD[target] !== undefined)
    .map((target) => ({ price: Math.round(usd * PER_USD[target]!), currency: target }));
}

/** A price split into the line item types operators use (submitQuote), all visible to the buyer. */
function breakdownOf(price: number) {
  const crew = Math.round(price * 0.08);
  const positioning = Math.round(price * 0.07);
  const catering = Math.round(price * 0.03);
  return [
    { type: 'FLIGHT', displayName: 'Flight time', price: price - crew - positioning - catering, visibleToBuyer: true },
    { type: 'CREW', displayName: 'Crew', price: crew, visibleToBuyer: true },
    { type: 'POSITIONING', displayName: 'Positioning', price: positioning, visibleToBuyer: true },
    { type: 'CATERING', displayName: 'Catering', price: catering, visibleToBuyer: true },
  ];
}

/** The RFQ view of a posted segment: adds airport details and a departure date-time block. */
function rfqSegment(segment: unknown) {
  if (!isRecord(segment)) return segment;
  const start = isRecord(segment.startAirport) ? segment.startAirport : {};
  const end = isRecord(segment.endAirport) ? segment.endAirport : {};
  const dateTime = isRecord(segment.dateTime) ? segment.dateTime : {};
  const local =
    typeof dateTime.date === 'string'
      ? `${dateTime.date}T${typeof dateTime.time === 'string' ? dateTime.time : '00:00'}`
      : undefined;
  return {
    ...segment,
    startAirportDetails: { icao: start.icao },
    endAirportDetails: { icao: end.icao },
    ...(local ? { departureDateTime: { dateTimeLocal: local } } : {}),
  };
}
