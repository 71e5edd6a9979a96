// Validation of a charter request before anything starts: every bad field is named.
import { HTTPS_RULE, isHttpsOrLoopback } from '../platform/urls.ts';
import { z } from 'zod';
import { AIRCRAFT_CATEGORIES, EXPIRY_POLICIES, type TripRequest } from '../workflows/contract.ts';
import { problemText, type Problem } from '../workflows/failures.ts';

export const MIN_PAX = 1;
export const MAX_PAX = 200;
/** Departures and quote deadlines further ahead than this are typos (2062 for 2026), not requests. */
export const MAX_DAYS_AHEAD = 731;
/** More values than this (fields, legs, characters aside) is not a trip request but an attack on the validator. */
export const MAX_REQUEST_VALUES = 1_000;

/** Every bad field of a trip request: `problems[i].path` is the field (`legs[0].from`), `message` what is wrong. */
export class TripRequestInvalid extends Error {
  override name = 'TripRequestInvalid';
  constructor(readonly problems: readonly Problem[]) {
    super(`Invalid trip request:\n${problems.map((p) => `  - ${problemText(p)}`).join('\n')}`);
  }
}

const validDate = (value: string) => {
  const at = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === value;
};

const ICAO = /^[A-Za-z0-9]{4}$/; // ASCII only: 'ı'.toUpperCase() is 'I', 'ſ'.toUpperCase() is 'S'
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Names unknown keys, quoted and shortened (they are the caller's text), e.g. `unknown field "quoteDeadLine"`. */
const UNKNOWN_FIELD = {
  error: (issue: { code?: string; keys?: string[] }) => {
    if (issue.code !== 'unrecognized_keys') return undefined;
    const keys = issue.keys ?? [];
    const named = keys.slice(0, 5).map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key));
    return `unknown field${keys.length === 1 ? '' : 's'} ${named.join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''} (not part of a trip request; check the spelling)`;
  },
};

