// The Avinode API client the activities and the `charterflow avinode` commands use.
import { failures } from '../../workflows/failures.ts';
import type { CreateTripResult, TripCriteria } from '../../workflows/activity-types.ts';
import { AvinodeHttp, type AvinodeHttpOptions, type CallOptions } from './http.ts';
import { readQuote, readRfq, readTripMessage, readTripRfqs } from './rfqs.ts';
import {
  cancelTrip,
  createTrip,
  findTripsByExternalId,
  readTrip,
  searchTripsLookup,
  type CancelTripRequest,
  type CreateTripOptions,
  type ExistingTripLookup,
} from './trips.ts';
import { cancelRfq, reportTripOutcome, sendTripMessage, type TripOutcomeReport } from './decisions.ts';
import {
  createWebhookSetting,
  listWebhookSettings,
  updateWebhookSetting,
  type WebhookSettingInput,
} from './webhooks.ts';

export interface AvinodeClientOptions extends AvinodeHttpOptions {
  /** How a retried create looks for the trip an earlier attempt stored; default searchTripsLookup. */
  tripLookup?: ExistingTripLookup;
}

/** A resource an href (webhook payload, `links`) points at, read through the client. */
export type HrefResource =
  | { type: 'rfqs'; value: Awaited<ReturnType<typeof readRfq>> }
  | { type: 'tripmsgs'; value: Awaited<ReturnType<typeof readTripMessage>> }
  | { type: 'quotes'; value: Awaited<ReturnType<typeof readQuote>> }
  | { type: 'trips'; value: Awaited<ReturnType<typeof readTrip>> };

export function createAvinodeClient(options: AvinodeClientOptions) {
  const http = new AvinodeHttp(options);
  const tripLookup = options.tripLookup ?? searchTripsLookup;
  return {
    http,
    baseUrl: http.baseUrl,
    close: () => http.close(),
    createTrip: (request: TripCriteria, externalTripId: string, opts?: CreateTripOptions): Promise<CreateTripResult> =>
      createTrip(http, request, externalTripId, {
        lookup: tripLookup,
        ...(options.logger ? { logger: options.logger } : {}),
        ...opts,
      }),
    findTripsByExternalId: (externalTripId: string, opts?: CallOptions) =>
      findTripsByExternalId(http, externalTripId, opts),
    /** The configured lookup: live trips with exactly this externalTripId, oldest first, or `unavailable`. */
    lookUpTrips: (externalTripId: string, opts: CallOptions = {}) => tripLookup.find(http, externalTripId, opts),
    readTrip: (atripId: string, opts?: CallOptions) => readTrip(http, atripId, opts),
    readTripRfqs: (ids: { tripId: string; atripId?: string }, opts?: CallOptions) => readTripRfqs(http, ids, opts),
    readRfq: (arfqId: string, opts?: CallOptions) => readRfq(http, arfqId, opts),
    readQuote: (
      aquoteId: string,
      opts?: CallOptions & { rfqId?: string; liftId?: string; outputCurrencies?: readonly string[] },
    ) => readQuote(http, aquoteId, opts),
    readTripMessage: (messageId: string, opts?: CallOptions) => readTripMessage(http, messageId, opts),
    cancelTrip: (atripId: string, cancel: CancelTripRequest, opts?: CallOptions) =>
      cancelTrip(http, atripId, cancel, opts),
    reportTripOutcome: (atripId: string, report: TripOutcomeReport, opts?: CallOptions) =>
      reportTripOutcome(http, atripId, report, opts),
    sendTripMessage: (
      arfqId: string,
      message: { message: string; suppressNotification?: boolean },
      opts?: CallOptions,
    ) => sendTripMessage(http, arfqId, message, opts),
    cancelRfq: (arfqId: string, cancel: CancelTripRequest & { messageToSeller: string }, opts?: CallOptions) =>
      cancelRfq(http, arfqId, cancel, opts),
    listWebhookSettings: (opts?: CallOptions) => listWebhookSettings(http, opts),
    createWebhookSetting: (setting: WebhookSettingInput, opts?: CallOptions) =>
      createWebhookSetting(http, setting, opts),
    updateWebhookSetting: (id: string, setting: Partial<WebhookSettingInput>, opts?: CallOptions) =>
      updateWebhookSetting(http, id, setting, opts),
    /**
     * Follows an href from untrusted input (webhook payloads): only into the configured API
     * origin and only to a known resource kind; anything else is a ForeignHref failure.
     */
    readByHref: async (href: string, opts?: CallOptions): Promise<HrefResource> => {
      const path = http.pathOfHref(href);
      const match = /^\/(rfqs|tripmsgs|quotes|trips)\/([^/?#]+)$/.exec(path);
      const id = match?.[2] ? decodeURIComponent(match[2]) : undefined;
      switch (match?.[1]) {
        case 'rfqs':
          return { type: 'rfqs', value: await readRfq(http, id!, opts) };
        case 'tripmsgs':
          return { type: 'tripmsgs', value: await readTripMessage(http, id!, opts) };
        case 'quotes':
          return { type: 'quotes', value: await readQuote(http, id!, opts) };
        case 'trips':
          return { type: 'trips', value: await readTrip(http, id!, opts) };
        default:
          throw failures.foreignHref('refused href: not a trip, rfq, quote or trip message of the Avinode API');
      }
    },
  };
}

export type AvinodeClient = ReturnType<typeof createAvinodeClient>;
