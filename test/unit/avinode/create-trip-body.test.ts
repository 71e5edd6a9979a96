import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { buildCreateTripBody } from '../../../activities/avinode/trips.ts';
import { FailureType } from '../../../workflows/contract.ts';

const segment = (from: string, to: string, date: string, time: string | undefined, pax: string) => ({
  startAirport: { icao: from },
  endAirport: { icao: to },
  dateTime: { date, ...(time ? { time } : {}), departure: true, local: true },
  paxCount: pax,
  paxSegment: true,
  paxTBD: false,
  timeTBD: time === undefined,
});

describe('buildCreateTripBody', () => {
  it('sends several required lifts, the other lift criteria, arrival and UTC times and an unknown passenger count as documented fields', () => {
    const body = buildCreateTripBody(
      {
        legs: [
          { from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '11:45', arrival: true, utc: true, paxTBD: true },
          { from: 'KPBI', to: 'KTEB', date: '2026-05-18', time: '16:00', pax: 4 },
        ],
        requiredLift: [
          { aircraftCategory: 'Heavy jet' },
          { aircraftType: 'Challenger 350' },
          { aircraftTail: 'N123EX' },
        ],
        maxFuelStopsPerSegment: 1,
        minimumYearOfMake: 2012,
        includeLiftUpgrades: true,
      },
      'trip-ORCH-rich',
    );
    expect(body.criteria).toEqual({
      requiredLift: [{ aircraftCategory: 'Heavy jet' }, { aircraftType: 'Challenger 350' }, { aircraftTail: 'N123EX' }],
      maxFuelStopsPerSegment: 1,
      minimumYearOfMake: 2012,
      includeLiftUpgrades: true,
    });
    expect(body.segments[0]).toEqual({
      startAirport: { icao: 'KTEB' },
      endAirport: { icao: 'KPBI' },
      dateTime: { date: '2026-05-14', time: '11:45', departure: false, local: false },
      paxSegment: true,
      paxTBD: true,
      timeTBD: false,
    });
    expect(body.segments[1]).toEqual(segment('KPBI', 'KTEB', '2026-05-18', '16:00', '4'));
  });

  it('builds a one-way trip with documented segments, paxCount as a string and sourcing on', () => {
    const body = buildCreateTripBody(
      { legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 }] },
      'trip-ORCH-7f3c',
    );
    expect(body).toEqual({
      externalTripId: 'trip-ORCH-7f3c',
      sourcing: true,
      criteria: {},
      segments: [segment('KTEB', 'KPBI', '2026-05-14', '09:30', '5')],
    });
    expect(JSON.stringify(body)).not.toMatch(/"legs"|"passengers"|"pax"/);
  });

  it('builds the round trip of the reference example with a required lift category', () => {
    const body = buildCreateTripBody(
      {
        aircraftCategory: 'Midsize jet',
        legs: [
          { from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 },
          { from: 'KPBI', to: 'KTEB', date: '2026-05-18', time: '16:00', pax: 5 },
        ],
      },
      'ORCH-7f3c',
    );
    expect(body).toEqual({
      externalTripId: 'ORCH-7f3c',
      sourcing: true,
      criteria: { requiredLift: [{ aircraftCategory: 'Midsize jet' }] },
      segments: [
        segment('KTEB', 'KPBI', '2026-05-14', '09:30', '5'),
        segment('KPBI', 'KTEB', '2026-05-18', '16:00', '5'),
      ],
    });
  });

  it('builds a multi-leg trip with per-leg passengers and marks a missing time as TBD', () => {
    const body = buildCreateTripBody(
      {
        legs: [
          { from: 'kteb', to: 'KMIA', date: '2026-06-01', time: '08:00', pax: 3 },
          { from: 'KMIA', to: 'MYNN', date: '2026-06-02', pax: 4 },
          { from: 'MYNN', to: 'KTEB', date: '2026-06-05', time: '17:45', pax: 2 },
        ],
      },
      'multi-1',
    );
    expect(body.segments).toEqual([
      segment('KTEB', 'KMIA', '2026-06-01', '08:00', '3'),
      segment('KMIA', 'MYNN', '2026-06-02', undefined, '4'),
      segment('MYNN', 'KTEB', '2026-06-05', '17:45', '2'),
    ]);
    expect(body.segments[1]!.dateTime).not.toHaveProperty('time');
  });

  it('never sends empty-string aircraftType or aircraftTail (422 LIFT_INVALID) and omits a blank category', () => {
    const blank = buildCreateTripBody(
      { aircraftCategory: '  ' as never, legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', pax: 1 }] },
      'x',
    );
    expect(blank.criteria).toEqual({});
    const withCategory = buildCreateTripBody(
      { aircraftCategory: 'Heavy jet', legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', pax: 1 }] },
      'x',
    );
    expect(withCategory.criteria.requiredLift).toEqual([{ aircraftCategory: 'Heavy jet' }]);
    expect(JSON.stringify(withCategory)).not.toMatch(/aircraftType|aircraftTail|""/);
  });

  it.each([
    [{ legs: [] }, 'legs: at least one leg'],
    [{ legs: [{ from: 'TEB', to: 'KPBI', date: '2026-05-14', pax: 1 }] }, 'legs[0].from'],
    [{ legs: [{ from: 'KTEB', to: 'KPBI', date: '14/05/2026', pax: 1 }] }, 'legs[0].date'],
    [{ legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '9:30', pax: 1 }] }, 'legs[0].time'],
    [{ legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', pax: 0 }] }, 'legs[0].pax'],
  ])('rejects bad input with RequestInvalid naming the field (%#)', (trip, field) => {
    let error: unknown;
    try {
      buildCreateTripBody(trip, 'x');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).type).toBe(FailureType.RequestInvalid);
    expect((error as ApplicationFailure).message).toContain(field);
  });
});
