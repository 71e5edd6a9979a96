import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, tripBody, tripWithRfqs, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('simulated operators (admin API)', () => {
  it('a quote makes the lift Accepted with sellerPrice and links, and is readable as quote and trip message', async () => {
    h = await startHarness();
    const { trip, rfqIds } = await tripWithRfqs(h);
    const res = await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, {
      action: 'quote',
      price: 41250,
      currency: 'USD',
      aircraftCategory: 'Midsize jet',
      aircraftType: 'Citation XLS+',
      aircraftTail: 'N123EX',
      seats: 8,
      message: 'Happy to fly you.',
    });
    expect(res.status).toBe(200);
    const result = res.json.data;
    expect(result).toMatchObject({
      rfqId: rfqIds[0],
      action: 'quote',
      status: 'Accepted',
      price: 41250,
      currency: 'USD',
      quoteId: expect.stringMatching(/^aquote-\d+$/),
      messageId: expect.stringMatching(/^asellermsg-\d+$/),
    });

    const rfq = (await h.api('GET', `/rfqs/${rfqIds[0]}`)).json.data;
    expect(rfq.sellerLift[0]).toMatchObject({
      id: result.liftId,
      aircraftCategory: 'Midsize jet',
      aircraftType: 'Citation XLS+',
      aircraftTail: 'N123EX',
      maxPax: 8,
      sourcingDisplayStatus: 'Accepted',
      sellerPrice: { price: 41250, currency: 'USD' },
      links: { quotes: [{ id: result.quoteId }] },
    });
    expect(rfq.links.tripmsgs).toEqual([
      { id: result.messageId, href: `${h.emu.apiBaseUrl}/tripmsgs/${result.messageId}`, type: 'tripmsgs' },
    ]);

    const quote = (await h.api('GET', `/quotes/${result.quoteId}`)).json.data;
    expect(quote).toMatchObject({
      id: result.quoteId,
      sellerPrice: { price: 41250, currency: 'USD' },
      sellerPriceWithoutCommission: { price: 41250, currency: 'USD' },
      sellerMessage: 'Happy to fly you.',
      lift: { id: result.liftId, aircraftTail: 'N123EX', maxPax: 8 },
      sellerCompany: { displayName: rfq.sellerCompany.displayName },
      rfq: { id: rfqIds[0] },
    });
    expect(quote.segments).toHaveLength(2);
    expect(quote.createdOn).toBe(quote.updatedOn);

    const message = (await h.api('GET', `/tripmsgs/${result.messageId}`)).json.data;
    expect(message).toMatchObject({
      id: result.messageId,
      type: 'tripmsgs',
      message: 'Happy to fly you.',
      rfq: { id: rfqIds[0] },
      trip: { id: trip.id, tripId: trip.tripId },
      lift: { id: result.liftId },
      quote: { id: result.quoteId },
    });
    expect(message.decline).toBeUndefined();
  });

  it('a re-price updates the same quote id (price and updatedOn) and adds a message', async () => {
    h = await startHarness();
    const { rfqIds } = await tripWithRfqs(h, 1);
    const quoted = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote', price: 30000, currency: 'USD' })
    ).json.data;
    h.clock.advance(60_000);
    const repriced = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'reprice', price: 28500, currency: 'EUR' })
    ).json.data;
    expect(repriced).toMatchObject({ quoteId: quoted.quoteId, price: 28500, currency: 'EUR' });
    expect(repriced.messageId).not.toBe(quoted.messageId);
    const quote = (await h.api('GET', `/quotes/${quoted.quoteId}`)).json.data;
    expect(quote.sellerPrice).toEqual({ price: 28500, currency: 'EUR' });
    expect(Date.parse(quote.updatedOn) - Date.parse(quote.createdOn)).toBe(60_000);
    const rfq = (await h.api('GET', `/rfqs/${rfqIds[0]}`)).json.data;
    expect(rfq.sellerLift[0].sellerPrice).toEqual({ price: 28500, currency: 'EUR' });
    expect(rfq.sellerLift[0].links.quotes).toHaveLength(1);
    expect((await h.api('GET', `/tripmsgs/${repriced.messageId}`)).json.data.quote.id).toBe(quoted.quoteId);
  });

  it('a decline records the documented reason; re-pricing an unquoted lift is a 409', async () => {
    h = await startHarness();
    const { rfqIds } = await tripWithRfqs(h, 2);
    expect((await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'reprice', price: 1 })).status).toBe(409);
    expect((await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'decline', reason: 'TOO_FAR' })).status).toBe(
      400,
    );
    const declined = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'decline', reason: 'CREW_NOT_AVAILABLE' })
    ).json.data;
    expect(declined.status).toBe('Declined');
    const message = (await h.api('GET', `/tripmsgs/${declined.messageId}`)).json.data;
    expect(message.declineReason).toBe('CREW_NOT_AVAILABLE');
    expect(message.quote).toBeUndefined();
    const rfq = (await h.api('GET', `/rfqs/${rfqIds[0]}`)).json.data;
    expect(rfq.sellerLift[0]).toMatchObject({ sourcingDisplayStatus: 'Declined', links: { quotes: [] } });
    expect(rfq.sellerLift[0].sellerPrice).toBeUndefined();
  });

  it('a chat adds a message without changing the lift', async () => {
    h = await startHarness();
    const { rfqIds } = await tripWithRfqs(h, 1);
    const chat = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'chat', message: 'Is the pax count final?' })
    ).json.data;
    expect(chat.status).toBe('Unanswered');
    expect((await h.api('GET', `/tripmsgs/${chat.messageId}`)).json.data).toMatchObject({
      message: 'Is the pax count final?',
    });
  });

  it('validates the respond body and answers unknown RFQs with NOT_FOUND', async () => {
    h = await startHarness();
    const { rfqIds } = await tripWithRfqs(h, 1);
    for (const body of [
      { action: 'accept' },
      { action: 'quote', price: -1 },
      { action: 'quote', currency: 'usd' },
      { action: 'quote', seats: 0 },
      { action: 'quote', aircraftCategory: 'Rocket' },
      { action: 'quote', aircraftTail: '' },
    ]) {
      expect((await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await h.admin('POST', '/rfqs/arfq-1/respond', { action: 'quote' })).status).toBe(404);
    expect((await h.admin('POST', '/trips/atrip-1/send-rfqs', { operators: 1 })).status).toBe(404);
    expect((await h.admin('POST', `/trips/x/send-rfqs`, { operators: 0 })).status).toBe(400);
  });

  it('honours requested lift category on the RFQs it sends', async () => {
    h = await startHarness();
    const { rfqIds } = await tripWithRfqs(
      h,
      3,
      tripBody({ criteria: { requiredLift: [{ aircraftCategory: 'Heavy jet' }] } }),
    );
    for (const id of rfqIds)
      expect((await h.api('GET', `/rfqs/${id}`)).json.data.sellerLift[0].aircraftCategory).toBe('Heavy jet');
  });
});

