// RFQs, quotes and trip messages: reads only, so soft errors come back as warnings.
import { z } from 'zod';
import type { QuoteSnapshot, RfqSnapshot, TripMessageSnapshot } from '../../workflows/contract.ts';
import { FailureType } from '../../workflows/contract.ts';
import { contractViolation } from '../../workflows/failures.ts';
import type { AvinodeHttp, CallOptions } from './http.ts';
import { avinodeRoute } from './routes.ts';
import { toQuoteSnapshot, toRfqSnapshot, toTripMessageSnapshot } from './normalize.ts';
import { Quote, Rfq, TripMessage, type ErrorItem } from './schemas.ts';
import { readTrip } from './trips.ts';

export interface TripRfqsRead {
  rfqs: RfqSnapshot[];
  raw: Rfq[];
  /** Which read answered: the RFQ list, or the trip's embedded RFQs after the list 404'd. */
  source: 'rfqs' | 'trip';
  warnings: ErrorItem[];
}

/**
 * All RFQs of a trip: `GET /rfqs/{tripId}` (short id, observed), falling back to the trip read's
 * embedded `rfqs[]` when that answers 404. A 404 on the trip read too is thrown as NotFound.
 */
export async function readTripRfqs(
  http: AvinodeHttp,
  ids: { tripId: string; atripId?: string },
  options: CallOptions = {},
): Promise<TripRfqsRead> {
  try {
    const { data, warnings } = await http.call({
      ...options,
      ...avinodeRoute('readTripRfqs'),
      params: { tripId: ids.tripId },
      // Documented include flags on RFQ reads: each lift's latest quote comes along, so a poll reads no quote on its own.
      query: { ...QUOTE_INCLUDES },
      schema: z.array(Rfq),
      softErrors: 'warn',
    });
    return { rfqs: data.map(toRfqSnapshot), raw: data, source: 'rfqs', warnings };
  } catch (error) {
    if ((error as { type?: string }).type !== FailureType.NotFound || !ids.atripId) throw error;
  }
  const { trip, rfqs, warnings } = await readTrip(http, ids.atripId, options);
  return { rfqs, raw: trip.rfqs ?? [], source: 'trip', warnings };
}

export async function readRfq(
  http: AvinodeHttp,
  arfqId: string,
  options: CallOptions = {},
): Promise<{ rfq: RfqSnapshot; raw: Rfq }> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('readRfq'),
    params: { id: arfqId },
    schema: Rfq,
    softErrors: 'warn',
  });
  return { rfq: toRfqSnapshot(data), raw: data };
}

/**
 * The documented include flags that matter to a broker: the price breakdown, the operator's contact,
 * the latest version of the quote, and the aircraft's tail and type details.
 */
export const QUOTE_INCLUDES = {
  quotebreakdown: true,
  sellercontactinfo: true,
  latestquote: true,
  taildetails: true,
  typedetails: true,
} as const;

/** `GET /quotes/{id}`: `sellerPrice` is authoritative (reflects operator re-pricing). */
export async function readQuote(
  http: AvinodeHttp,
  aquoteId: string,
  options: CallOptions & { rfqId?: string; liftId?: string; outputCurrencies?: readonly string[] } = {},
): Promise<{ quote: QuoteSnapshot; raw: Quote }> {
  const { rfqId, liftId, outputCurrencies, ...call } = options;
  const { status, data } = await http.call({
    ...call,
    ...avinodeRoute('readQuote'),
    params: { id: aquoteId },
    query: { ...QUOTE_INCLUDES, ...(outputCurrencies?.length ? { 'outputCurrencies[]': outputCurrencies } : {}) },
    schema: Quote,
    softErrors: 'warn',
  });
  const quote = toQuoteSnapshot(data, { ...(rfqId ? { rfqId } : {}), ...(liftId ? { liftId } : {}) });
  if (!quote) throw contractViolation('GET', '/quotes/{id}', status, [{ path: ['sellerPrice'], code: 'missing' }]);
  return { quote, raw: data };
}

export async function readTripMessage(
  http: AvinodeHttp,
  messageId: string,
  options: CallOptions = {},
): Promise<{ message: TripMessageSnapshot; raw: TripMessage }> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('readTripMessage'),
    params: { id: messageId },
    schema: TripMessage,
    softErrors: 'warn',
  });
  return { message: toTripMessageSnapshot(data), raw: data };
}
