// Trips: the documented POST /trips body built from our TripRequest, find-or-create, read, cancel.
import type { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { CancelReason, DeepLinks, TripCreated } from '../../workflows/contract.ts';
import type { CreateTripResult, TripCriteria } from '../../workflows/activity-types.ts';
import { failures, httpStatusOf, softErrorFailure } from '../../workflows/failures.ts';
import type { AvinodeHttp, CallOptions } from './http.ts';
import { avinodeRoute } from './routes.ts';
import { toRfqSnapshot } from './normalize.ts';
import { Trip, type ErrorItem } from './schemas.ts';
import type { RfqSnapshot } from '../../workflows/contract.ts';

export interface CreateTripSegment {
  startAirport: { icao: string };
  endAirport: { icao: string };
  dateTime: { date: string; time?: string; departure: boolean; local: boolean };
  paxCount?: string;
  paxSegment: true;
  paxTBD: boolean;
  timeTBD: boolean;
}

export interface CreateTripBody {
  externalTripId: string;
  sourcing: true;
  criteria: {
    requiredLift?: { aircraftCategory?: string; aircraftType?: string; aircraftTail?: string }[];
    maxFuelStopsPerSegment?: number;
    minimumYearOfMake?: number;
    includeLiftUpgrades?: boolean;
  };
  segments: CreateTripSegment[];
}

function invalidInput(problem: string): ApplicationFailure {
  return failures.requestInvalid(`trip request: ${problem}`);
}

/**
 * The documented body (avinode-api.md §5). Undocumented shapes (`legs`, `passengers`,
 * `criteria.legs`) are accepted by the sandbox but produce trips with no itinerary, so only
 * `segments` is ever sent; lift entries carry no empty `aircraftType`/`aircraftTail` (422).
 */
export function buildCreateTripBody(trip: TripCriteria, externalTripId: string): CreateTripBody {
  if (!externalTripId.trim()) throw invalidInput('externalTripId is empty');
  if (trip.legs.length === 0) throw invalidInput('legs: at least one leg is required');
  const segments = trip.legs.map((leg, index): CreateTripSegment => {
    const from = leg.from.trim().toUpperCase();
    const to = leg.to.trim().toUpperCase();
    if (!/^[A-Z0-9]{4}$/.test(from)) throw invalidInput(`legs[${index}].from: expected a 4-character ICAO code`);
    if (!/^[A-Z0-9]{4}$/.test(to)) throw invalidInput(`legs[${index}].to: expected a 4-character ICAO code`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(leg.date)) throw invalidInput(`legs[${index}].date: expected YYYY-MM-DD`);
    if (leg.time !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(leg.time))
      throw invalidInput(`legs[${index}].time: expected HH:MM`);
    const paxTBD = leg.paxTBD === true;
    if (!paxTBD && (leg.pax === undefined || !Number.isInteger(leg.pax) || leg.pax < 1))
      throw invalidInput(`legs[${index}].pax: expected a whole number ≥ 1`);
    const timeTBD = leg.time === undefined;
    return {
      startAirport: { icao: from },
      endAirport: { icao: to },
      dateTime: {
        date: leg.date,
        ...(timeTBD ? {} : { time: leg.time }),
        departure: leg.arrival !== true,
        local: leg.utc !== true,
      },
      ...(leg.pax !== undefined ? { paxCount: String(leg.pax) } : {}),
      paxSegment: true,
      paxTBD,
      timeTBD,
    };
  });
  const category = trip.aircraftCategory?.trim();
  const lifts = trip.requiredLift?.length ? trip.requiredLift : category ? [{ aircraftCategory: category }] : [];
  return {
    externalTripId,
    sourcing: true,
    criteria: {
      // Only non-empty strings: an empty aircraftType/aircraftTail is 422 LIFT_INVALID (observed).
      ...(lifts.length > 0
        ? {
            requiredLift: lifts.map((lift) =>
              Object.fromEntries(
                Object.entries(lift).filter(([, value]) => typeof value === 'string' && value.trim() !== ''),
              ),
            ),
          }
        : {}),
      ...(trip.maxFuelStopsPerSegment !== undefined ? { maxFuelStopsPerSegment: trip.maxFuelStopsPerSegment } : {}),
      ...(trip.minimumYearOfMake !== undefined ? { minimumYearOfMake: trip.minimumYearOfMake } : {}),
      ...(trip.includeLiftUpgrades !== undefined ? { includeLiftUpgrades: trip.includeLiftUpgrades } : {}),
    },
    segments,
  };
}

export function deepLinksOf(trip: Pick<Trip, 'actions'>): DeepLinks {
  const actions = trip.actions ?? {};
  const links: DeepLinks = {};
  if (actions.searchInAvinode?.href) links.searchInAvinode = actions.searchInAvinode.href;
  if (actions.viewInAvinode?.href) links.viewInAvinode = actions.viewInAvinode.href;
  if (actions.cancel?.href) links.cancel = actions.cancel.href;
  return links;
}

function tripCreated(http: AvinodeHttp, trip: Trip, reused: boolean): TripCreated {
  return {
    atripId: trip.id,
    tripId: trip.tripId,
    href: trip.href ?? `${http.baseUrl}/trips/${encodeURIComponent(trip.id)}`,
    deepLinks: deepLinksOf(trip),
    reused,
  };
}

/** A live trip: not cancelled. A cancelled trip is never adopted, and never counts as a duplicate. */
export function isLiveTrip(trip: Pick<Trip, 'status'>): boolean {
  return !/^cancel/i.test(trip.status ?? '');
}

/** Oldest first (createdOn, then the id's number): every reader picks the same trip to keep. */
export function byCreation(a: Pick<Trip, 'id' | 'createdOn'>, b: Pick<Trip, 'id' | 'createdOn'>): number {
  const at = (trip: Pick<Trip, 'createdOn'>) => (trip.createdOn ? Date.parse(trip.createdOn) : Number.NaN);
  const byTime = (at(a) || 0) - (at(b) || 0);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  const number = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? Number.POSITIVE_INFINITY);
  return number(a.id) - number(b.id);
}

