import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, tripBody, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

const err = (json: any) => json.meta.errors[0];

describe('trips', () => {
  it('creates a trip: 201 with atrip- id, 6-character tripId, href and the three actions pointing at the emulator', async () => {
    h = await startHarness();
    const res = await h.api('POST', '/trips', { body: tripBody() });
    expect(res.status).toBe(201);
    expect(res.json.meta).toEqual({ errors: [], warnings: [], infos: [] });
    const trip = res.json.data;
    expect(trip.id).toMatch(/^atrip-\d+$/);
    expect(trip.tripId).toMatch(/^[A-Z0-9]{6}$/);
    expect(trip).toMatchObject({
      type: 'trips',
      href: `${h.emu.apiBaseUrl}/trips/${trip.id}`,
      externalTripId: 'trip-ext-1',
      status: 'Active',
    });
    expect(trip.actions.searchInAvinode).toEqual({
      type: 'searchInAvinode',
      description: 'Start a search in Avinode',
      httpMethod: 'GET',
      href: `${h.emu.url}/marketplace/mvc/search/load/${trip.id}?source=api&origin=api_action`,
    });
    expect(trip.actions.viewInAvinode.href).toBe(`${h.emu.url}/marketplace/mvc/trips/buying/${trip.id}?source=api`);
    expect(trip.actions.cancel).toMatchObject({
      httpMethod: 'PUT',
      href: `${h.emu.apiBaseUrl}/trips/${trip.id}/cancel`,
    });
    expect(trip.segments).toEqual(tripBody().segments);
  });

  it('uses publicBaseUrl for hrefs and deep links when configured', async () => {
    h = await startHarness({ publicBaseUrl: 'https://sandbox.example.test' });
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    expect(trip.href).toBe(`https://sandbox.example.test/api/trips/${trip.id}`);
    expect(trip.actions.searchInAvinode.href.startsWith('https://sandbox.example.test/marketplace/')).toBe(true);
  });

  it('reproduces the sandbox: a body without segments (or with postToTripBoard) is ERR_INTERNAL_CRITICAL', async () => {
    h = await startHarness();
    const { segments: _s, ...noSegments } = tripBody();
    for (const body of [
      { ...noSegments, legs: [{ from: 'KTEB' }], passengers: 5, notes: 'x' },
      tripBody({ postToTripBoard: true }),
    ]) {
      const res = await h.api('POST', '/trips', { body });
      expect(res.status).toBe(500);
      expect(err(res.json)).toEqual({
        code: 'ERR_INTERNAL_CRITICAL',
        title: 'Unfortunately the application has experienced an error. Please try again later or contact us.',
      });
      expect(res.json.data).toBeUndefined();
    }
  });

  it('requires criteria and sourcing', async () => {
    h = await startHarness();
    const { criteria: _c, ...noCriteria } = tripBody();
    const { sourcing: _s, ...noSourcing } = tripBody();
    expect(err((await h.api('POST', '/trips', { body: noCriteria })).json)).toMatchObject({
      code: 'ERR_INPUT_MISSING',
      path: 'criteria',
    });
    expect(err((await h.api('POST', '/trips', { body: noSourcing })).json)).toMatchObject({
      code: 'ERR_INPUT_MISSING',
      path: 'sourcing',
    });
    expect((await h.api('POST', '/trips', { body: tripBody({ sourcing: 'yes' }) })).status).toBe(400);
  });

  it('answers empty lift strings and unknown categories with 422 LIFT_INVALID', async () => {
    h = await startHarness();
    for (const lift of [
      { aircraftCategory: 'Midsize jet', aircraftType: '' },
      { aircraftCategory: 'Midsize jet', aircraftTail: ' ' },
      { aircraftCategory: 'Spaceship' },
    ]) {
      const res = await h.api('POST', '/trips', { body: tripBody({ criteria: { requiredLift: [lift] } }) });
      expect(res.status, JSON.stringify(lift)).toBe(422);
      expect(err(res.json).code).toBe('LIFT_INVALID');
    }
  });

  it('answers a past departure date with 422 and a numeric paxCount with 400 naming the field', async () => {
    h = await startHarness();
    const past = tripBody();
    past.segments[0]!.dateTime.date = '2026-03-03'; // the clock says 2026-03-04
    const pastRes = await h.api('POST', '/trips', { body: past });
    expect(pastRes.status).toBe(422);
    expect(err(pastRes.json).path).toBe('segments[0].dateTime.date');
    const numeric = tripBody();
    (numeric.segments[1] as any).paxCount = 5;
    const paxRes = await h.api('POST', '/trips', { body: numeric });
    expect(paxRes.status).toBe(400);
    expect(err(paxRes.json).path).toBe('segments[1].paxCount');
  });

  it('answers a bad airport with the documented soft error (201, the trip created, meta.errors) or, with badAirport hard, a 422', async () => {
    h = await startHarness();
    const badAirport = tripBody();
    (badAirport.segments[0] as any).startAirport = { icao: '' };
    const soft = await h.api('POST', '/trips', { body: badAirport });
    expect(soft.status).toBe(201);
    expect(soft.json.data.id).toMatch(/^atrip-/);
    expect(soft.json.meta.errors).toEqual([
      expect.objectContaining({ code: 'START_AIRPORT_INVALID', path: 'segments[0].startAirport' }),
    ]);
    await h.emu.close();
    h = await startHarness({ badAirport: 'hard' });
    const hard = await h.api('POST', '/trips', { body: badAirport });
    expect(hard.status).toBe(422);
    expect(err(hard.json)).toMatchObject({ code: 'START_AIRPORT_INVALID' });
    expect(hard.json.data).toBeUndefined();
  });

  it('accepts criteria.legs/criteria.pax next to real segments (observed: accepted)', async () => {
    h = await startHarness();
    expect((await h.api('POST', '/trips', { body: tripBody({ criteria: { legs: [], pax: 4 } }) })).status).toBe(201);
  });

  it('reads a trip with embedded RFQs and lists RFQs by short trip id; the nested /trips/{id}/rfqs is NOT_FOUND', async () => {
    h = await startHarness();
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    const sent = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 2 })).json.data;
    expect(sent.rfqIds).toHaveLength(2);
    const read = (await h.api('GET', `/trips/${trip.id}`)).json.data;
    expect(read.rfqs.map((r: any) => r.id)).toEqual(sent.rfqIds);
    const list = await h.api('GET', `/rfqs/${trip.tripId}`);
    expect(list.status).toBe(200);
    expect(list.json.data.map((r: any) => r.id)).toEqual(sent.rfqIds);
    const rfq = (await h.api('GET', `/rfqs/${sent.rfqIds[0]}`)).json.data;
    expect(rfq).toMatchObject({
      id: sent.rfqIds[0],
      type: 'rfqs',
      tripId: trip.tripId,
      sellerCompany: { displayName: expect.any(String) },
    });
    expect(rfq.sellerLift[0]).toMatchObject({
      id: expect.stringMatching(/^asellerlift-\d+$/),
      aircraftCategory: 'Midsize jet',
      sourcingDisplayStatus: 'Unanswered',
      links: { quotes: [] },
    });
    expect((await h.api('GET', `/trips/${trip.id}/rfqs`)).status).toBe(404);
    expect((await h.api('GET', '/rfqs/ZZZZZZ')).status).toBe(404);
  });

  it('finds trips by externalTripId newest first; bare GET /trips is ERR_INTERNAL_CRITICAL', async () => {
    h = await startHarness();
    const first = (await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'dup' }) })).json.data;
    const second = (await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'dup' }) })).json.data;
    await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'other' }) });
    const found = await h.api('GET', '/trips?externalTripId=dup');
    expect(found.json.data.map((t: any) => t.id)).toEqual([second.id, first.id]);
    expect((await h.api('GET', '/trips?externalTripId=none')).json.data).toEqual([]);
    const bare = await h.api('GET', '/trips');
    expect(bare.status).toBe(500);
    expect(err(bare.json).code).toBe('ERR_INTERNAL_CRITICAL');
    const stats = (await h.admin('GET', '/stats')).json.data;
    expect(stats.tripsByExternalId).toEqual({ dup: 2, other: 1 });
  });

  it('[inferred] search by externalTripId switched off answers like an unsupported trip search, at start or through PUT /_emulator/settings', async () => {
    h = await startHarness({ searchByExternalId: 'off' });
    await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'dup' }) });
    const off = await h.api('GET', '/trips?externalTripId=dup');
    expect(off.status).toBe(500);
    expect(err(off.json).code).toBe('ERR_INTERNAL_CRITICAL');
    expect(off.json.data).toBeUndefined();
    expect((await h.admin('GET', '/settings')).json.data).toEqual({ searchByExternalId: 'off' });
    expect((await h.admin('PUT', '/settings', { searchByExternalId: 'on' })).json.data).toEqual({
      searchByExternalId: 'on',
    });
    expect((await h.api('GET', '/trips?externalTripId=dup')).json.data).toHaveLength(1);
    // The switch is typed: a bad value or an unknown setting is refused by name.
    const bad = await h.admin('PUT', '/settings', { searchByExternalId: 'maybe' });
    expect([bad.status, err(bad.json).path]).toEqual([400, 'searchByExternalId']);
    expect((await h.admin('PUT', '/settings', { somethingElse: true })).status).toBe(400);
    expect(await h.emu.admin.settings({ searchByExternalId: 'off' })).toEqual({ searchByExternalId: 'off' });
    expect((await h.api('GET', '/trips?externalTripId=dup')).status).toBe(500);
  });

  it('counts live trips per externalTripId apart from the cumulative count: a cancelled trip leaves it', async () => {
    h = await startHarness();
    const first = (await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'twice' }) })).json.data;
    await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'twice' }) });
    expect((await h.emu.admin.stats()).live.activeTripsByExternalId).toEqual({ twice: 2 });
    await h.api('PUT', `/trips/${first.id}/cancel`, { body: { reason: 'OTHER' } });
    const stats = await h.emu.admin.stats();
    expect([stats.tripsByExternalId.twice, stats.live.activeTripsByExternalId.twice]).toEqual([2, 1]);
  });

  it('cancels a trip and all its RFQs with a documented reason; other reasons are rejected', async () => {
    h = await startHarness();
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 2 });
    expect((await h.api('PUT', `/trips/${trip.id}/cancel`, { body: { id: trip.id, reason: 'BECAUSE' } })).status).toBe(
      400,
    );
    expect(
      (await h.api('PUT', `/trips/${trip.id}/cancel`, { body: { id: 'atrip-1', reason: 'BY_CLIENT' } })).status,
    ).toBe(400);
    const res = await h.api('PUT', `/trips/${trip.id}/cancel`, {
      body: { id: trip.id, messageToSeller: 'Client chose another option.', reason: 'BY_CLIENT' },
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      status: 'Cancelled',
      cancellation: { reason: 'BY_CLIENT', messageToSeller: 'Client chose another option.' },
    });
    expect(res.json.data.actions.cancel).toBeUndefined();
    // The RFQs are canceled; their lifts keep the documented statuses (no invented Cancelled status).
    expect(
      res.json.data.rfqs.every(
        (r: any) =>
          r.status === 'Cancelled' && r.canceled === true && r.sellerLift[0].sourcingDisplayStatus === 'Unanswered',
      ),
    ).toBe(true);
    expect((await h.api('PUT', `/trips/${trip.id}/cancel`, { body: { reason: 'BY_CLIENT' } })).status).toBe(200); // idempotent
    expect((await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 })).status).toBe(409);
    expect((await h.api('PUT', '/trips/atrip-99/cancel', { body: { reason: 'BY_CLIENT' } })).status).toBe(404);
  });
});
