// Validation of a charter request before anything starts: every bad field is named.
import { isLoopback } from '../workers/config.ts';
import { z } from 'zod';
import { AIRCRAFT_CATEGORIES, EXPIRY_POLICIES, type TripRequest } from '../workflows/contract.ts';

export const MIN_PAX = 1;
export const MAX_PAX = 200;

export class TripRequestInvalid extends Error {
  override name = 'TripRequestInvalid';
  constructor(readonly problems: string[]) {
    super(`Invalid trip request:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const validDate = (value: string) => {
  const at = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === value;
};

function schema(nowMs: number) {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  // Field-level checks run even when other fields are bad, so every problem is named at once.
  const Leg = z
    .object({
      from: z.string().trim().toUpperCase().regex(/^[A-Z0-9]{4}$/, 'must be a 4-character ICAO airport code such as KTEB'),
      to: z.string().trim().toUpperCase().regex(/^[A-Z0-9]{4}$/, 'must be a 4-character ICAO airport code such as KPBI'),
      date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
        .refine(validDate, 'is not a calendar date')
        .superRefine((date, ctx) => {
          if (validDate(date) && date < today) ctx.addIssue({ code: 'custom', message: `${date} is in the past (today is ${today} UTC)` });
        }),
      time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)').optional(),
      pax: z.number({ error: 'must be a number' }).int('must be a whole number').min(MIN_PAX, `must be at least ${MIN_PAX}`).max(MAX_PAX, `must be at most ${MAX_PAX}`),
    });
  return z
    .object({
      externalId: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'must be 1-100 characters: letters, digits, . _ : - (it becomes the workflow id trip-<externalId>)'),
      legs: z
        .array(Leg)
        .min(1, 'at least one leg is required')
        .max(12, 'at most 12 legs')
        .superRefine((legs, ctx) => {
          legs.forEach((leg, index) => {
            if (leg.from === leg.to) ctx.addIssue({ code: 'custom', path: [index, 'to'], message: `must differ from legs[${index}].from (${leg.from})` });
            const previous = legs[index - 1];
            if (previous && validDate(leg.date) && validDate(previous.date) && leg.date < previous.date) {
              ctx.addIssue({ code: 'custom', path: [index, 'date'], message: `${leg.date} is before legs[${index - 1}].date (${previous.date})` });
            }
          });
        }),
      aircraftCategory: z.enum(AIRCRAFT_CATEGORIES, { error: `must be one of: ${AIRCRAFT_CATEGORIES.join(', ')}` }).optional(),
      quoteDeadline: z.iso
        .datetime({ offset: true, error: 'must be an ISO-8601 instant such as 2026-12-01T18:00:00Z' })
        .refine((value) => Number.isNaN(Date.parse(value)) || Date.parse(value) > nowMs, 'must be in the future')
        .optional(),
      onReset: z.enum(['recreate', 'fail'], { error: 'must be recreate or fail' }).default('recreate'),
      callbackUrl: z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .refine((value) => new URL(value).protocol === 'https:' || isLoopback(new URL(value).hostname), 'must use https:// for a non-loopback host')
        .optional(),
      timing: z
        .object({
          pollInitialMs: z.number().int().min(10).max(86_400_000),
          pollMaxMs: z.number().int().min(10).max(86_400_000),
          credentialRecheckMs: z.number().int().min(10).max(86_400_000),
          continueAsNewAfterEvents: z.number().int().min(0).max(50_000),
          // Below the activities' 60 s startToCloseTimeout, or it would never fire first.
          activityHeartbeatMs: z.number().int().min(500).max(59_000),
          outcomeReportTimeoutMs: z.number().int().min(1_000).max(7 * 86_400_000),
        })
        .partial()
        .refine((t) => t.pollInitialMs === undefined || t.pollMaxMs === undefined || t.pollMaxMs >= t.pollInitialMs, {
          path: ['pollMaxMs'],
          message: 'must be at least timing.pollInitialMs',
        })
        .optional(),
      notes: z.string().max(2_000).optional(),
      endWhenAllAnswered: z.boolean({ error: 'must be true or false' }).optional(),
      onExpiry: z.enum(EXPIRY_POLICIES, { error: `must be ${EXPIRY_POLICIES.join(' or ')}` }).optional(),
      actAsAccount: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    });
}

function pathOf(path: PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

/** Returns a normalized TripRequest or throws TripRequestInvalid naming each bad field. */
export function parseTripRequest(input: unknown, nowMs: number = Date.now()): TripRequest {
  const parsed = schema(nowMs).safeParse(input);
  if (!parsed.success) {
    throw new TripRequestInvalid(parsed.error.issues.map((issue) => `${pathOf(issue.path) || 'request'}: ${issue.message}`));
  }
  const { aircraftCategory, quoteDeadline, callbackUrl, timing, notes, endWhenAllAnswered, onExpiry, actAsAccount, ...rest } = parsed.data;
  return {
    ...rest,
    legs: rest.legs.map(({ time, ...leg }) => ({ ...leg, ...(time ? { time } : {}) })),
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
