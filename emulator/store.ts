// In-memory marketplace data: trips, RFQs, seller lifts, quotes, trip messages, webhook settings.
// Id counters survive a reset so ids are never reused: old ids answer NOT_FOUND afterwards.
import type { SeededRandom } from './rng.ts';

export type TripStatus = 'Active' | 'Cancelled';
/** The documented statuses; a cancelled RFQ is `canceled` itself and its lifts keep theirs. */
export type LiftDisplayStatus = 'Unanswered' | 'Accepted' | 'Declined';

export interface Operator {
  companyId: string;
  displayName: string;
  email: string;
  aircraftType: string;
  aircraftCategory: string;
  tailPrefix: string;
  maxPax: number;
}

export interface TripRecord {
  id: string; // atrip-…
  tripId: string; // short, 6 characters
  externalTripId?: string;
  segments: unknown[];
  criteria: Record<string, unknown>;
  sourcing: boolean;
  status: TripStatus;
  createdOn: string;
  updatedOn: string;
  rfqIds: string[];
  cancellation?: { reason: string; messageToSeller?: string };
  /** Report trip outcome: the latest report (setting it again replaces it) and how many arrived. */
  outcome?: {
    outcome: string;
    winningSellerLiftId?: string;
    winningTenantName?: string;
    winningTail?: string;
    reportedOn: string;
    reports: number;
  };
  seq: number;
}

export interface RfqRecord {
  id: string; // arfq-…
  tripRef: string; // atrip-…
  operator: Operator;
  createdOn: string;
  updatedOn: string;
  status: TripStatus;
  /** The requested lifts (`sellerLift[]`), 0..n. */
  liftIds: string[];
  /** Quotes on the RFQ itself (`links.quotes`), each on an offered lift of its own. */
  quoteIds: string[];
  messageIds: string[];
  cancellation?: { reason?: string; messageToSeller?: string };
}

export interface LiftRecord {
  id: string; // asellerlift-…
  rfqId: string;
  /** `requested` by the broker (listed in sellerLift[]), or `offered` by the operator with a quote on the RFQ. */
  kind: 'requested' | 'offered';
  aircraftCategory: string;
  aircraftType: string;
  aircraftTail: string;
  maxPax: number;
  yearOfMake: number;
  status: LiftDisplayStatus;
  quoteIds: string[];
}

export interface QuoteRecord {
  id: string; // aquote-…
  rfqId: string;
  liftId: string;
  price: number;
  currency: string;
  sellerMessage: string;
  createdOn: string;
  updatedOn: string;
}

export interface MessageRecord {
  id: string; // asellermsg-… (operator) | abuyermsg-… (broker)
  rfqId: string;
  /** The lift a seller message answers; buyer messages are on the RFQ. */
  liftId?: string;
  message: string;
  createdOn: string;
  quoteId?: string;
  decline?: { reason: string };
  /** Buyer messages: the X-Avinode-ActAsAccount they were sent with, and suppressNotification. */
  actAsAccount?: string;
  suppressNotification?: boolean;
}

export interface WebhookSetting {
  id: string; // whs-…
  targetURI: string;
  displayName?: string;
  active: boolean;
  clientIdentifier?: string;
  clientSecret?: string;
  clientAuthenticationType?: string;
  eventTypes: string[];
  createdOn: string;
  updatedOn: string;
}

export const OPERATORS: readonly Operator[] = [
  {
    companyId: 'acomp-3100001',
    displayName: 'Example Air Charter',
    email: 'charter@example-air.test',
    aircraftCategory: 'Midsize jet',
    aircraftType: 'Citation XLS+',
    tailPrefix: 'N1',
    maxPax: 8,
  },
  {
    companyId: 'acomp-3100002',
    displayName: 'Northeast Jet Partners',
    email: 'ops@nejet.test',
    aircraftCategory: 'Light jet',
    aircraftType: 'Phenom 300',
    tailPrefix: 'N3',
    maxPax: 7,
  },
  {
    companyId: 'acomp-3100003',
    displayName: 'Atlantic Heavy Iron',
    email: 'sales@heavyiron.test',
    aircraftCategory: 'Heavy jet',
    aircraftType: 'Gulfstream G450',
    tailPrefix: 'N4',
    maxPax: 14,
  },
  {
    companyId: 'acomp-3100004',
    displayName: 'Sunshine Aviation',
    email: 'quotes@sunshine-av.test',
    aircraftCategory: 'Super midsize jet',
    aircraftType: 'Challenger 350',
    tailPrefix: 'N5',
    maxPax: 9,
  },
  {
    companyId: 'acomp-3100005',
    displayName: 'Blue Ridge Flight',
    email: 'fly@blueridge.test',
    aircraftCategory: 'Turbo prop',
    aircraftType: 'King Air 350',
    tailPrefix: 'N6',
    maxPax: 8,
  },
  {
    companyId: 'acomp-3100006',
    displayName: 'Harbor Executive Jets',
    email: 'desk@harborjets.test',
    aircraftCategory: 'Midsize jet',
    aircraftType: 'Learjet 60XR',
    tailPrefix: 'N7',
    maxPax: 7,
  },
  {
    companyId: 'acomp-3100007',
    displayName: 'Polar Long Range',
    email: 'charter@polarlr.test',
    aircraftCategory: 'Ultra long range',
    aircraftType: 'Global 6000',
    tailPrefix: 'N8',
    maxPax: 13,
  },
  {
    companyId: 'acomp-3100008',
    displayName: 'Coastline Air',
    email: 'hello@coastline.test',
    aircraftCategory: 'Super light jet',
    aircraftType: 'Citation CJ4',
    tailPrefix: 'N9',
    maxPax: 8,
  },
];

