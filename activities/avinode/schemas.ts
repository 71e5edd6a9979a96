// zod schemas for Avinode responses. Plain z.object everywhere: unknown keys are dropped, never
// rejected (Avinode adds fields without notice). Ids keep their prefixes (`atrip-…`); a bare or
// differently prefixed id is a contract violation rather than something to "fix".
import { z } from 'zod';

const prefixed = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-\\S+$`), { message: `expected an id starting with ${prefix}-` });
/** Any Avinode resource id: letters, a dash, then the rest (`[a-zA-Z]+-…` in the reference). */
export const ResourceId = z.string().regex(/^[a-zA-Z]+-\S+$/, { message: 'expected a prefixed id' });
export const TripRef = prefixed('atrip');
export const RfqRef = prefixed('arfq');
export const QuoteRef = prefixed('aquote');
export const LiftRef = prefixed('asellerlift');
export const MessageRef = z
  .string()
  .regex(/^a(buyer|seller)msg-\S+$/, { message: 'expected an abuyermsg-/asellermsg- id' });

export const ErrorItem = z.object({
  code: z.string(),
  title: z.string().optional(),
  path: z.string().optional(),
});
export type ErrorItem = z.infer<typeof ErrorItem>;

const messages = z.array(ErrorItem).catch([]).default([]);
export const Meta = z.object({ errors: messages, warnings: messages, infos: messages });

/** `{meta, data}`; hard errors may carry no data, OAuth-style 401s carry `error` instead. */
export const Envelope = z.object({
  meta: Meta.optional(),
  data: z.unknown().optional(),
  error: z.string().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

export const Action = z.object({
  type: z.string().optional(),
  description: z.string().optional(),
  httpMethod: z.string().optional(),
  href: z.string(),
});
export type Action = z.infer<typeof Action>;
const Actions = z.record(z.string(), Action.optional().catch(undefined));

const Link = z.object({ id: ResourceId, href: z.string().optional(), type: z.string().optional() });

const Airport = z.object({ icao: z.string().optional(), name: z.string().optional(), city: z.string().optional() });
export const Segment = z.object({
  startAirport: Airport.optional(),
  endAirport: Airport.optional(),
  dateTime: z
    .object({
      date: z.string().optional(),
      time: z.string().optional(),
      departure: z.boolean().optional(),
      local: z.boolean().optional(),
    })
    .optional(),
  paxCount: z.union([z.string(), z.number()]).optional(),
});

const ContactInfo = z
  .object({
    emails: z.array(z.string()).optional().catch(undefined),
    phone: z.string().optional().catch(undefined),
    name: z.string().optional().catch(undefined),
  })
  .optional()
  .catch(undefined);
const Company = z.object({
  id: z.string().optional(),
  displayName: z.string().optional(),
  name: z.string().optional(),
  contactInfo: ContactInfo,
});
/** `quotebreakdown` line items (submitQuote's documented fields); a malformed item is dropped, not fatal. */
const LineItem = z.object({
  type: z.string().optional(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  price: z.number().optional(),
  visibleToBuyer: z.boolean().optional(),
});
const Money = z.object({
  price: z.number().optional(),
  amount: z.number().optional(),
  currency: z.string().optional(),
});

export const SellerLift = z.object({
  id: LiftRef,
  aircraftCategory: z.string().optional(),
  aircraftType: z.string().optional(),
  aircraftTail: z.string().optional(),
  maxPax: z.number().optional(),
  sourcingDisplayStatus: z.string().optional(),
  sourcingStatus: z.number().optional(),
  sellerPrice: Money.optional(),
  links: z.object({ quotes: z.array(Link).optional() }).optional(),
  actions: Actions.optional(),
  /** The lift's latest quote, with the `latestquote` include flag [inferred shape]; a malformed one is read on its own. */
  latestQuote: z
    .lazy(() => Quote)
    .optional()
    .catch(undefined),
});
export type SellerLift = z.infer<typeof SellerLift>;

export const Rfq = z.object({
  id: RfqRef,
  type: z.string().optional(),
  href: z.string().optional(),
  tripId: z.string().optional(),
  createdOn: z.string().optional(),
  updatedOn: z.string().optional(),
  sellerCompany: Company.optional(),
  buyerCompany: Company.optional(),
  segments: z.array(Segment).optional(),
  sellerLift: z.array(SellerLift).optional(),
  links: z.object({ tripmsgs: z.array(Link).optional(), quotes: z.array(Link).optional() }).optional(),
  actions: Actions.optional(),
  /** The trip's `atrip-` ref, when the RFQ names it (the documented content has only the short `tripId`). */
  trip: z.object({ id: TripRef }).optional().catch(undefined),
  /** Documented on cancelled RFQs. */
  canceled: z.boolean().optional().catch(undefined),
  /** Reason and message of a cancellation, where a read carries them (not documented: decoration only). */
  cancellation: z
    .object({ reason: z.string().optional(), messageToSeller: z.string().optional() })
    .optional()
    .catch(undefined),
  buyerAccount: z.object({ displayName: z.string().optional() }).optional().catch(undefined),
});
export type Rfq = z.infer<typeof Rfq>;

export const Trip = z.object({
  id: TripRef,
  type: z.string().optional(),
  tripId: z.string().min(1),
  href: z.string().optional(),
  externalTripId: z.string().optional(),
  createdOn: z.string().optional(),
  updatedOn: z.string().optional(),
  status: z.string().optional(),
  segments: z.array(Segment).optional(),
  actions: Actions.optional(),
  rfqs: z.array(Rfq).optional(),
});
export type Trip = z.infer<typeof Trip>;

export const Quote = z.object({
  id: QuoteRef,
  type: z.string().optional(),
  href: z.string().optional(),
  createdOn: z.string().optional(),
  updatedOn: z.string().optional(),
  sellerPrice: Money.optional(),
  sellerPriceWithoutCommission: Money.optional(),
  /** Prices in the `outputCurrencies[]` asked for [inferred shape: the conversion's field is not documented]. */
  convertedPrices: z.array(Money).optional().catch(undefined),
  sellerMessage: z.string().optional(),
  sellerCompany: Company.optional(),
  lineItems: z.array(LineItem.optional().catch(undefined)).optional().catch(undefined),
  lift: z
    .object({
      id: z.string().optional(),
      aircraftCategory: z.string().optional(),
      aircraftType: z.string().optional(),
      aircraftTail: z.string().optional(),
      maxPax: z.number().optional(),
      yearOfMake: z.number().int().optional().catch(undefined),
    })
    .optional(),
  rfq: z.object({ id: RfqRef }).optional(),
  links: z.object({ rfqs: z.array(Link).optional(), rfq: Link.optional(), lift: Link.optional() }).optional(),
  segments: z.array(Segment).optional(),
});
export type Quote = z.infer<typeof Quote>;

export const TripMessage = z.object({
  id: MessageRef,
  type: z.string().optional(),
  href: z.string().optional(),
  message: z.string().optional(),
  createdOn: z.string().optional(),
  sellerCompany: Company.optional(),
  buyerAccount: z.object({ displayName: z.string().optional() }).optional(),
  quote: z.object({ id: QuoteRef }).optional(),
  rfq: z.object({ id: RfqRef }).optional(),
  /** The trip the message is on, where a read names it [inferred shape]: the receiver routes chats by it. */
  trip: z
    .object({ id: TripRef.optional().catch(undefined), tripId: z.string().optional().catch(undefined) })
    .optional()
    .catch(undefined),
  lift: z.object({ id: LiftRef }).optional().catch(undefined),
  /** A decline's reason: the documented decline body field (`declineReason`); older emulator shape `decline.reason`. */
  declineReason: z.string().optional().catch(undefined),
  decline: z.object({ reason: z.string().optional() }).optional().catch(undefined),
  links: z
    .object({ quotes: z.array(Link).optional(), rfqs: z.array(Link).optional(), rfq: Link.optional() })
    .optional(),
});
export type TripMessage = z.infer<typeof TripMessage>;

export const WebhookSetting = z.object({
  id: z.string().min(1),
  targetURI: z.string().optional(),
  displayName: z.string().optional(),
  active: z.boolean().optional(),
  clientIdentifier: z.string().optional(),
  clientAuthenticationType: z.string().optional(),
  eventTypes: z.array(z.string()).optional(),
});
export type WebhookSetting = z.infer<typeof WebhookSetting>;

/** A thin webhook payload (untrusted input). */
export const WebhookPayload = z.object({
  id: ResourceId,
  href: z.string(),
  type: z.string(),
  tripId: z.string().optional(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;
