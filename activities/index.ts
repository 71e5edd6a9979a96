// createActivities(deps): what the worker registers. Every Avinode call gets the running
// activity's cancellation signal and attempt (find-or-create on retried createTrip). Logging
// context, heartbeats and the failure metric come from the activity interceptor (interceptors.ts).
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import type {
  AvinodeEventResolution,
  CharterActivities,
  CredentialCheck,
  EventTrip,
  FindDuplicateTripsInput,
  FindDuplicateTripsResult,
  ReadTripStateInput,
  ResolveEventOptions,
  TripState,
} from '../workflows/activity-types.ts';
import {
  FailureType,
  type AvinodeEvent,
  type DuplicateTrip,
  type QuoteSnapshot,
  type RfqSnapshot,
  type TripMessageSnapshot,
} from '../workflows/contract.ts';
import type { Config } from '../platform/config.ts';
import type { AvinodeClient } from './avinode/client.ts';
import { isLiveTrip } from './avinode/trips.ts';
import { toQuoteSnapshot } from './avinode/normalize.ts';
import { activityCallOptions, type CallOptions } from './avinode/http.ts';
import { deliverCallback } from './callbacks.ts';
import {
  failures,
  httpStatusOf,
  isCredentialFailure,
  isFailureOfType,
  isTyped,
  namingAuthMethod,
} from '../workflows/failures.ts';

export interface ActivityLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface ActivityDeps {
  avinode: AvinodeClient;
  /** HMAC key for callback signatures (CALLBACK_SECRET); without it no callback is sent. */
  callbackSecret?: string;
  logger?: ActivityLogger;
  /** undici dispatcher for callback delivery (tests: MockAgent). */
  dispatcher?: Dispatcher;
  /** Replaces the default credential probe (e.g. the doctor's explanation). */
  checkCredentials?: (options: CallOptions) => Promise<CredentialCheck>;
  callbackTimeoutMs?: number;
  /** Finds trip runs by search attribute (webhook routing); default: the activity context's client. */
  temporalClient?: Client;
  /**
   * How this worker authenticates, e.g. `OAuth client_secret_post` or `static bearer token` (never a
   * secret): appended to credential failures so a blocked run says which method was rejected.
   */
  authDescription?: string;
  /** The method's own name (`client_secret_post`, `static`): a message that already names it gets nothing appended. */
  authMethod?: string;
  /** How often and how far apart to look a trip run up before calling it unknown (visibility lag). */
  visibilityLookup?: { attempts?: number; delayMs?: number };
  /**
   * Told when Avinode comes back from something that also deletes webhook settings: a trip that
   * existed answers NOT_FOUND (the weekly wipe), or rejected credentials work again. The worker
   * re-checks its subscriptions; the call must return at once (it never fails an activity).
   */
  onAvinodeRecovered?: (event: AvinodeRecovery) => void;
}

export type AvinodeRecovery = 'trip_vanished' | 'credentials_recovered';

/** How the configured credentials authenticate, for explanations (names a method, never a value). */
export function describeAvinodeAuth(avinode: Pick<Config['avinode'], 'auth' | 'clientAuthMethod'>): string {
  return avinode.auth === 'static'
    ? 'static bearer token (AVINODE_AUTH=static)'
    : `OAuth client credentials, ${avinode.clientAuthMethod}`;
}

/** The deps a worker passes, from its loaded configuration. */
export function activityDepsFromConfig(
  config: Pick<Config, 'avinode' | 'callback'>,
  avinode: AvinodeClient,
  logger?: ActivityLogger,
): ActivityDeps {
  return {
    avinode,
    ...(config.callback.secret ? { callbackSecret: config.callback.secret } : {}),
    ...(logger ? { logger } : {}),
    authDescription: describeAvinodeAuth(config.avinode),
    authMethod: config.avinode.auth === 'static' ? 'static' : config.avinode.clientAuthMethod,
  };
}

