// POST /trips body validation, reproducing what the sandbox answers (avinode-api.md §5, §8).
import { AIRCRAFT_CATEGORIES } from '../workflows/contract.ts';
import { fail, internalCritical, isRecord, type Reply } from './http-kit.ts';

export interface ValidTrip {
  externalTripId?: string;
  criteria: Record<string, unknown>;
  segments: Record<string, unknown>[];
  sourcing: boolean;
  /** Soft errors: the trip is created, and these go into meta.errors of the 201 (the error guide's example). */
  softErrors: { code: string; title: string; path: string }[];
}

/**
 * A bad airport: `soft` (default, as the error guide documents: HTTP 2xx, the trip created, the
 * problem in meta.errors) or `hard` (422 START_AIRPORT_INVALID, no trip) [inferred].
 */
export type BadAirportAnswer = 'soft' | 'hard';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const AIRPORT = /^[A-Za-z0-9]{3,4}$/;

const invalid = (title: string, path: string) => fail(400, 'ERR_INPUT_GENERIC_INVALID', title, path);
const unprocessable = (code: string, title: string, path: string) => fail(422, code, title, path);

export function validateTripBody(body: unknown, now: number, badAirport: BadAirportAnswer = 'soft'): ValidTrip | Reply {
  if (!isRecord(body)) return invalid('The request body must be a JSON object', '');
  // The sandbox answers these with its generic critical error rather than a validation message.
  if (body.segments === undefined) return internalCritical();
  if (body.postToTripBoard === true) return internalCritical();

  if (body.criteria === undefined)
    return fail(400, 'ERR_INPUT_MISSING', "The field 'criteria' is required", 'criteria');
  if (!isRecord(body.criteria)) return invalid("The field 'criteria' must be an object", 'criteria');
  if (body.sourcing === undefined)
    return fail(400, 'ERR_INPUT_MISSING', "The field 'sourcing' is required", 'sourcing');
  if (typeof body.sourcing !== 'boolean') return invalid("The field 'sourcing' must be a boolean", 'sourcing');
  if (
    body.externalTripId !== undefined &&
    (typeof body.externalTripId !== 'string' || body.externalTripId.length > 200)
  ) {
    return invalid("The field 'externalTripId' must be a string of at most 200 characters", 'externalTripId');
  }
  if (!Array.isArray(body.segments) || body.segments.length === 0)
    return invalid("The field 'segments' must be a non-empty array", 'segments');
  if (body.segments.length > 20) return invalid('At most 20 segments are supported', 'segments');

  const today = new Date(now).toISOString().slice(0, 10);
  const softErrors: ValidTrip['softErrors'] = [];
  for (const [i, segment] of body.segments.entries()) {
    const problem = validateSegment(segment, `segments[${i}]`, today);
    if (!problem) continue;
    const error = airportError(problem);
    if (error && badAirport === 'soft') softErrors.push(error);
    else return problem;
  }
  const liftProblem = validateRequiredLift(body.criteria.requiredLift);
  if (liftProblem) return liftProblem;

  return {
    ...(typeof body.externalTripId === 'string' ? { externalTripId: body.externalTripId } : {}),
    criteria: body.criteria,
    segments: body.segments as Record<string, unknown>[],
    sourcing: body.sourcing,
    softErrors,
  };
}

function airportError(reply: Reply): ValidTrip['softErrors'][number] | undefined {
  const error = (reply.body as { meta?: { errors?: { code: string; title?: string; path?: string }[] } }).meta
    ?.errors?.[0];
  if (!error || (error.code !== 'START_AIRPORT_INVALID' && error.code !== 'END_AIRPORT_INVALID')) return undefined;
  return { code: error.code, title: error.title ?? error.code, path: error.path ?? '' };
}

function validateSegment(segment: unknown, path: string, today: string): Reply | undefined {
  if (!isRecord(segment)) return invalid('A segment must be an object', path);
  for (const [field, code] of [
    ['startAirport', 'START_AIRPORT_INVALID'],
    ['endAirport', 'END_AIRPORT_INVALID'],
  ] as const) {
    const airport = segment[field];
    const icao = isRecord(airport) ? airport.icao : undefined;
    if (typeof icao !== 'string' || !AIRPORT.test(icao)) {
      return unprocessable(code, `The ${field} needs an airport code (icao)`, `${path}.${field}`);
    }
  }
  const dateTime = segment.dateTime;
  if (!isRecord(dateTime))
    return fail(400, 'ERR_INPUT_MISSING', "The field 'dateTime' is required", `${path}.dateTime`);
  const { date, time } = dateTime;
  if (
    typeof date !== 'string' ||
    !DATE.test(date) ||
    Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ||
    new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date
  ) {
    return invalid('The date must be YYYY-MM-DD', `${path}.dateTime.date`);
  }
  if (date < today) return unprocessable('DATE_INVALID', 'The departure date is in the past', `${path}.dateTime.date`);
  const timeTbd = segment.timeTBD === true || time === 'TBD';
  if (!timeTbd && time !== undefined && (typeof time !== 'string' || !TIME.test(time))) {
    return invalid('The time must be HH:MM', `${path}.dateTime.time`);
  }
  for (const flag of ['departure', 'local'] as const) {
    if (dateTime[flag] !== undefined && typeof dateTime[flag] !== 'boolean')
      return invalid(`The field '${flag}' must be a boolean`, `${path}.dateTime.${flag}`);
  }
  const pax = segment.paxCount;
  if (segment.paxTBD !== true) {
    if (pax === undefined)
      return fail(400, 'ERR_INPUT_MISSING', "The field 'paxCount' is required", `${path}.paxCount`);
    if (typeof pax !== 'string')
      return invalid('The field \'paxCount\' must be a string, e.g. "5"', `${path}.paxCount`);
    if (!/^\d{1,3}$/.test(pax) || Number(pax) < 1)
      return invalid("The field 'paxCount' must be a number of passengers from 1 to 999", `${path}.paxCount`);
  }
  return undefined;
}

function validateRequiredLift(requiredLift: unknown): Reply | undefined {
  if (requiredLift === undefined) return undefined;
  if (!Array.isArray(requiredLift))
    return unprocessable('LIFT_INVALID', 'requiredLift must be an array', 'criteria.requiredLift');
  for (const [i, lift] of requiredLift.entries()) {
    const path = `criteria.requiredLift[${i}]`;
    if (!isRecord(lift)) return unprocessable('LIFT_INVALID', 'A requiredLift entry must be an object', path);
    const { aircraftCategory, aircraftType, aircraftTail } = lift;
    if (
      aircraftCategory !== undefined &&
      (typeof aircraftCategory !== 'string' || !(AIRCRAFT_CATEGORIES as readonly string[]).includes(aircraftCategory))
    ) {
      return unprocessable(
        'LIFT_INVALID',
        `Unknown aircraftCategory; expected one of: ${AIRCRAFT_CATEGORIES.join(', ')}`,
        `${path}.aircraftCategory`,
      );
    }
    for (const [name, value] of [
      ['aircraftType', aircraftType],
      ['aircraftTail', aircraftTail],
    ] as const) {
      if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
        return unprocessable('LIFT_INVALID', `${name} must be omitted or a non-empty string`, `${path}.${name}`);
      }
    }
    if (aircraftCategory === undefined && aircraftType === undefined && aircraftTail === undefined) {
      return unprocessable(
        'LIFT_INVALID',
        'A requiredLift entry needs aircraftCategory, aircraftType or aircraftTail',
        path,
      );
    }
  }
  return undefined;
}