/** `is required` for an absent field, `must be <kind>` for a value of the wrong type. */
const typed = (kind: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${kind}`),
});

class TooLarge extends Error {}

/**
 * The input's own data only: own enumerable string keys of objects and arrays, nothing inherited
 * (a polluted Object.prototype or a crafted prototype must not supply a callbackUrl), copied with
 * define semantics (an own `__proto__` key stays a plain, unknown key).
 */
function ownDataOf(input: unknown): unknown {
  let values = 0;
  const copy = (value: unknown, depth: number): unknown => {
    if (++values > MAX_REQUEST_VALUES || depth > 8) throw new TooLarge();
    if (Array.isArray(value))
      return Array.from({ length: value.length }, (_, index) =>
        Object.hasOwn(value, index) ? copy(value[index], depth + 1) : undefined,
      );
    if (value === null || typeof value !== 'object') return value;
    // A null prototype: even a polluted Object.prototype cannot lend the validator a field.
    return Object.assign(
      Object.create(null) as Record<string, unknown>,
      Object.fromEntries(
        Object.keys(value).map((key) => [key, copy((value as Record<string, unknown>)[key], depth + 1)]),
      ),
    );
  };
  return copy(input, 0);
}

function schema(nowMs: number) {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const lastDay = new Date(nowMs + MAX_DAYS_AHEAD * 86_400_000).toISOString().slice(0, 10);
  // Field-level checks run even when other fields are bad, so every problem is named at once.
  const Leg = z
    .strictObject(
      {
        from: z
          .string(typed('text'))
          .trim()
          .regex(ICAO, 'must be a 4-character ICAO airport code such as KTEB')
          .toUpperCase(),
        to: z
          .string(typed('text'))
          .trim()
          .regex(ICAO, 'must be a 4-character ICAO airport code such as KPBI')
          .toUpperCase(),
        date: z
          .string(typed('text'))
          .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
          .refine(validDate, 'is not a calendar date')
          .superRefine((date, ctx) => {
            if (validDate(date) && date < today)
              ctx.addIssue({ code: 'custom', message: `${date} is in the past (today is ${today} UTC)` });
            if (validDate(date) && date > lastDay)
              ctx.addIssue({
                code: 'custom',
                message: `${date} is more than ${MAX_DAYS_AHEAD} days ahead (after ${lastDay})`,
              });
          }),
        time: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)')
          .optional(),
        arrival: z.boolean({ error: 'must be true or false' }).optional(),
        utc: z.boolean({ error: 'must be true or false' }).optional(),
        pax: z
          .number(typed('a number'))
          .int('must be a whole number')
          .min(MIN_PAX, `must be at least ${MIN_PAX}`)
          .max(MAX_PAX, `must be at most ${MAX_PAX}`)
          .optional(),
        paxTBD: z.literal(true, { error: 'must be true (leave it out when the count is known)' }).optional(),
      },
      UNKNOWN_FIELD,
    )
    .superRefine((leg, ctx) => {
      if (leg.pax === undefined && leg.paxTBD !== true)
        ctx.addIssue({ code: 'custom', path: ['pax'], message: 'is required' });
      if (leg.pax !== undefined && leg.paxTBD === true)
        ctx.addIssue({ code: 'custom', path: ['paxTBD'], message: 'must be left out when pax is given' });
      if ((leg.arrival !== undefined || leg.utc !== undefined) && leg.time === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [leg.arrival !== undefined ? 'arrival' : 'utc'],
          message: 'needs a time (it says what the time means)',
        });
      }
    });
  const RequiredLift = z
    .strictObject(
      {
        aircraftCategory: z
          .enum(AIRCRAFT_CATEGORIES, { error: `must be one of: ${AIRCRAFT_CATEGORIES.join(', ')}` })
          .optional(),
        aircraftType: z
          .string(typed('text'))
          .trim()
          .min(1, 'must not be empty')
          .max(100, 'must be at most 100 characters')
          .optional(),
        aircraftTail: z
          .string(typed('text'))
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9-]{2,10}$/, 'must be a registration such as N123EX')
          .optional(),
      },
      UNKNOWN_FIELD,
    )
    .refine(
      (lift) =>
        lift.aircraftCategory !== undefined || lift.aircraftType !== undefined || lift.aircraftTail !== undefined,
      'must name an aircraftCategory, aircraftType or aircraftTail',
    );
  return z
    .strictObject(
      {
        externalId: z
          .string(typed('text'))
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/,
            'must be 1-100 characters: letters, digits, . _ : - (it becomes the workflow id trip-<externalId>)',
          ),
        legs: z
          .array(Leg, typed('a list of legs'))
          .min(1, 'at least one leg is required')
          .max(12, 'at most 12 legs')
          .superRefine((legs, ctx) => {
            legs.forEach((leg, index) => {
              if (leg.from === leg.to)
                ctx.addIssue({
                  code: 'custom',
                  path: [index, 'to'],
                  message: `must differ from legs[${index}].from (${leg.from})`,
                });
              const previous = legs[index - 1];
              if (previous && validDate(leg.date) && validDate(previous.date) && leg.date < previous.date) {
                ctx.addIssue({
                  code: 'custom',
                  path: [index, 'date'],
                  message: `${leg.date} is before legs[${index - 1}].date (${previous.date})`,
                });
              }
            });
          }),
        aircraftCategory: z
          .enum(AIRCRAFT_CATEGORIES, { error: `must be one of: ${AIRCRAFT_CATEGORIES.join(', ')}` })
          .optional(),
        requiredLift: z
          .array(RequiredLift, typed('a list of lifts'))
          .min(1, 'at least one lift when given')
          .max(5, 'at most 5 lifts')
          .optional(),
        maxFuelStopsPerSegment: z
          .number(typed('a number'))
          .int('must be a whole number')
          .min(0, 'must be at least 0')
          .max(5, 'must be at most 5')
          .optional(),
        minimumYearOfMake: z
          .number(typed('a number'))
          .int('must be a whole number')
          .min(1960, 'must be 1960 or later')
          .max(new Date(nowMs).getUTCFullYear() + 1, `must be at most ${new Date(nowMs).getUTCFullYear() + 1}`)
          .optional(),
        includeLiftUpgrades: z.boolean({ error: 'must be true or false' }).optional(),
        outputCurrencies: z
          .array(
            z.string(typed('text')).regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO currency code such as USD'),
            typed('a list of currency codes'),
          )
          .min(1, 'at least one currency when given')
          .max(3, 'at most 3 currencies')
          .optional(),
        quoteDeadline: z.iso
          .datetime({ offset: true, error: 'must be an ISO-8601 instant such as 2026-12-01T18:00:00Z' })
          .refine((value) => Number.isNaN(Date.parse(value)) || Date.parse(value) > nowMs, 'must be in the future')
          .refine(
            (value) => Number.isNaN(Date.parse(value)) || Date.parse(value) <= nowMs + MAX_DAYS_AHEAD * 86_400_000,
            `must be at most ${MAX_DAYS_AHEAD} days ahead`,
          )
          .optional(),
        onReset: z.enum(['recreate', 'fail'], { error: 'must be recreate or fail' }).default('recreate'),
        callbackUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
          // zod runs these refinements after a failed z.url too: an unparsable value passes them (already reported).
          .refine((value) => !URL.canParse(value) || isHttpsOrLoopback(value), HTTPS_RULE)
          // The URL is part of the request, which Temporal stores in history: no secret may ride in it.
          .refine(
            (value) => !URL.canParse(value) || (!new URL(value).username && !new URL(value).password),
            'must not carry credentials (user:password@); events are signed with CALLBACK_SECRET instead',
          )
          .optional(),
        timing: z
          .strictObject(
            {
              pollInitialMs: z.number().int().min(10).max(86_400_000),
              pollMaxMs: z.number().int().min(10).max(86_400_000),
              credentialRecheckMs: z.number().int().min(10).max(86_400_000),
              continueAsNewAfterEvents: z.number().int().min(0).max(50_000),
              // Below the activities' 60 s startToCloseTimeout, or it would never fire first.
              activityHeartbeatMs: z.number().int().min(500).max(59_000),
              outcomeReportTimeoutMs: z
                .number()
                .int()
                .min(1_000)
                .max(7 * 86_400_000),
              webhookDebounceMs: z.number().int().min(0).max(3_600_000),
            },
            UNKNOWN_FIELD,
          )
          .partial()
          .refine((t) => t.pollInitialMs === undefined || t.pollMaxMs === undefined || t.pollMaxMs >= t.pollInitialMs, {
            path: ['pollMaxMs'],
            message: 'must be at least timing.pollInitialMs',
          })
          .optional(),
        notes: z
          .string()
          .max(2_000, 'must be at most 2000 characters')
          .refine(
            (text) => !CONTROL_CHARACTERS.test(text),
            'must not contain control characters (tabs and line breaks are fine)',
          )
          .optional(),
        endWhenAllAnswered: z.boolean({ error: 'must be true or false' }).optional(),
        onExpiry: z.enum(EXPIRY_POLICIES, { error: `must be ${EXPIRY_POLICIES.join(' or ')}` }).optional(),
        // Sent as the X-Avinode-ActAsAccount header: no line breaks or other control characters.
        actAsAccount: z
          .string()
          .trim()
          .min(1, 'must not be empty')
          .max(200, 'must be at most 200 characters')
          .refine(
            (text) => !/[\u0000-\u001f\u007f]/.test(text),
            'must not contain line breaks or other control characters (it is sent as an HTTP header)',
          )
          .optional(),
      },
      UNKNOWN_FIELD,
    )
    .superRefine((request, ctx) => {
      if (request.aircraftCategory !== undefined && request.requiredLift !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['requiredLift'],
          message: 'give either aircraftCategory or requiredLift, not both',
        });
      }
    });
}

function pathOf(path: PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

/** Returns a normalized TripRequest or throws TripRequestInvalid naming each bad field. */
export function parseTripRequest(input: unknown, nowMs: number = Date.now()): TripRequest {
  let ownInput: unknown;
  try {
    ownInput = ownDataOf(input);
  } catch (error) {
    if (error instanceof TooLarge)
      throw new TripRequestInvalid([
        { path: 'request', message: `too large or too deeply nested (at most ${MAX_REQUEST_VALUES} values)` },
      ]);
    throw error;
  }
  const parsed = schema(nowMs).safeParse(ownInput);
  if (!parsed.success) {
    throw new TripRequestInvalid(
      parsed.error.issues.map((issue) => ({ path: pathOf(issue.path) || 'request', message: issue.message })),
    );
  }
  // Own properties only, here too: destructuring would read a polluted Object.prototype's callbackUrl.
  const data = parsed.data;
  const own = <K extends keyof typeof data>(key: K): (typeof data)[K] | undefined =>
    Object.hasOwn(data, key) ? data[key] : undefined;
  const aircraftCategory = own('aircraftCategory');
  const quoteDeadline = own('quoteDeadline');
  const callbackUrl = own('callbackUrl');
  const timing = own('timing');
  const notes = own('notes');
  const endWhenAllAnswered = own('endWhenAllAnswered');
  const onExpiry = own('onExpiry');
  const actAsAccount = own('actAsAccount');
  const requiredLift = own('requiredLift');
  const maxFuelStopsPerSegment = own('maxFuelStopsPerSegment');
  const minimumYearOfMake = own('minimumYearOfMake');
  const includeLiftUpgrades = own('includeLiftUpgrades');
  const outputCurrencies = own('outputCurrencies');
  return {
    externalId: data.externalId,
    legs: data.legs.map((leg) => ({
      from: leg.from,
      to: leg.to,
      date: leg.date,
      ...(leg.pax !== undefined ? { pax: leg.pax } : {}),
      ...(leg.paxTBD ? { paxTBD: true } : {}),
      ...(Object.hasOwn(leg, 'time') && leg.time ? { time: leg.time } : {}),
      ...(leg.arrival ? { arrival: true } : {}),
      ...(leg.utc ? { utc: true } : {}),
    })),
    ...(requiredLift ? { requiredLift: requiredLift.map((lift) => ({ ...lift })) } : {}),
    ...(maxFuelStopsPerSegment !== undefined ? { maxFuelStopsPerSegment } : {}),
    ...(minimumYearOfMake !== undefined ? { minimumYearOfMake } : {}),
    ...(includeLiftUpgrades !== undefined ? { includeLiftUpgrades } : {}),
    ...(outputCurrencies ? { outputCurrencies: [...new Set(outputCurrencies)] } : {}),
    onReset: data.onReset,
    ...(aircraftCategory ? { aircraftCategory } : {}),
    ...(quoteDeadline ? { quoteDeadline: new Date(quoteDeadline).toISOString() } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(timing ? { timing } : {}),
    ...(notes ? { notes } : {}),
    ...(endWhenAllAnswered ? { endWhenAllAnswered } : {}),
    ...(onExpiry ? { onExpiry } : {}),
    ...(actAsAccount ? { actAsAccount } : {}),
  };
}
