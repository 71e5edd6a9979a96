import { describe, expect, it } from 'vitest';
import {
  flagProblemText,
  TripFlagsInvalid,
  tripRequestFromFlags,
  UsageError,
  type TripFlags,
} from '../../../client/trip-flags.ts';
import { AIRCRAFT_CATEGORIES } from '../../../workflows/contract.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const ONE_WAY: TripFlags = { from: 'kteb', to: 'kpbi', date: '2026-05-14', time: '09:30', pax: '5' };

function problemsOf(flags: TripFlags, command = 'trip start'): string[] {
  try {
    tripRequestFromFlags(flags, { command, nowMs: NOW });
  } catch (error) {
    if (error instanceof TripFlagsInvalid) return error.problems.map(flagProblemText);
    throw error;
  }
  throw new Error('expected TripFlagsInvalid');
}

describe('tripRequestFromFlags', () => {
  it('takes several --lift entries, the other lift criteria, arrival and UTC times and --pax TBD', () => {
    const request = tripRequestFromFlags(
      {
        ...ONE_WAY,
        pax: 'tbd',
        lift: ['midsize jet', 'tail=n123ex', 'category=Heavy jet,type=Gulfstream G450'],
        'max-fuel-stops': '1',
        'min-year-of-make': '2012',
        'include-lift-upgrades': true,
        arrival: true,
        utc: true,
      },
      { nowMs: NOW },
    );
    expect(request.requiredLift).toEqual([
      { aircraftCategory: 'Midsize jet' },
      { aircraftTail: 'N123EX' },
      { aircraftCategory: 'Heavy jet', aircraftType: 'Gulfstream G450' },
    ]);
    expect(request).toMatchObject({ maxFuelStopsPerSegment: 1, minimumYearOfMake: 2012, includeLiftUpgrades: true });
    expect(request.legs[0]).toEqual({
      from: 'KTEB',
      to: 'KPBI',
      date: '2026-05-14',
      time: '09:30',
      arrival: true,
      utc: true,
      paxTBD: true,
    });
  });

  it('names the flag of a bad lift entry, a bad lift criterion and a time meaning without a time', () => {
    expect(problemsOf({ ...ONE_WAY, lift: ['Midsize jet', 'tail=!!'] })).toEqual([
      expect.stringMatching(/^--lift #2 aircraftTail must be a registration/),
    ]);
    expect(problemsOf({ ...ONE_WAY, 'max-fuel-stops': '9', 'min-year-of-make': '1900' })).toEqual([
      expect.stringMatching(/^--max-fuel-stops must be at most 5/),
      expect.stringMatching(/^--min-year-of-make must be 1960 or later/),
    ]);
    expect(problemsOf({ ...ONE_WAY, category: 'Light jet', lift: ['Heavy jet'] })).toEqual([
      expect.stringMatching(/^--lift give either aircraftCategory or requiredLift/),
    ]);
    const { time: _time, ...untimed } = ONE_WAY;
    expect(problemsOf({ ...untimed, arrival: true })).toEqual(['--arrival needs --time (it says what the time means)']);
    expect(() => tripRequestFromFlags({ ...ONE_WAY, lift: ['seats=8'] }, { nowMs: NOW })).toThrow(
      /--lift: "seats=8" is not category=…, type=… or tail=…/,
    );
  });

  it('builds a validated one-way trip with upper-case airports and a generated external id', () => {
    const request = tripRequestFromFlags(ONE_WAY, { nowMs: NOW });
    expect(request).toEqual({
      externalId: expect.stringMatching(/^cf-[0-9a-f]{10}$/),
      legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 }],
      onReset: 'recreate',
    });
  });

  it('builds a round trip from --return-date, reversing the route and keeping the passengers', () => {
    const request = tripRequestFromFlags(
      { ...ONE_WAY, 'return-date': '2026-05-18', 'return-time': '17:00', 'external-id': 'order-7' },
      { nowMs: NOW },
    );
    expect(request.externalId).toBe('order-7');
    expect(request.legs).toEqual([
      { from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 },
      { from: 'KPBI', to: 'KTEB', date: '2026-05-18', time: '17:00', pax: 5 },
    ]);
  });

  it('uses the command’s own external id when --external-id is absent', () => {
    const request = tripRequestFromFlags(ONE_WAY, {
      command: 'create-trip',
      nowMs: NOW,
      newExternalId: () => 'cli-20260501120000000',
    });
    expect(request.externalId).toBe('cli-20260501120000000');
  });

  it('accepts a category in any case and writes it the canonical way', () => {
    expect(tripRequestFromFlags({ ...ONE_WAY, category: 'midsize JET' }, { nowMs: NOW }).aircraftCategory).toBe(
      'Midsize jet',
    );
  });

  it('carries the trip start flags: deadline, reset policy and callback URL', () => {
    const request = tripRequestFromFlags(
      { ...ONE_WAY, deadline: '2h', 'on-reset': 'fail', 'callback-url': 'https://b.example/cb' },
      { nowMs: NOW },
    );
    expect(request).toMatchObject({
      quoteDeadline: '2026-05-01T14:00:00.000Z',
      onReset: 'fail',
      callbackUrl: 'https://b.example/cb',
    });
  });

  it('names every missing required flag in one line, prefixed by the command', () => {
    expect(() => tripRequestFromFlags({ from: 'KTEB' }, { command: 'create-trip', nowMs: NOW })).toThrow(
      /^create-trip: missing --to, --date, --pax$/,
    );
    expect(() => tripRequestFromFlags({ ...ONE_WAY, pax: '  ' }, { nowMs: NOW })).toThrow(
      /^trip start: missing --pax$/,
    );
  });

  it('reports a single bad flag on one line, as a UsageError', () => {
    const attempt = () => tripRequestFromFlags({ ...ONE_WAY, from: 'TEB' }, { command: 'create-trip', nowMs: NOW });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/^create-trip: --from must be a 4-character ICAO airport code such as KTEB$/);
  });

  it('names each bad flag at once when several are wrong', () => {
    const flags = {
      ...ONE_WAY,
      to: 'PB',
      date: '2026-02-30',
      time: '25:00',
      pax: '0',
      'return-date': '14/05/2026',
      'external-id': 'has space',
    };
    expect(problemsOf(flags)).toEqual([
      '--external-id must be 1-100 characters: letters, digits, . _ : - (it becomes the workflow id trip-<externalId>)',
      '--to must be a 4-character ICAO airport code such as KPBI',
      '--date is not a calendar date',
      '--time must be HH:MM (24 h)',
      '--pax must be at least 1',
      '--return-date must be YYYY-MM-DD',
    ]);
    expect(() => tripRequestFromFlags(flags, { nowMs: NOW })).toThrow(
      /^trip start: 6 problems with the trip flags:\n {2}- --external-id must be/,
    );
  });

  it.each([
    ['five', 'must be a number'],
    ['1e1', 'must be a number'],
    ['2.5', 'must be a whole number'],
    ['201', 'must be at most 200'],
  ])('rejects --pax %s: %s', (pax, message) => {
    expect(problemsOf({ ...ONE_WAY, pax })).toEqual([`--pax ${message}`]);
  });

  it('rejects an unknown category, listing the known ones', () => {
    expect(problemsOf({ ...ONE_WAY, category: 'Rocket' })).toEqual([
      `--category must be one of: ${AIRCRAFT_CATEGORIES.join(', ')}`,
    ]);
  });

  it('rejects a departure date in the past, naming today', () => {
    expect(problemsOf({ ...ONE_WAY, date: '2026-04-30' })).toEqual([
      '--date 2026-04-30 is in the past (today is 2026-05-01 UTC)',
    ]);
  });

  it('refers to flags, not fields, when one flag contradicts another', () => {
    expect(problemsOf({ ...ONE_WAY, to: 'KTEB' })).toEqual(['--to must differ from --from (KTEB)']);
    expect(problemsOf({ ...ONE_WAY, 'return-date': '2026-05-10' })).toEqual([
      '--return-date 2026-05-10 is before --date (2026-05-14)',
    ]);
  });

  it('names --deadline, --on-reset and --callback-url when they are wrong', () => {
    expect(
      problemsOf({
        ...ONE_WAY,
        deadline: '2026-04-01T00:00:00Z',
        'on-reset': 'retry',
        'callback-url': 'http://b.example/cb',
      }),
    ).toEqual([
      '--deadline must be in the future',
      '--on-reset must be recreate or fail',
      '--callback-url must use https:// for a non-loopback host',
    ]);
  });
});
