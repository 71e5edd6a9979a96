// The whole broker flow, written from the public documentation only: token → create trip → the
// broker sends RFQs from the deep link → operators quote → read RFQs, quotes and messages via the
// webhook hrefs → cancel → sandbox reset → old ids are NOT_FOUND.
import { afterEach, expect, it } from 'vitest';
import { startHarness, startReceiver, tripBody, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

it('completes the broker flow end to end against the emulator', async () => {
  h = await startHarness({
    credentials: { authMethod: 'client_secret_basic' },
    webhookRetry: { firstDelayMs: 5, maxDelayMs: 20, horizonMs: 1_000 },
  });
  const receiver = await startReceiver();
  cleanups.push(receiver.close);
  const { clientId, clientSecret } = h.emu.credentials;

  // 1. Token (client_secret_basic, form-encoded id and secret).
  const enc = (v: string) => new URLSearchParams({ v }).toString().slice(2);
  const tokenRes = await fetch(`${h.emu.apiBaseUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      authorization: `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', expiresInMinutes: '60' }),
  });
  expect(tokenRes.status).toBe(200);
  const { access_token: token, expires_in } = (await tokenRes.json()) as { access_token: string; expires_in: number };
  expect(expires_in).toBe(3599);
  const get = async (href: string) => {
    expect(href.startsWith(h!.emu.apiBaseUrl)).toBe(true); // credentials only go to the API origin
    return h!.api('GET', href.slice(h!.emu.apiBaseUrl.length), { token });
  };

  // 2. Webhook subscriptions, one target URI per event type.
  for (const eventType of ['TripRequestMine', 'TripRequestSellerResponse', 'TripChatFromSeller']) {
    const res = await h.api('POST', '/webhooks/settings', {
      token,
      body: {
        targetURI: `${receiver.url}/webhooks/avinode/${eventType}`,
        displayName: eventType,
        active: true,
        clientIdentifier: 'avinode',
        clientSecret: 'hook-pass',
        clientAuthenticationType: 'BASIC',
        eventTypes: [eventType],
      },
    });
    expect(res.status).toBe(201);
  }

  // 3. Create the trip; the deep link shows the itinerary pre-filled.
  const created = await h.api('POST', '/trips', { token, body: tripBody({ externalTripId: 'trip-flow-1' }) });
  expect(created.status).toBe(201);
  const trip = created.json.data;
  const page = await (await fetch(trip.actions.searchInAvinode.href)).text();
  expect(page).toContain(
    '<td class="from">KTEB</td><td class="to">KPBI</td><td class="date">2026-05-14</td><td class="time">09:30</td><td class="pax">5</td>',
  );

  // 4. The broker presses "Send RFQs" on that page.
  const form = await fetch(`${h.emu.url}/marketplace/mvc/trips/${trip.id}/send-rfqs`, {
    method: 'POST',
    body: new URLSearchParams({ operators: '3' }),
    redirect: 'manual',
  });
  expect(form.status).toBe(303);
  const mine = await waitFor(
    () =>
      receiver.received.filter((r) => r.path.endsWith('/TripRequestMine')).length === 3
        ? receiver.received.filter((r) => r.path.endsWith('/TripRequestMine'))
        : undefined,
    { what: 'TripRequestMine x3' },
  );
  expect(
    mine.every(
      (r) =>
        r.body.type === 'rfqs' &&
        r.body.tripId === trip.tripId &&
        r.headers.authorization === `Basic ${Buffer.from('avinode:hook-pass').toString('base64')}`,
    ),
  ).toBe(true);
  const rfqIds = mine.map((r) => r.body.id);

  // 5. Operators answer: two quotes (one re-priced later), one decline, one chat.
  await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, {
    action: 'quote',
    price: 41250,
    currency: 'USD',
    aircraftType: 'Citation XLS+',
    aircraftTail: 'N123EX',
    seats: 8,
  });
  await h.admin('POST', `/rfqs/${rfqIds[1]}/respond`, { action: 'chat', message: 'Any pets on board?' });
  await h.admin('POST', `/rfqs/${rfqIds[1]}/respond`, { action: 'quote', price: 52000, currency: 'USD' });
  await h.admin('POST', `/rfqs/${rfqIds[2]}/respond`, { action: 'decline', reason: 'AIRCRAFT_NOT_AVAILABLE' });
  await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'reprice', price: 39900 });
  const responses = await waitFor(
    () => {
      const list = receiver.received.filter((r) => r.path.endsWith('/TripRequestSellerResponse'));
      return list.length === 4 ? list : undefined;
    },
    { what: 'seller responses' },
  );
  const chats = receiver.received.filter((r) => r.path.endsWith('/TripChatFromSeller'));
  expect(chats).toHaveLength(1);

  // 6. Read everything back through the hrefs in the payloads.
  const quotes = new Map<string, { price: number; currency: string }>();
  let declines = 0;
  for (const hook of responses) {
    const message = (await get(hook.body.href)).json.data;
    expect(message.trip.tripId).toBe(trip.tripId);
    if (message.declineReason) {
      declines += 1;
      continue;
    }
    const quote = (await get(`${h.emu.apiBaseUrl}/quotes/${message.quote.id}`)).json.data;
    quotes.set(quote.id, quote.sellerPrice);
  }
  expect(declines).toBe(1);
  expect([...quotes.values()].map((p) => p.price).sort()).toEqual([39900, 52000]); // re-price updated the same quote id
  expect((await get(chats[0]!.body.href)).json.data.message).toBe('Any pets on board?');
  const rfqs = (await h.api('GET', `/rfqs/${trip.tripId}`, { token })).json.data;
  expect(rfqs.map((r: any) => r.sellerLift[0].sourcingDisplayStatus)).toEqual(['Accepted', 'Accepted', 'Declined']);
  expect(rfqs[0].sellerLift[0]).toMatchObject({
    aircraftTail: 'N123EX',
    maxPax: 8,
    sellerPrice: { price: 39900, currency: 'USD' },
  });
  const fullTrip = (await get(trip.href)).json.data;
  expect(fullTrip.rfqs.flatMap((r: any) => r.sellerLift[0].links.quotes.map((q: any) => q.id)).sort()).toEqual(
    [...quotes.keys()].sort(),
  );

  // 7. Cancel through the cancel action.
  const cancel = await h.api('PUT', trip.actions.cancel.href.slice(h.emu.apiBaseUrl.length), {
    token,
    body: { id: trip.id, messageToSeller: 'Client chose another option.', reason: 'BY_CLIENT' },
  });
  expect(cancel.json.data.status).toBe('Cancelled');
  // A cancellation made by my company fires TripRequestMine again, once per RFQ.
  await waitFor(() => receiver.received.filter((r) => r.path.endsWith('/TripRequestMine')).length === 6, {
    what: 'cancellation webhooks',
  });

  // 8. The weekly wipe: old ids are NOT_FOUND, the old token is invalid, a new token works.
  await h.admin('POST', '/reset');
  expect((await h.api('GET', `/trips/${trip.id}`, { token })).status).toBe(401);
  const fresh = await h.token();
  for (const path of [
    `/trips/${trip.id}`,
    `/rfqs/${rfqIds[0]}`,
    `/rfqs/${trip.tripId}`,
    ...[...quotes.keys()].map((id) => `/quotes/${id}`),
  ]) {
    const res = await h.api('GET', path, { token: fresh });
    expect(res.status, path).toBe(404);
    expect(res.json.meta.errors[0].code).toBe('NOT_FOUND');
  }
  const stats = (await h.admin('GET', '/stats')).json.data;
  expect(stats).toMatchObject({
    tripsByExternalId: { 'trip-flow-1': 1 },
    quotes: 2,
    declines: 1,
    reprices: 1,
    chats: 1,
    cancels: 1,
    resets: 1,
  });
  expect(stats.webhooks.delivered).toBe(stats.webhooks.deliveries);
});