/** A representative type and seat count per category, used when the trip asks for a category. */
export const CATEGORY_AIRCRAFT: Record<string, { type: string; maxPax: number; hourly: number }> = {
  Piston: { type: 'Piper Navajo', maxPax: 6, hourly: 1800 },
  'Turbo prop': { type: 'King Air 350', maxPax: 8, hourly: 3200 },
  'Entry level jet (VLJ)': { type: 'Phenom 100', maxPax: 4, hourly: 3600 },
  'Light jet': { type: 'Phenom 300', maxPax: 7, hourly: 4800 },
  'Super light jet': { type: 'Citation CJ4', maxPax: 8, hourly: 5400 },
  'Midsize jet': { type: 'Citation XLS+', maxPax: 8, hourly: 6200 },
  'Super midsize jet': { type: 'Challenger 350', maxPax: 9, hourly: 7800 },
  'Heavy jet': { type: 'Gulfstream G450', maxPax: 14, hourly: 10500 },
  'Ultra long range': { type: 'Global 6000', maxPax: 13, hourly: 13500 },
  'VIP airliner': { type: 'Boeing BBJ', maxPax: 19, hourly: 21000 },
  Airliner: { type: 'Embraer E190', maxPax: 50, hourly: 16000 },
  'Helicopter single engine': { type: 'Bell 407', maxPax: 6, hourly: 3100 },
  'Helicopter twin engine': { type: 'AW109', maxPax: 7, hourly: 4900 },
};

const SHORT_ID_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const SHORT_ID_CHARS = `${SHORT_ID_LETTERS}23456789`;

export class MarketStore {
  trips = new Map<string, TripRecord>();
  tripsByShortId = new Map<string, TripRecord>();
  rfqs = new Map<string, RfqRecord>();
  lifts = new Map<string, LiftRecord>();
  quotes = new Map<string, QuoteRecord>();
  messages = new Map<string, MessageRecord>();
  webhookSettings = new Map<string, WebhookSetting>();

  private counters = {
    trip: 70_001_000,
    rfq: 80_004_000,
    lift: 90_001_000,
    quote: 95_550_000,
    message: 96_660_000,
    buyerMessage: 1_000_000_000,
    webhook: 1_580,
  };
  private tripSeq = 0;

  /** `idOffset` moves every id counter, so ids differ between emulator processes that share a Temporal database. */
  constructor(
    private readonly rng: SeededRandom,
    idOffset = 0,
  ) {
    for (const kind of Object.keys(this.counters) as (keyof MarketStore['counters'])[]) this.counters[kind] += idOffset;
  }

  nextId(kind: keyof MarketStore['counters']): string {
    const n = ++this.counters[kind];
    const prefix = {
      trip: 'atrip',
      rfq: 'arfq',
      lift: 'asellerlift',
      quote: 'aquote',
      message: 'asellermsg',
      buyerMessage: 'abuyermsg',
      webhook: 'whs',
    }[kind];
    return `${prefix}-${n}`;
  }

  /** Six characters of letters and digits, digit-first too (`4ND3C3`, observed); never all digits, so never a bare numeric id. */
  newShortTripId(): string {
    for (;;) {
      let id = '';
      for (let i = 0; i < 6; i++) id += this.rng.pick([...SHORT_ID_CHARS]);
      if (/[A-Z]/.test(id) && !this.tripsByShortId.has(id)) return id;
    }
  }

  addTrip(trip: Omit<TripRecord, 'seq'>): TripRecord {
    const record = { ...trip, seq: ++this.tripSeq };
    this.trips.set(record.id, record);
    this.tripsByShortId.set(record.tripId, record);
    return record;
  }

  /** Everything the weekly rebuild deletes. */
  wipe(): void {
    this.trips.clear();
    this.tripsByShortId.clear();
    this.rfqs.clear();
    this.lifts.clear();
    this.quotes.clear();
    this.messages.clear();
    this.webhookSettings.clear();
  }
}
