// Avinode resources → the contract's snapshots (workflow-facing, secret- and noise-free).
import type { LiftSnapshot, LiftStatus, QuoteSnapshot, RfqSnapshot, TripMessageSnapshot } from '../../workflows/contract.ts';
import type { Quote, Rfq, SellerLift, TripMessage } from './schemas.ts';

const UNKNOWN_OPERATOR = 'unknown operator';

/** `sourcingDisplayStatus` seen: Unanswered, Accepted (= quoted), Declined; numeric codes are undocumented. */
export function liftStatusOf(lift: Pick<SellerLift, 'sourcingDisplayStatus' | 'links'>): LiftStatus {
  const display = lift.sourcingDisplayStatus?.trim().toLowerCase() ?? '';
  if (display === 'accepted' || display === 'quoted') return 'quoted';
  if (display === 'declined' || display === 'rejected') return 'declined';
  if (display === 'cancelled' || display === 'canceled' || display === 'withdrawn') return 'cancelled';
  // Unanswered, empty or a status we do not know: a linked quote still means it was answered.
  return (lift.links?.quotes?.length ?? 0) > 0 ? 'quoted' : 'unanswered';
}

export function toLiftSnapshot(lift: SellerLift): LiftSnapshot {
  const status = liftStatusOf(lift);
  const price = lift.sellerPrice?.price ?? lift.sellerPrice?.amount;
  return {
    liftId: lift.id,
    status,
    ...(lift.aircraftCategory ? { aircraftCategory: lift.aircraftCategory } : {}),
    ...(lift.aircraftType ? { aircraftType: lift.aircraftType } : {}),
    ...(lift.aircraftTail ? { aircraftTail: lift.aircraftTail } : {}),
    ...(lift.maxPax !== undefined ? { maxPax: lift.maxPax } : {}),
    quoteIds: (lift.links?.quotes ?? []).map((quote) => quote.id),
    ...(status === 'quoted' && price !== undefined ? { price } : {}),
    ...(status === 'quoted' && lift.sellerPrice?.currency ? { currency: lift.sellerPrice.currency } : {}),
  };
}

export function toRfqSnapshot(rfq: Rfq): RfqSnapshot {
  return {
    rfqId: rfq.id,
    operator: rfq.sellerCompany?.displayName ?? rfq.sellerCompany?.name ?? UNKNOWN_OPERATOR,
    lifts: (rfq.sellerLift ?? []).map(toLiftSnapshot),
    messageIds: (rfq.links?.tripmsgs ?? []).map((message) => message.id),
    ...(rfq.createdOn ? { createdOn: rfq.createdOn } : {}),
  };
}

/** A quote without a price is not a quote; undefined tells the caller to treat it as a contract violation. */
export function toQuoteSnapshot(quote: Quote, context: { rfqId?: string; liftId?: string } = {}): QuoteSnapshot | undefined {
  const price = quote.sellerPrice?.price ?? quote.sellerPrice?.amount;
  const currency = quote.sellerPrice?.currency;
  if (price === undefined || !currency) return undefined;
  const rfqId = context.rfqId ?? quote.rfq?.id ?? quote.links?.rfq?.id ?? quote.links?.rfqs?.[0]?.id;
  const liftId = context.liftId ?? quote.links?.lift?.id ?? quote.lift?.id;
  return {
    quoteId: quote.id,
    ...(rfqId ? { rfqId } : {}),
    ...(liftId ? { liftId } : {}),
    operator: quote.sellerCompany?.displayName ?? quote.sellerCompany?.name ?? UNKNOWN_OPERATOR,
    ...(quote.lift?.aircraftCategory ? { aircraftCategory: quote.lift.aircraftCategory } : {}),
    ...(quote.lift?.aircraftType ? { aircraftType: quote.lift.aircraftType } : {}),
    ...(quote.lift?.aircraftTail ? { aircraftTail: quote.lift.aircraftTail } : {}),
    ...(quote.lift?.maxPax !== undefined ? { seats: quote.lift.maxPax } : {}),
    price,
    currency,
    ...(quote.sellerMessage ? { sellerMessage: quote.sellerMessage } : {}),
    ...(quote.createdOn ? { createdOn: quote.createdOn } : {}),
    ...(quote.updatedOn ? { updatedOn: quote.updatedOn } : {}),
  };
}

export function toTripMessageSnapshot(message: TripMessage): TripMessageSnapshot {
  const quoteId = message.quote?.id ?? message.links?.quotes?.[0]?.id;
  const rfqId = message.rfq?.id ?? message.links?.rfq?.id ?? message.links?.rfqs?.[0]?.id;
  const operator = message.sellerCompany?.displayName ?? message.sellerCompany?.name;
  const declineReason = message.declineReason ?? message.decline?.reason;
  return {
    messageId: message.id,
    direction: message.id.startsWith('abuyermsg-') ? 'sent' : 'received',
    ...(operator ? { operator } : {}),
    text: message.message ?? '',
    ...(quoteId ? { quoteId } : {}),
    ...(rfqId ? { rfqId } : {}),
    ...(message.lift?.id ? { liftId: message.lift.id } : {}),
    ...(declineReason ? { declineReason } : {}),
    ...(message.createdOn ? { createdOn: message.createdOn } : {}),
  };
}