/**
 * Trips whose `externalTripId` equals ours exactly, newest first (`GET /trips?externalTripId=`, the
 * inferred "Search trips"). A host that ignores the parameter answers other trips: never kept.
 */
export async function findTripsByExternalId(
  http: AvinodeHttp,
  externalTripId: string,
  options: CallOptions = {},
): Promise<Trip[]> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('searchTrips'),
    query: { externalTripId },
    schema: z.array(Trip),
    softErrors: 'warn',
  });
  return data.filter((trip) => trip.externalTripId === externalTripId);
}

export type TripLookupAnswer = { status: 'answered'; trips: Trip[] } | { status: 'unavailable'; reason: string };

/**
 * How a retried create finds the trip an earlier attempt may have stored. One replaceable strategy:
 * Avinode documents no lookup by `externalTripId`, so the search is an inference that may be missing.
 * `find` answers the **live** trips whose `externalTripId` equals ours exactly, oldest first, or
 * `unavailable` when this host cannot answer; it throws what is worth retrying (network, 401, 429).
 */
export interface ExistingTripLookup {
  readonly name: string;
  find(http: AvinodeHttp, externalTripId: string, options: CallOptions): Promise<TripLookupAnswer>;
}

/** Avinode error codes a failure carries (its HttpFailureDetails). */
function codesOf(error: unknown): string[] {
  const details = (error as { details?: unknown[] } | null)?.details?.[0] as { codes?: unknown } | undefined;
  return Array.isArray(details?.codes) ? details.codes.filter((code): code is string => typeof code === 'string') : [];
}

/** The inferred "Search trips" by externalTripId (`GET /trips?externalTripId=`). */
export const searchTripsLookup: ExistingTripLookup = {
  name: 'search trips by externalTripId',
  async find(http, externalTripId, options) {
    try {
      const trips = await findTripsByExternalId(http, externalTripId, options);
      return { status: 'answered', trips: trips.filter(isLiveTrip).sort(byCreation) };
    } catch (error) {
      // No HTTP status (network, token layer, cancellation), 401, 408, 429 or a passing 5xx: try again
      // later rather than risk a duplicate (the soak found one: a 503 on the search of a retried create
      // made it post again). Any other answer (the sandbox answers a search it does not support with
      // ERR_INTERNAL_CRITICAL, or a 4xx) means the search is unusable here.
      const status = httpStatusOf(error);
      if (status === undefined || status === 401 || status === 408 || status === 429) throw error;
      if (status >= 500 && !codesOf(error).includes('ERR_INTERNAL_CRITICAL')) throw error;
      return {
        status: 'unavailable',
        reason: `${avinodeRoute('searchTrips').method} ${avinodeRoute('searchTrips').route} answered ${status}`,
      };
    }
  },
};

/** No lookup: every retried create posts again, and duplicates are found later (webhooks) and cancelled. */
export const noTripLookup: ExistingTripLookup = {
  name: 'none',
  find: async () => ({ status: 'unavailable', reason: 'no trip lookup configured' }),
};

