import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, tripBody, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('journal and stats', () => {
  it('records method, route template, path, status, duration, headers and bodies with every secret redacted', async () => {
    h = await startHarness();
    const { clientSecret, apiToken } = h.emu.credentials;
    const token = await h.token();
    const trip = (await h.api('POST', '/trips', { body: tripBody(), token })).json.data;
    await h.api('GET', `/trips/${trip.id}`, { token });
    await h.api('POST', '/webhooks/settings', {
      token,
      body: { targetURI: 'https://x.test/', eventTypes: ['TripRequestMine'], clientSecret: 'hook-secret' },
    });
    const entries = (await h.admin('GET', '/requests')).json.data;
    expect(entries.map((e: any) => e.route)).toEqual([
      'POST /api/oauth/token',
      'POST /api/trips',
      'GET /api/trips/:id',
      'POST /api/webhooks/settings',
    ]);
    const [tokenCall, create, read] = entries;
    expect(tokenCall.requestBody).toEqual({
      grant_type: 'client_credentials',
      client_id: h.emu.credentials.clientId,
      client_secret: '[redacted]',
    });
    expect(tokenCall.responseBody).toMatchObject({ access_token: '[redacted]', expires_in: 1799 });
    expect(create).toMatchObject({
      method: 'POST',
      path: '/api/trips',
      status: 201,
      requestBody: { externalTripId: 'trip-ext-1' },
    });
    expect(create.requestHeaders.authorization).toBe('[redacted]');
    expect(create.requestHeaders['x-avinode-apitoken']).toBe('[redacted]');
    expect(create.requestHeaders['x-avinode-senttimestamp']).toBeTruthy();
    expect(typeof read.durationMs).toBe('number');
    expect(read.path).toBe(`/api/trips/${trip.id}`);
    const serialized = JSON.stringify(entries);
    for (const secret of [clientSecret, apiToken, token, 'hook-secret']) expect(serialized).not.toContain(secret);
  });

  it('redacts secrets in query strings and filters by route, limit and sequence; the ring buffer is bounded', async () => {
    h = await startHarness({ journalSize: 5 });
    await fetch(`${h.emu.url}/airvantage/api/oauth/expire?access_token=very-secret-token`);
    const expire = (await h.admin('GET', '/requests')).json.data.at(-1);
    expect(expire.path).toBe('/airvantage/api/oauth/expire?access_token=%5Bredacted%5D');
    for (let i = 0; i < 8; i++) await fetch(`${h.emu.url}/nope/${i}`);
    const all = (await h.admin('GET', '/requests')).json.data;
    expect(all).toHaveLength(5);
    expect(all.at(-1).path).toBe('/nope/7');
    expect(all.at(-1).status).toBe(404);
    expect((await h.admin('GET', '/requests?limit=2')).json.data.map((e: any) => e.path)).toEqual([
      '/nope/6',
      '/nope/7',
    ]);
    const since = all[2].seq;
    expect((await h.admin('GET', `/requests?sinceSeq=${since}`)).json.data).toHaveLength(2);
    await h.admin('DELETE', '/requests');
    expect((await h.admin('GET', '/requests')).json.data.map((e: any) => e.route)).toEqual([
      'DELETE /_emulator/requests',
    ]);
  });

  it('counts requests per route, responses per status, token requests, trips per externalTripId', async () => {
    h = await startHarness();
    const token = await h.token();
    await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'A' }), token });
    await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'A' }), token });
    await h.api('GET', '/trips/atrip-1', { token });
    const stats = (await h.admin('GET', '/stats')).json.data;
    expect(stats.requestsByRoute).toMatchObject({
      'POST /api/oauth/token': 1,
      'POST /api/trips': 2,
      'GET /api/trips/:id': 1,
    });
    expect(stats.responsesByStatus).toMatchObject({ 200: 1, 201: 2, 404: 1 });
    expect(stats.tokenRequests).toMatchObject({ total: 1, issued: 1, byProvider: { avinode: 1 } });
    expect(stats.tripsByExternalId).toEqual({ A: 2 });
    expect(stats.live).toMatchObject({ trips: 2, activeTokens: 1 });
  });
});
