import { describe, expect, it } from 'vitest';
import { parseTripRequest, TripRequestInvalid } from '../../../client/trip-request.ts';
import { AIRCRAFT_CATEGORIES } from '../../../workflows/contract.ts';
import { problemText } from '../../../workflows/failures.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const leg = (overrides: Record<string, unknown> = {}) => ({
  from: 'KTEB',
  to: 'KPBI',
  date: '2026-05-14',
  pax: 5,
  ...overrides,
});
const request = (overrides: Record<string, unknown> = {}) => ({ externalId: 'order-42', legs: [leg()], ...overrides });

function problemsOf(input: unknown): string[] {
  try {
    parseTripRequest(input, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(TripRequestInvalid);
    return (error as TripRequestInvalid).problems.map(problemText);
  }
  throw new Error('expected TripRequestInvalid');
}

describe('parseTripRequest', () => {
  it.each([
    ['a bad ICAO code', request({ legs: [leg({ from: 'TEB' })] }), /^legs\[0\]\.from: .*ICAO/],
    ['an ICAO code with punctuation', request({ legs: [leg({ to: 'KP-I' })] }), /^legs\[0\]\.to: .*ICAO/],
    [
      'a date in the past',
      request({ legs: [leg({ date: '2026-04-30' })] }),
      /^legs\[0\]\.date: 2026-04-30 is in the past/,
    ],
    [
      'a calendar-invalid date',
      request({ legs: [leg({ date: '2026-06-31' })] }),
      /^legs\[0\]\.date: is not a calendar date/,
    ],
    [
      'a leg to its own origin',
      request({ legs: [leg({ to: 'kteb' })] }),
      /^legs\[0\]\.to: must differ from legs\[0\]\.from \(KTEB\)/,
    ],
    [
      'a leg before the previous one',
      request({ legs: [leg(), leg({ from: 'KPBI', to: 'KTEB', date: '2026-05-10' })] }),
      /^legs\[1\]\.date: 2026-05-10 is before legs\[0\]\.date \(2026-05-14\)/,
    ],
    ['0 passengers', request({ legs: [leg({ pax: 0 })] }), /^legs\[0\]\.pax: must be at least 1/],
    ['201 passengers', request({ legs: [leg({ pax: 201 })] }), /^legs\[0\]\.pax: must be at most 200/],
    ['2.5 passengers', request({ legs: [leg({ pax: 2.5 })] }), /^legs\[0\]\.pax: must be a whole number/],
    ['passengers as text', request({ legs: [leg({ pax: '5' })] }), /^legs\[0\]\.pax: must be a number/],
    ['a bad time', request({ legs: [leg({ time: '25:00' })] }), /^legs\[0\]\.time: must be HH:MM/],
    ['no legs', request({ legs: [] }), /^legs: at least one leg/],
    ['a bad externalId', request({ externalId: 'order 42/x' }), /^externalId: must be 1-100 characters/],
    ['an empty externalId', request({ externalId: '' }), /^externalId: /],
    [
      'a deadline in the past',
      request({ quoteDeadline: '2026-05-01T11:59:59Z' }),
      /^quoteDeadline: must be in the future/,
    ],
    [
      'a deadline that is not an instant',
      request({ quoteDeadline: 'tomorrow' }),
      /^quoteDeadline: must be an ISO-8601 instant/,
    ],
    [
      'an http callback to another host',
      request({ callbackUrl: 'http://backend.example/hooks' }),
      /^callbackUrl: must use https:\/\//,
    ],
    ['an unknown reset policy', request({ onReset: 'retry' }), /^onReset: must be recreate or fail/],
  ])('rejects %s naming the field', (_name, input, expected) => {
    const problems = problemsOf(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('rejects a malformed date naming the field in every problem', () => {
    const problems = problemsOf(request({ legs: [leg({ date: '2026-5-14' })] }));
    expect(problems[0]).toMatch(/^legs\[0\]\.date: must be YYYY-MM-DD/);
    for (const problem of problems) expect(problem).toMatch(/^legs\[0\]\.date: /);
  });

  it('rejects an unknown aircraft category listing the allowed ones', () => {
    const [problem] = problemsOf(request({ aircraftCategory: 'Jumbo jet' }));
    expect(problem).toMatch(/^aircraftCategory: must be one of: /);
    for (const category of AIRCRAFT_CATEGORIES) expect(problem).toContain(category);
  });

  it('lists every bad field at once, in the error message too', () => {
    const input = {
      externalId: 'bad id!',
      legs: [leg({ from: 'XX', pax: 0 }), leg({ from: 'KPBI', to: 'KTEB', date: '2026-06-31', time: '9:30' })],
      aircraftCategory: 'Zeppelin',
      onReset: 'never',
    };
    const problems = problemsOf(input);
    const fields = problems.map((p) => p.split(':')[0]);
    expect(fields).toEqual([
      'externalId',
      'legs[0].from',
      'legs[0].pax',
      'legs[1].date',
      'legs[1].time',
      'aircraftCategory',
      'onReset',
    ]);
    let message = '';
    try {
      parseTripRequest(input, NOW);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const problem of problems) expect(message).toContain(problem);
  });

  it('lists cross-field problems together with field errors', () => {
    const problems = problemsOf(
      request({
        legs: [leg({ from: 'XX', date: '2026-04-01' }), leg({ date: '2026-03-01' })],
        callbackUrl: 'http://10.0.0.5/cb',
      }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'legs[0].from',
      'legs[0].date',
      'legs[1].date',
      'legs[1].date',
      'callbackUrl',
    ]);
  });

  // Known gap (see report): zod skips the object-level superRefine once any field has a type-level
  // failure (here the enum), so past dates, from = to, leg order, deadline and callback checks go
  // unreported alongside it. Flip to `it` when client/trip-request.ts moves those checks to field level.
  it('lists cross-field problems even when a field has a type-level failure', () => {
    const problems = problemsOf(request({ aircraftCategory: 'Zeppelin', callbackUrl: 'http://10.0.0.5/cb' }));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['aircraftCategory', 'callbackUrl']);
  });

  it('accepts a one-way trip, uppercasing ICAO codes and defaulting onReset to recreate', () => {
    const trip = parseTripRequest(request({ legs: [leg({ from: ' kteb ', to: 'kpbi', time: '09:30' })] }), NOW);
    expect(trip).toEqual({
      externalId: 'order-42',
      legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 }],
      onReset: 'recreate',
    });
  });

  it('accepts a same-day round trip with a category, deadline and loopback http callback, normalizing the deadline to UTC', () => {
    const trip = parseTripRequest(
      request({
        legs: [leg({ date: '2026-05-01' }), leg({ from: 'KPBI', to: 'KTEB', date: '2026-05-01' })],
        aircraftCategory: 'Midsize jet',
        quoteDeadline: '2026-05-02T10:00:00+02:00',
        onReset: 'fail',
        callbackUrl: 'http://127.0.0.1:4000/cb',
      }),
      NOW,
    );
    expect(trip.legs.map((l) => `${l.from}-${l.to}`)).toEqual(['KTEB-KPBI', 'KPBI-KTEB']);
    expect(trip).toMatchObject({
      aircraftCategory: 'Midsize jet',
      quoteDeadline: '2026-05-02T08:00:00.000Z',
      onReset: 'fail',
      callbackUrl: 'http://127.0.0.1:4000/cb',
    });
  });

  it('accepts a multi-leg trip and drops absent optional fields', () => {
    const legs = [
      leg(),
      leg({ from: 'KPBI', to: 'MYNN', date: '2026-05-16' }),
      leg({ from: 'MYNN', to: 'KTEB', date: '2026-05-20', pax: 200 }),
    ];
    const trip = parseTripRequest(request({ legs, callbackUrl: 'https://backend.example/cb' }), NOW);
    expect(trip.legs).toHaveLength(3);
    expect(trip.legs[2]).toEqual({ from: 'MYNN', to: 'KTEB', date: '2026-05-20', pax: 200 });
    expect(Object.keys(trip).sort()).toEqual(['callbackUrl', 'externalId', 'legs', 'onReset']);
  });
});