/** An externalTripId nobody uses: the search proves the token and API token work, nothing more. */
const PROBE_EXTERNAL_ID = 'charterflow-credential-check';
/** A short trip id as Avinode shows it; anything else in a payload is not looked up. */
const PLAIN_TRIP_ID = /^[A-Za-z0-9]{1,32}$/;
/** Bounds one poll's extra reads; what is left is read by the next poll. */
const MAX_MESSAGE_READS_PER_POLL = 10;

/** `X-Avinode-ActAsAccount` of one call: the run's broker, else the worker's configured account. */
function actingAs(actAsAccount: string | undefined, options: CallOptions): CallOptions {
  return actAsAccount ? { ...options, actAsAccount } : options;
}

/**
 * The client with credential failures of every call naming how this worker authenticates, final
 * (the workflow waits in `blocked` for them); every other outcome passes unchanged.
 */
function namingAuth(client: AvinodeClient, auth: string | undefined, method: string | undefined): AvinodeClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const named = (error: unknown) => namingAuthMethod(error, auth, method);
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise
            ? result.catch((error: unknown) => {
                throw named(error);
              })
            : result;
        } catch (error) {
          throw named(error);
        }
      };
    },
  });
}

export function createActivities(deps: ActivityDeps): CharterActivities {
  const avinode = namingAuth(deps.avinode, deps.authDescription, deps.authMethod);

  function notifyRecovered(event: AvinodeRecovery): void {
    try {
      deps.onAvinodeRecovered?.(event);
    } catch (error) {
      deps.logger?.warn(
        { event, message: error instanceof Error ? error.message : String(error) },
        'recovery hook failed; ignored',
      );
    }
  }

  async function readQuotes(
    wanted: { quoteId: string; rfqId?: string; liftId?: string }[],
    options: CallOptions,
    outputCurrencies?: readonly string[],
  ): Promise<QuoteSnapshot[]> {
    const quotes: QuoteSnapshot[] = [];
    for (const { quoteId, rfqId, liftId } of wanted) {
      try {
        const { quote } = await avinode.readQuote(quoteId, {
          ...options,
          ...(rfqId ? { rfqId } : {}),
          ...(liftId ? { liftId } : {}),
          ...(outputCurrencies?.length ? { outputCurrencies } : {}),
        });
        quotes.push(quote);
      } catch (error) {
        // A withdrawn quote is not a failure of the read; the next poll shows the lift's state.
        if (!isFailureOfType(error, FailureType.NotFound)) throw error;
      }
    }
    return quotes;
  }

  /** Every quote an RFQ links: on its requested lifts and on the RFQ itself (an alternate aircraft). */
  function quotesOf(rfq: RfqSnapshot): { quoteId: string; rfqId: string; liftId?: string }[] {
    return [
      ...rfq.lifts.flatMap((lift) =>
        lift.quoteIds.map((quoteId) => ({ quoteId, rfqId: rfq.rfqId, liftId: lift.liftId })),
      ),
      ...(rfq.quoteIds ?? []).map((quoteId) => ({ quoteId, rfqId: rfq.rfqId })),
    ];
  }

  /**
   * The unread messages of RFQs with a declined lift of unknown reason: the decline message carries
   * `declineReason` and the operator's text. Each message is read once (the run passes what it read).
   */
  async function readDeclineMessages(
    rfqs: RfqSnapshot[],
    declines: NonNullable<ReadTripStateInput['declinesWithoutReason']>,
    readMessageIds: readonly string[],
    options: CallOptions,
  ): Promise<TripMessageSnapshot[]> {
    const read = new Set(readMessageIds);
    const rfqIds = new Set(declines.map((decline) => decline.rfqId));
    const wanted = rfqs
      .filter((rfq) => rfqIds.has(rfq.rfqId))
      .flatMap((rfq) => rfq.messageIds.filter((id) => !read.has(id)));
    const messages: TripMessageSnapshot[] = [];
    for (const messageId of wanted.slice(0, MAX_MESSAGE_READS_PER_POLL)) {
      try {
        messages.push((await avinode.readTripMessage(messageId, options)).message);
      } catch (error) {
        if (!isFailureOfType(error, FailureType.NotFound)) throw error;
      }
    }
    return messages;
  }

  /** Messages webhook events named without bringing them; a message that is gone is skipped. */
  async function readNamedMessages(
    messageIds: readonly string[],
    options: CallOptions,
  ): Promise<TripMessageSnapshot[]> {
    const messages: TripMessageSnapshot[] = [];
    for (const messageId of messageIds.slice(0, MAX_MESSAGE_READS_PER_POLL)) {
      try {
        messages.push((await avinode.readTripMessage(messageId, options)).message);
      } catch (error) {
        if (!isFailureOfType(error, FailureType.NotFound)) throw error;
      }
    }
    return messages;
  }

  async function readTripState({
    atripId,
    tripId,
    knownQuotes,
    declinesWithoutReason,
    readMessageIds,
    outputCurrencies,
    messageIds,
  }: ReadTripStateInput): Promise<TripState> {
    const options = activityCallOptions();
    let read;
    try {
      read = await avinode.readTripRfqs({ tripId, atripId }, options);
    } catch (error) {
      if (!isFailureOfType(error, FailureType.NotFound)) throw error;
      notifyRecovered('trip_vanished');
      throw failures.tripVanished(`GET /trips/{id} → NOT_FOUND for a trip that existed`);
    }
    const known = new Map(knownQuotes.map((quote) => [quote.quoteId, quote]));
    // With the `latestquote` include flag the read carries each lift's latest quote: only others are read on their own.
    const embedded = new Map<string, QuoteSnapshot>();
    if (!outputCurrencies?.length) {
      for (const rfq of read.raw ?? []) {
        for (const lift of rfq.sellerLift ?? []) {
          const quote = lift.latestQuote
            ? toQuoteSnapshot(lift.latestQuote, { rfqId: rfq.id, liftId: lift.id })
            : undefined;
          if (quote) embedded.set(quote.quoteId, quote);
        }
      }
    }
    const wanted: { quoteId: string; rfqId: string; liftId?: string }[] = read.rfqs.flatMap((rfq) =>
      rfq.lifts.flatMap((lift) =>
        lift.quoteIds
          .filter((quoteId, index) => {
            const before = known.get(quoteId);
            if (!before) return true;
            // The lift shows the price of its latest quote: only a difference there is worth a read.
            const latest = index === lift.quoteIds.length - 1;
            return (
              latest &&
              lift.price !== undefined &&
              (lift.price !== before.price || (lift.currency !== undefined && lift.currency !== before.currency))
            );
          })
          .map((quoteId) => ({ quoteId, rfqId: rfq.rfqId, liftId: lift.liftId })),
      ),
    );
    // Quotes on the RFQ itself carry no lift price to compare: read once when new (re-prices arrive by webhook).
    for (const rfq of read.rfqs)
      for (const quoteId of rfq.quoteIds ?? []) if (!known.has(quoteId)) wanted.push({ quoteId, rfqId: rfq.rfqId });
    const carried = wanted.flatMap(({ quoteId }) => embedded.get(quoteId) ?? []);
    const toRead = wanted.filter(({ quoteId }) => !embedded.has(quoteId));
    const byId = new Map(
      [...carried, ...(await readQuotes(toRead, options, outputCurrencies))].map((quote) => [quote.quoteId, quote]),
    );
    const quotes = wanted
      .flatMap(({ quoteId }) => byId.get(quoteId) ?? [])
      .filter((quote) => {
        const before = known.get(quote.quoteId);
        return !before || before.price !== quote.price || before.currency !== quote.currency;
      });
    const named = await readNamedMessages(messageIds ?? [], options);
    if (!declinesWithoutReason?.length)
      return { rfqs: read.rfqs, quotes, ...(named.length > 0 ? { messages: named } : {}) };
    const messages = await readDeclineMessages(
      read.rfqs,
      declinesWithoutReason,
      [...(readMessageIds ?? []), ...named.map((message) => message.messageId)],
      options,
    );
    return { rfqs: read.rfqs, quotes, messages: [...named, ...messages] };
  }

  async function resolveAvinodeEvent(
    event: AvinodeEvent,
    { outputCurrencies }: ResolveEventOptions = {},
  ): Promise<AvinodeEventResolution> {
    const options = activityCallOptions();
    let resource;
    try {
      resource = await avinode.readByHref(event.href, options);
    } catch (error) {
      if (isTyped(error, FailureType.ForeignHref, FailureType.NotFound)) {
        deps.logger?.warn(
          { eventType: event.eventType, id: event.id, failureType: (error as ApplicationFailure).type },
          'webhook resource not readable',
        );
        return { quotes: [], unresolved: (error as ApplicationFailure).message };
      }
      throw error;
    }
    const fromEvent = event.tripId ? { tripId: event.tripId } : {};
    switch (resource.type) {
      case 'rfqs': {
        const { rfq, raw } = resource.value;
        const tripId = raw.tripId ?? event.tripId;
        return {
          ...(tripId ? { tripId } : {}),
          ...(raw.trip ? { atripId: raw.trip.id } : {}),
          rfq,
          quotes: await readQuotes(quotesOf(rfq), options, outputCurrencies),
        };
      }
      case 'quotes': {
        const { quote } = resource.value;
        const rfq = quote.rfqId ? await readRfqOrNothing(quote.rfqId, options) : undefined;
        const tripId = rfq?.tripId ?? event.tripId;
        return {
          ...(tripId ? { tripId } : {}),
          ...(rfq?.atripId ? { atripId: rfq.atripId } : {}),
          ...(rfq ? { rfq: rfq.rfq } : {}),
          quotes: [quote],
        };
      }
      case 'tripmsgs': {
        const { message } = resource.value;
        const rfq = message.rfqId ? await readRfqOrNothing(message.rfqId, options) : undefined;
        const quoteIds = message.quoteId
          ? [{ quoteId: message.quoteId, ...(message.rfqId ? { rfqId: message.rfqId } : {}) }]
          : [];
        const tripId = rfq?.tripId ?? event.tripId;
        return {
          ...(tripId ? { tripId } : {}),
          ...(rfq?.atripId ? { atripId: rfq.atripId } : {}),
          ...(rfq ? { rfq: rfq.rfq } : {}),
          message,
          quotes: await readQuotes(quoteIds, options, outputCurrencies),
        };
      }
      case 'trips': {
        const { trip } = resource.value;
        return { ...fromEvent, tripId: trip.tripId, atripId: trip.id, quotes: [] };
      }
    }
  }

  async function readRfqOrNothing(
    rfqId: string,
    options: CallOptions,
  ): Promise<{ rfq: RfqSnapshot; tripId?: string; atripId?: string } | undefined> {
    try {
      const { rfq, raw } = await avinode.readRfq(rfqId, options);
      return { rfq, ...(raw.tripId ? { tripId: raw.tripId } : {}), ...(raw.trip ? { atripId: raw.trip.id } : {}) };
    } catch (error) {
      if (isFailureOfType(error, FailureType.NotFound)) return undefined;
      throw error;
    }
  }

  /**
   * The trip run carrying this short trip id, through the `AvinodeTripId` search attribute:
   * Avinode reads trips only by their `atrip-` ref, and webhook payloads carry the short id.
   */
  async function findRunByTripId(tripId: string): Promise<string | undefined> {
    // Webhook payloads are untrusted: only a plain id goes into the visibility query.
    if (!PLAIN_TRIP_ID.test(tripId)) return undefined;
    const client = deps.temporalClient ?? Context.current().client;
    const query = `WorkflowType = 'charterTripWorkflow' AND AvinodeTripId = '${tripId}'`;
    const { attempts, delayMs } = { attempts: 4, delayMs: 250, ...deps.visibilityLookup };
    for (let attempt = 1; ; attempt++) {
      for await (const execution of client.workflow.list({ query })) return execution.workflowId;
      // Visibility trails the run by a moment: a trip created just now may not be listed yet.
      if (attempt >= attempts) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  async function findTripOfEvent(event: AvinodeEvent): Promise<EventTrip> {
    const options = activityCallOptions();
    let tripRef = event.tripId;
    /** The `atrip-` ref the resource's RFQ names, once read (undefined: not read yet, null: names none). */
    let namedAtripId: string | null | undefined;
    try {
      if (!tripRef) {
        const resource = await avinode.readByHref(event.href, options);
        if (resource.type === 'trips') {
          const { trip } = resource.value;
          return {
            ...(trip.externalTripId ? { externalTripId: trip.externalTripId } : {}),
            tripId: trip.tripId,
            atripId: trip.id,
          };
        }
        const rfqId =
          resource.type === 'rfqs'
            ? resource.value.rfq.rfqId
            : resource.type === 'quotes'
              ? resource.value.quote.rfqId
              : resource.value.message.rfqId;
        const rfq =
          resource.type === 'rfqs'
            ? { tripId: resource.value.raw.tripId, atripId: resource.value.raw.trip?.id }
            : rfqId
              ? await readRfqOrNothing(rfqId, options)
              : undefined;
        tripRef = rfq?.tripId;
        namedAtripId = rfq?.atripId ?? null;
      }
      if (!tripRef) return { unresolved: 'the event names no trip' };
      if (tripRef.startsWith('atrip-')) {
        const { trip } = await avinode.readTrip(tripRef, options);
        return {
          ...(trip.externalTripId ? { externalTripId: trip.externalTripId } : {}),
          tripId: trip.tripId,
          atripId: trip.id,
        };
      }
      const workflowId = await findRunByTripId(tripRef);
      if (workflowId) return { externalTripId: workflowId, tripId: tripRef };
      // No run carries this short id: a trip charterflow did not start, or a run's second trip (a
      // create retried without a working lookup). The trip itself says whose it is, when the RFQ names it.
      const owned = PLAIN_TRIP_ID.test(tripRef) ? await tripNamedByResource(event, namedAtripId, options) : undefined;
      return owned ?? { tripId: tripRef };
    } catch (error) {
      if (isTyped(error, FailureType.NotFound, FailureType.ForeignHref, FailureType.RequestInvalid)) {
        return { unresolved: (error as ApplicationFailure).message };
      }
      throw error;
    }
  }

  /**
   * The trip an event's resource belongs to, read through the `atrip-` ref its RFQ names (`known`:
   * already read; null = names none). Undefined when nothing names it or it cannot be read.
   */
  async function tripNamedByResource(
    event: AvinodeEvent,
    known: string | null | undefined,
    options: CallOptions,
  ): Promise<EventTrip | undefined> {
    try {
      let atripId = known ?? undefined;
      if (known === undefined) {
        const resource = await avinode.readByHref(event.href, options);
        if (resource.type === 'trips') atripId = resource.value.trip.id;
        else if (resource.type === 'rfqs') atripId = resource.value.raw.trip?.id;
        else {
          const rfqId = resource.type === 'quotes' ? resource.value.quote.rfqId : resource.value.message.rfqId;
          atripId = rfqId ? (await readRfqOrNothing(rfqId, options))?.atripId : undefined;
        }
      }
      if (!atripId) return undefined;
      const { trip } = await avinode.readTrip(atripId, options);
      return {
        ...(trip.externalTripId ? { externalTripId: trip.externalTripId } : {}),
        tripId: trip.tripId,
        atripId: trip.id,
      };
    } catch (error) {
      if (isTyped(error, FailureType.NotFound, FailureType.ForeignHref)) return undefined;
      throw error;
    }
  }

  /**
   * Live trips other than the run's own that carry its externalTripId: the one an event named (read
   * directly) and what the trip lookup answers. A cancelled or vanished trip is no duplicate.
   */
  async function findDuplicateTrips({
    workflowId,
    keepAtripId,
    candidate,
    lookup = true,
  }: FindDuplicateTripsInput): Promise<FindDuplicateTripsResult> {
    const options = activityCallOptions();
    const found = new Map<string, DuplicateTrip>();
    if (candidate && candidate.atripId !== keepAtripId) {
      try {
        const { trip } = await avinode.readTrip(candidate.atripId, options);
        if (trip.externalTripId === workflowId && isLiveTrip(trip))
          found.set(trip.id, { atripId: trip.id, tripId: trip.tripId });
      } catch (error) {
        if (!isFailureOfType(error, FailureType.NotFound)) throw error;
      }
    }
    if (!lookup) return { duplicates: [...found.values()] };
    const answer = await avinode.lookUpTrips(workflowId, options);
    if (answer.status === 'answered') {
      for (const trip of answer.trips) {
        if (trip.id !== keepAtripId && trip.externalTripId === workflowId && isLiveTrip(trip))
          found.set(trip.id, { atripId: trip.id, tripId: trip.tripId });
      }
    }
    return { duplicates: [...found.values()], lookup: answer.status };
  }

  /**
   * One authenticated read: the run's own trip when it has one, else a trip search. Any HTTP answer
   * other than a credential rejection (404 after a sandbox wipe, 400, even 5xx from an unsupported
   * search) came back past authentication, so the credentials work. Network errors and 429 throw:
   * Temporal retries them, and they say nothing about the credentials.
   */
  async function probeCredentials(options: CallOptions, atripId?: string): Promise<CredentialCheck> {
    try {
      if (atripId) await avinode.readTrip(atripId, options);
      else await avinode.findTripsByExternalId(PROBE_EXTERNAL_ID, options);
      return { ok: true };
    } catch (error) {
      if (isCredentialFailure(error)) return { ok: false, explanation: (error as Error).message };
      const status = httpStatusOf(error);
      if (status !== undefined && status !== 429) return { ok: true };
      throw error;
    }
  }

  return {
    createTrip: async ({ request, workflowId }) => avinode.createTrip(request, workflowId, activityCallOptions()),
    readTripState,
    findDuplicateTrips,
    resolveAvinodeEvent,
    findTripOfEvent,
    cancelAvinodeTrip: async ({ atripId, reason, messageToSeller, actAsAccount }) => {
      try {
        const options = actingAs(actAsAccount, activityCallOptions());
        const { status } = await avinode.cancelTrip(
          atripId,
          { reason, ...(messageToSeller ? { messageToSeller } : {}) },
          options,
        );
        return { status };
      } catch (error) {
        if (isFailureOfType(error, FailureType.NotFound)) return { status: 'vanished' as const };
        throw error;
      }
    },
    reportTripOutcome: async ({ atripId, outcome, winningSellerLiftId, actAsAccount }) =>
      avinode.reportTripOutcome(
        atripId,
        { outcome, winningSellerLiftId },
        actingAs(actAsAccount, activityCallOptions()),
      ),
    sendTripMessage: async ({ rfqId, message, actAsAccount }) =>
      avinode.sendTripMessage(rfqId, { message }, actingAs(actAsAccount, activityCallOptions())),
    cancelRfq: async ({ rfqId, reason, messageToSeller, actAsAccount }) => {
      try {
        return await avinode.cancelRfq(
          rfqId,
          { reason, messageToSeller },
          actingAs(actAsAccount, activityCallOptions()),
        );
      } catch (error) {
        if (isFailureOfType(error, FailureType.NotFound)) return { status: 'vanished' as const };
        throw error;
      }
    },
    // Only blocked runs check: an ok here means credentials were rejected and work again.
    checkCredentials: async (input = {}) => {
      const options = activityCallOptions();
      const check = deps.checkCredentials
        ? await deps.checkCredentials(options)
        : await probeCredentials(options, input.atripId);
      if (check.ok) notifyRecovered('credentials_recovered');
      return check;
    },
    deliverCallback: async ({ url, event }) => {
      const options = activityCallOptions();
      return deliverCallback(url, event, {
        secret: deps.callbackSecret,
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(deps.callbackTimeoutMs ? { timeoutMs: deps.callbackTimeoutMs } : {}),
      });
    },
  };
}
