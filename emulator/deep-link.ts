// The pages behind `searchInAvinode` / `viewInAvinode`: the stored itinerary, so "pre-filled" is
// checkable, and a form that performs the broker's manual "Send RFQs" step.
import { formBody, html, htmlEscape, isRecord, type Reply, type Router } from './http-kit.ts';
import { ActorError, type Marketplace } from './marketplace.ts';
import type { MarketStore, TripRecord } from './store.ts';

export function registerDeepLinks(router: Router, deps: { store: MarketStore; market: Marketplace }): void {
  const { store, market } = deps;
  const tripFor = (id: string): TripRecord | undefined => {
    if (id.startsWith('arfq-')) {
      const rfq = store.rfqs.get(id);
      return rfq ? store.trips.get(rfq.tripRef) : undefined;
    }
    return store.trips.get(id);
  };
  const show = (id: string, notice?: string): Reply => {
    const trip = tripFor(id);
    return trip
      ? html(200, tripPage(trip, store, notice))
      : html(
          404,
          page(
            'Trip not found',
            `<p>No trip <code>${htmlEscape(id)}</code> exists in this sandbox (it may have been wiped by a reset).</p>`,
          ),
        );
  };

  router.add('GET', '/marketplace/mvc/search/load/:id', (ctx) => show(ctx.params.id!));
  router.add('GET', '/marketplace/mvc/trips/buying/:id', (ctx) => show(ctx.params.id!));
  router.add('POST', '/marketplace/mvc/trips/:id/send-rfqs', (ctx) => {
    const trip = tripFor(ctx.params.id!);
    if (!trip) return show(ctx.params.id!);
    const operators = Number(formBody(ctx).get('operators') ?? '3');
    if (!Number.isInteger(operators) || operators < 1 || operators > 20)
      return html(400, tripPage(trip, store, 'Choose between 1 and 20 operators.'));
    try {
      const rfqs = market.sendRfqs(trip.id, operators);
      return {
        status: 303,
        headers: { location: `/marketplace/mvc/trips/buying/${trip.id}?source=api&sent=${rfqs.length}` },
      };
    } catch (error) {
      if (error instanceof ActorError)
        return html(error.reply.status, tripPage(trip, store, 'RFQs cannot be sent for this trip.'));
      throw error;
    }
  });
}

function tripPage(trip: TripRecord, store: MarketStore, notice?: string): string {
  const legs = trip.segments.map((segment, index) => {
    const s = isRecord(segment) ? segment : {};
    const from = isRecord(s.startAirport) ? s.startAirport.icao : '';
    const to = isRecord(s.endAirport) ? s.endAirport.icao : '';
    const dateTime = isRecord(s.dateTime) ? s.dateTime : {};
    const time = s.timeTBD === true ? 'TBD' : (dateTime.time ?? 'TBD');
    const pax = s.paxTBD === true ? 'TBD' : s.paxCount;
    return `<tr data-leg="${index}"><td class="from">${htmlEscape(from)}</td><td class="to">${htmlEscape(to)}</td><td class="date">${htmlEscape(dateTime.date)}</td><td class="time">${htmlEscape(time)}</td><td class="pax">${htmlEscape(pax)}</td></tr>`;
  });
  const lifts = Array.isArray(trip.criteria.requiredLift) ? trip.criteria.requiredLift : [];
  const category =
    lifts
      .map((lift) => (isRecord(lift) ? (lift.aircraftCategory ?? lift.aircraftType ?? lift.aircraftTail) : ''))
      .filter(Boolean)
      .join(', ') || 'Any';
  const rfqRows = trip.rfqIds.map((rfqId) => {
    const rfq = store.rfqs.get(rfqId)!;
    const lift = store.lifts.get(rfq.liftIds[0]!)!;
    const quote = lift.quoteIds.length ? store.quotes.get(lift.quoteIds[lift.quoteIds.length - 1]!) : undefined;
    return `<tr><td>${htmlEscape(rfq.id)}</td><td>${htmlEscape(rfq.operator.displayName)}</td><td>${htmlEscape(lift.aircraftType)} (${htmlEscape(lift.aircraftCategory)})</td><td class="status">${htmlEscape(lift.status)}</td><td>${quote ? `${htmlEscape(quote.price)} ${htmlEscape(quote.currency)}` : ''}</td></tr>`;
  });
  const form =
    trip.status === 'Active'
      ? `<form method="post" action="/marketplace/mvc/trips/${htmlEscape(trip.id)}/send-rfqs"><label>Operators <input name="operators" type="number" min="1" max="20" value="3"></label> <button type="submit" id="send-rfqs">Send RFQs</button></form>`
      : '<p class="cancelled">This trip is cancelled.</p>';
  return page(
    `Trip ${trip.tripId}`,
    `${notice ? `<p class="notice">${htmlEscape(notice)}</p>` : ''}
<dl><dt>Trip ID</dt><dd id="trip-id">${htmlEscape(trip.tripId)}</dd><dt>Reference</dt><dd id="atrip-id">${htmlEscape(trip.id)}</dd>
<dt>External ID</dt><dd id="external-id">${htmlEscape(trip.externalTripId ?? '')}</dd><dt>Status</dt><dd id="status">${htmlEscape(trip.status)}</dd>
<dt>Aircraft category</dt><dd id="category">${htmlEscape(category)}</dd></dl>
<h2>Itinerary</h2>
<table id="legs"><thead><tr><th>From</th><th>To</th><th>Date</th><th>Time</th><th>Pax</th></tr></thead><tbody>${legs.join('')}</tbody></table>
<h2>RFQs</h2>
${rfqRows.length ? `<table id="rfqs"><thead><tr><th>RFQ</th><th>Operator</th><th>Aircraft</th><th>Status</th><th>Price</th></tr></thead><tbody>${rfqRows.join('')}</tbody></table>` : '<p id="no-rfqs">No RFQs sent yet.</p>'}
${form}`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${htmlEscape(title)} · Avinode sandbox emulator</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}</style>
</head><body><h1>${htmlEscape(title)}</h1>${body}</body></html>`;
}
