// Avinode resources → the contract's snapshots (workflow-facing, secret- and noise-free).
import type {
  LiftSnapshot,
  LiftStatus,
  QuoteLineItem,
  QuoteSnapshot,
  RfqSnapshot,
  TripMessageSnapshot,
} from '../../workflows/contract.ts';
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
  const rfqQuoteIds = (rfq.links?.quotes ?? []).map((quote) => quote.id);
  const cancellation = rfq.cancellation;
  return {
    rfqId: rfq.id,
    operator: rfq.sellerCompany?.displayName ?? rfq.sellerCompany?.name ?? UNKNOWN_OPERATOR,
    lifts: (rfq.sellerLift ?? []).map(toLiftSnapshot),
    ...(rfqQuoteIds.length > 0 ? { quoteIds: rfqQuoteIds } : {}),
    messageIds: (rfq.links?.tripmsgs ?? []).map((message) => message.id),
    ...(rfq.canceled === true
      ? {
          cancelled: {
            by: rfq.buyerAccount?.displayName ? `${rfq.buyerAccount.displayName} (broker)` : 'the broker',
            ...(cancellation?.reason ? { reason: cancellation.reason } : {}),
            ...(cancellation?.messageToSeller ? { message: cancellation.messageToSeller } : {}),
          },
        }
      : {}),
    ...(rfq.createdOn ? { createdOn: rfq.createdOn } : {}),
  };
}

/** A quote without a price is not a quote; undefined tells the caller to treat it as a contract violation. */
export function toQuoteSnapshot(
  quote: Quote,
  context: { rfqId?: string; liftId?: string } = {},
): QuoteSnapshot | undefined {
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
    ...convertedOf(quote),
    ...withoutCommission(quote),
    ...lineItemsOf(quote),
    ...(quote.lift?.yearOfMake !== undefined ? { yearOfMake: quote.lift.yearOfMake } : {}),
    ...contactOf(quote),
    ...(quote.sellerMessage ? { sellerMessage: quote.sellerMessage } : {}),
    ...(quote.createdOn ? { createdOn: quote.createdOn } : {}),
    ...(quote.updatedOn ? { updatedOn: quote.updatedOn } : {}),
  };
}

function convertedOf(quote: Quote): Pick<QuoteSnapshot, 'convertedPrices'> {
  const converted = (quote.convertedPrices ?? []).flatMap((money) => {
    const price = money.price ?? money.amount;
    return price !== undefined && money.currency ? [{ price, currency: money.currency }] : [];
  });
  return converted.length > 0 ? { convertedPrices: converted } : {};
}

function withoutCommission(quote: Quote): Pick<QuoteSnapshot, 'priceWithoutCommission'> {
  const net = quote.sellerPriceWithoutCommission;
  const price = net?.price ?? net?.amount;
  return price !== undefined && net?.currency ? { priceWithoutCommission: { price, currency: net.currency } } : {};
}

/** Line items the buyer may see; an item without a price says nothing and is left out. */
function lineItemsOf(quote: Quote): Pick<QuoteSnapshot, 'lineItems'> {
  const items = (quote.lineItems ?? []).flatMap((item): QuoteLineItem[] =>
    item && item.price !== undefined && item.visibleToBuyer !== false
      ? [
          {
            type: item.type ?? 'OTHER',
            ...(item.displayName ? { displayName: item.displayName } : {}),
            price: item.price,
            visibleToBuyer: true,
          },
        ]
      : [],
  );
  return items.length > 0 ? { lineItems: items } : {};
}

function contactOf(quote: Quote): Pick<QuoteSnapshot, 'sellerContact'> {
  const info = quote.sellerCompany?.contactInfo;
  if (!info) return {};
  const contact = {
    ...(info.name ? { name: info.name } : {}),
    ...(info.emails?.length ? { emails: info.emails } : {}),
    ...(info.phone ? { phone: info.phone } : {}),
  };
  return Object.keys(contact).length > 0 ? { sellerContact: contact } : {};
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