export interface CreateTripOptions extends CallOptions {
  /**
   * Look for an existing trip before posting. Default: only on attempts after the first, when an
   * earlier attempt may have created the trip and lost the answer (ambiguous timeout).
   */
  findFirst?: boolean;
  /** Default searchTripsLookup. */
  lookup?: ExistingTripLookup;
  logger?: { warn(object: object, message?: string): void };
}

/**
 * Find-or-create. A retried attempt asks the lookup first: a found trip is adopted only when its
 * `externalTripId` equals ours exactly (the oldest, when several; the others are returned as
 * duplicates); with the lookup unavailable it posts again and says so (`unconfirmed`).
 * Soft errors (200/201 + meta.errors, e.g. START_AIRPORT_INVALID) fail as RequestInvalid: the
 * trip would not be the itinerary the customer asked for.
 */
export async function createTrip(
  http: AvinodeHttp,
  trip: TripCriteria,
  externalTripId: string,
  options: CreateTripOptions = {},
): Promise<CreateTripResult> {
  const body = buildCreateTripBody(trip, externalTripId);
  const { findFirst = (options.attempt ?? 1) > 1, lookup = searchTripsLookup, logger, ...call } = options;
  let unconfirmed = false;
  if (findFirst) {
    const answer = await lookup.find(http, externalTripId, call);
    if (answer.status === 'answered') {
      const [oldest, ...others] = answer.trips.filter((found) => found.externalTripId === externalTripId);
      if (oldest) {
        const duplicates = others.map((other) => ({ atripId: other.id, tripId: other.tripId }));
        return { ...tripCreated(http, oldest, true), ...(duplicates.length > 0 ? { duplicates } : {}) };
      }
    } else {
      logger?.warn(
        { lookup: lookup.name, reason: answer.reason },
        'trip lookup unavailable; posting the trip again (a duplicate is cancelled once seen)',
      );
      unconfirmed = true;
    }
  }
  const { data, errors, status } = await http.call({
    ...call,
    ...avinodeRoute('createTrip'),
    body,
    schema: Trip,
    softErrors: 'warn',
  });
  if (errors.length > 0) {
    // Avinode created the trip but not as asked (e.g. START_AIRPORT_INVALID): do not leave it live.
    const undone = await cancelTrip(
      http,
      data.id,
      { reason: 'OTHER', messageToSeller: 'This request was created with invalid data and has been withdrawn.' },
      call,
    ).then(
      () => 'the trip Avinode created anyway was cancelled',
      () => `the trip Avinode created anyway (${data.id}) could not be cancelled`,
    );
    throw softErrorFailure(
      'POST',
      avinodeRoute('createTrip').route,
      status,
      errors.map((item) => item.code),
      undone,
    );
  }
  return { ...tripCreated(http, data, false), ...(unconfirmed ? { unconfirmed: true as const } : {}) };
}

export interface TripRead {
  trip: Trip;
  rfqs: RfqSnapshot[];
  deepLinks: DeepLinks;
  warnings: ErrorItem[];
}

/** `GET /trips/{atripId}` with its embedded RFQs normalized. NOT_FOUND → NotFound (TripVanished is the workflow's call). */
export async function readTrip(http: AvinodeHttp, atripId: string, options: CallOptions = {}): Promise<TripRead> {
  const { data, warnings } = await http.call({
    ...options,
    ...avinodeRoute('readTrip'),
    params: { id: atripId },
    schema: Trip,
    softErrors: 'warn',
  });
  return { trip: data, rfqs: (data.rfqs ?? []).map(toRfqSnapshot), deepLinks: deepLinksOf(data), warnings };
}

export interface CancelTripRequest {
  reason: CancelReason;
  messageToSeller?: string;
}

/** `PUT /trips/{id}/cancel`: cancels the trip and all its RFQs; the message goes to the operators. */
export async function cancelTrip(
  http: AvinodeHttp,
  atripId: string,
  cancel: CancelTripRequest,
  options: CallOptions = {},
): Promise<{ status: number }> {
  const body = {
    id: atripId,
    reason: cancel.reason,
    ...(cancel.messageToSeller ? { messageToSeller: cancel.messageToSeller } : {}),
  };
  const { status } = await http.call({
    ...options,
    ...avinodeRoute('cancelTrip'),
    params: { id: atripId },
    body,
    schema: z.unknown(),
    softErrors: 'fail',
  });
  return { status };
}