describe('autopilot', () => {
  it('sends RFQs after a trip is created and operators answer on their own (quotes, declines, re-prices, chats)', async () => {
    h = await startHarness({
      seed: 7,
      autopilot: {
        enabled: true,
        sendRfqsAfterMs: 5,
        operators: 6,
        quoteAfterMs: 10,
        declineRatio: 0.5,
        chatRatio: 0.5,
        repriceAfterMs: 5,
      },
    });
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    const done = await waitFor(
      async () => {
        const read = (await h!.api('GET', `/trips/${trip.id}`)).json.data;
        return read.rfqs.length === 6 &&
          read.rfqs.every((r: any) => r.sellerLift[0].sourcingDisplayStatus !== 'Unanswered')
          ? read
          : undefined;
      },
      { what: 'all operators answered' },
    );
    const statuses = done.rfqs.map((r: any) => r.sellerLift[0].sourcingDisplayStatus);
    expect(statuses).toContain('Accepted');
    expect(statuses).toContain('Declined');
    const stats = await waitFor(
      async () => {
        const s = (await h!.admin('GET', '/stats')).json.data;
        return s.reprices === s.quotes ? s : undefined;
      },
      { what: 're-prices' },
    );
    expect(stats.quotes + stats.declines).toBe(6);
    expect(stats.chats).toBeGreaterThan(0);
  });

  it('can be switched on at runtime through PUT /_emulator/autopilot', async () => {
    h = await startHarness();
    expect((await h.admin('GET', '/autopilot')).json.data.enabled).toBe(false);
    expect(
      (
        await h.admin('PUT', '/autopilot', {
          enabled: true,
          sendRfqsAfterMs: 1,
          quoteAfterMs: 1,
          operators: 2,
          declineRatio: 0,
          chatRatio: 0,
        })
      ).status,
    ).toBe(200);
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    await waitFor(
      async () =>
        (await h!.api('GET', `/rfqs/${trip.tripId}`)).json.data?.filter(
          (r: any) => r.sellerLift[0].sourcingDisplayStatus === 'Accepted',
        ).length === 2,
      { what: 'two quotes' },
    );
    expect((await h.admin('PUT', '/autopilot', { declineRatio: 3 })).status).toBe(400);
  });
});

describe('deep-link page', () => {
  it('shows the stored itinerary (legs, date, time, pax, category) and its Send RFQs form does the broker step', async () => {
    h = await startHarness();
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    const page = await fetch(trip.actions.searchInAvinode.href);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await page.text();
    expect(text).toContain(`<dd id="trip-id">${trip.tripId}</dd>`);
    expect(text).toContain(
      '<tr data-leg="0"><td class="from">KTEB</td><td class="to">KPBI</td><td class="date">2026-05-14</td><td class="time">09:30</td><td class="pax">5</td></tr>',
    );
    expect(text).toContain(
      '<tr data-leg="1"><td class="from">KPBI</td><td class="to">KTEB</td><td class="date">2026-05-18</td><td class="time">16:00</td><td class="pax">5</td></tr>',
    );
    expect(text).toContain('<dd id="category">Midsize jet</dd>');
    expect(text).toContain('id="no-rfqs"');

    const sent = await fetch(`${h.emu.url}/marketplace/mvc/trips/${trip.id}/send-rfqs`, {
      method: 'POST',
      body: new URLSearchParams({ operators: '2' }),
      redirect: 'manual',
    });
    expect(sent.status).toBe(303);
    const after = await (await fetch(new URL(sent.headers.get('location')!, h.emu.url))).text();
    expect(after.match(/<td class="status">Unanswered<\/td>/g)).toHaveLength(2);
    expect((await h.api('GET', `/rfqs/${trip.tripId}`)).json.data).toHaveLength(2);
  });

  it('escapes stored text and answers an unknown trip with a 404 page', async () => {
    h = await startHarness();
    const trip = (await h.api('POST', '/trips', { body: tripBody({ externalTripId: '<script>x</script>' }) })).json
      .data;
    const text = await (await fetch(trip.actions.viewInAvinode.href)).text();
    expect(text).not.toContain('<script>x');
    expect(text).toContain('&#60;script&#62;x');
    expect((await fetch(`${h.emu.url}/marketplace/mvc/search/load/atrip-1?source=api`)).status).toBe(404);
  });
});
