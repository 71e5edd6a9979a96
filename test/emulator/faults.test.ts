import { afterEach, describe, expect, it } from 'vitest';
import { parseFaultFlag } from '../../emulator/index.ts';
import { startHarness, startReceiver, tripBody, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('fault injection', () => {
  it('fails the next N calls of one route with 503, then recovers; other routes are untouched', async () => {
    h = await startHarness();
    await h.admin('PUT', '/faults', {
      rules: [{ route: 'POST /api/trips', kind: '503', times: 2, retryAfterSeconds: 7 }],
    });
    const first = await h.api('POST', '/trips', { body: tripBody() });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json.meta.errors[0].code).toBe('SERVICE_UNAVAILABLE');
    expect((await h.api('GET', '/trips?externalTripId=x')).status).toBe(200);
    expect((await h.api('POST', '/trips', { body: tripBody() })).status).toBe(503);
    expect((await h.api('POST', '/trips', { body: tripBody() })).status).toBe(201);
    expect((await h.admin('GET', '/faults')).json.data.rules).toEqual([]);
    expect((await h.admin('GET', '/stats')).json.data.faultsInjected).toEqual({ 503: 2 });
  });

  it('injects 500, ERR_INTERNAL_CRITICAL and 429 with Retry-After on route templates', async () => {
    h = await startHarness();
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    await h.admin('PUT', '/faults', {
      rules: [
        { route: 'GET /api/trips/:id', kind: 'internal_critical', times: 1 },
        { route: 'GET /api/rfqs/:id', kind: '429', times: 1, retryAfterSeconds: 3 },
        { route: 'PUT /api/trips/:id/cancel', kind: '500', times: 1 },
      ],
    });
    const critical = await h.api('GET', `/trips/${trip.id}`);
    expect(critical.status).toBe(500);
    expect(critical.json.meta.errors[0].code).toBe('ERR_INTERNAL_CRITICAL');
    const limited = await h.api('GET', `/rfqs/${trip.tripId}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await h.api('PUT', `/trips/${trip.id}/cancel`, { body: { reason: 'OTHER' } })).status).toBe(500);
    expect((await h.api('GET', `/trips/${trip.id}`)).status).toBe(200);
  });

  it('uses OAuth-shaped errors on the token endpoint', async () => {
    h = await startHarness();
    await h.admin('PUT', '/faults', {
      rules: [
        { route: 'POST /api/oauth/token', kind: '500', times: 1 },
        { route: 'POST /api/oauth/token', kind: '429', times: 1, retryAfterSeconds: 2 },
      ],
    });
    const res = await fetch(h.emu.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error).toBe('server_error');
    const limited = await fetch(h.emu.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
  });

  it('revoke_tokens revokes every token before the call, which then gets 401 invalid_token', async () => {
    h = await startHarness();
    const token = await h.token();
    await h.admin('PUT', '/faults', { rules: [{ kind: 'revoke_tokens', route: 'GET /api/trips', times: 1 }] });
    const res = await h.api('GET', '/trips?externalTripId=x', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await h.api('GET', '/trips?externalTripId=x', { token: await h.token() })).status).toBe(200);
  });

  it('adds latency without changing the answer', async () => {
    h = await startHarness();
    const token = await h.token();
    await h.admin('PUT', '/faults', { rules: [{ kind: 'latency', latencyMs: 50, times: 1 }] });
    const started = performance.now();
    expect((await h.api('GET', '/trips?externalTripId=x', { token })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40); // a lower bound only: slowness cannot make it fail
    const entry = (await h.admin('GET', '/requests?route=GET%20/api/trips')).json.data.at(-1);
    expect(entry.fault).toBe('latency');
  });

  it('probability faults are deterministic for a given seed', async () => {
    const pattern = async (seed: number) => {
      const harness = await startHarness();
      await harness.admin('PUT', '/faults', {
        seed,
        rules: [{ kind: '500', route: 'GET /api/trips', probability: 0.5 }],
      });
      const token = await harness.token();
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++)
        statuses.push((await harness.api('GET', '/trips?externalTripId=x', { token })).status);
      await harness.emu.close();
      return statuses;
    };
    const a = await pattern(42);
    expect(await pattern(42)).toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(200);
    expect(await pattern(43)).not.toEqual(a);
  });

  it('drops or duplicates webhook deliveries', async () => {
    h = await startHarness({ webhookRetry: { firstDelayMs: 5, maxDelayMs: 5, horizonMs: 50 } });
    const receiver = await startReceiver();
    try {
      await h.api('POST', '/webhooks/settings', {
        body: { targetURI: receiver.url, eventTypes: ['TripRequestMine', 'TripRequestSellerResponse'] },
      });
      await h.admin('PUT', '/faults', {
        rules: [
          { kind: 'drop_webhooks', route: 'TripRequestMine', times: 1 },
          { kind: 'duplicate_webhooks', route: 'TripRequestSellerResponse', times: 1 },
        ],
      });
      const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
      const { rfqIds } = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 2 })).json.data;
      const quote = (await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote' })).json.data;
      await waitFor(() => receiver.received.length >= 3, { what: 'deliveries' });
      expect(receiver.received.map((r) => r.body.id).sort()).toEqual(
        [rfqIds[1], quote.messageId, quote.messageId].sort(),
      );
      const stats = (await h.admin('GET', '/stats')).json.data.webhooks;
      expect(stats).toMatchObject({ dropped: 1, duplicated: 1, delivered: 3 });
    } finally {
      await receiver.close();
    }
  });

  it('validates fault rules and clears them with DELETE', async () => {
    h = await startHarness();
    expect((await h.admin('PUT', '/faults', { rules: [{ kind: 'explode' }] })).status).toBe(400);
    expect((await h.admin('PUT', '/faults', { rules: [{ kind: '500', probability: 2 }] })).status).toBe(400);
    expect((await h.admin('PUT', '/faults', { rules: [{ kind: 'latency' }] })).status).toBe(400);
    const token = await h.token();
    await h.admin('PUT', '/faults', { rules: [{ kind: '500' }] });
    expect((await h.api('GET', '/trips?externalTripId=x', { token })).status).toBe(500);
    expect((await h.admin('DELETE', '/faults')).status).toBe(200);
    expect((await h.api('GET', '/trips?externalTripId=x')).status).toBe(200);
    expect((await h.admin('GET', '/stats')).status).toBe(200); // admin routes are never faulted
  });

  it('parses the CLI form of a rule', () => {
    expect(parseFaultFlag('503@POST /api/trips,times=2')).toEqual({ kind: '503', route: 'POST /api/trips', times: 2 });
    expect(parseFaultFlag('429,probability=0.2,retryAfterSeconds=3')).toEqual({
      kind: '429',
      probability: 0.2,
      retryAfterSeconds: 3,
    });
    expect(parseFaultFlag('latency@GET /api/rfqs/:id,latencyMs=300')).toEqual({
      kind: 'latency',
      route: 'GET /api/rfqs/:id',
      latencyMs: 300,
    });
    expect(() => parseFaultFlag('boom')).toThrow(/kind/);
    expect(() => parseFaultFlag('500,times')).toThrow(/key=value/);
  });
});

describe('extra fault kinds', () => {
  it('403 answers AUTHORIZATION_PERMISSIONS on the API and unauthorized_client on the token endpoint', async () => {
    h = await startHarness();
    const token = await h.token();
    await h.admin('PUT', '/faults', {
      rules: [
        { kind: '403', route: 'GET /api/trips/:id', times: 1 },
        { kind: '403', route: 'POST /api/oauth/token', times: 1 },
      ],
    });
    const res = await h.api('GET', '/trips/atrip-1', { token });
    expect(res.status).toBe(403);
    expect(res.json.meta.errors[0].code).toBe('AUTHORIZATION_PERMISSIONS');
    await expect(h.token()).rejects.toThrow(/unauthorized_client/);
  });

  it('soft_error answers 200 with the data and a non-empty meta.errors', async () => {
    h = await startHarness();
    const token = await h.token();
    await h.admin('PUT', '/faults', { rules: [{ kind: 'soft_error', route: 'POST /api/trips', times: 1 }] });
    const res = await h.api('POST', '/trips', { token, body: tripBody() });
    expect(res.status).toBe(201);
    expect(res.json.data.id).toMatch(/^atrip-/);
    expect(res.json.meta.errors).toEqual([
      { title: 'The start airport is invalid', code: 'START_AIRPORT_INVALID', path: 'segments[0].startAirport' },
    ]);
    expect((await h.api('POST', '/trips', { token, body: tripBody() })).json.meta.errors).toEqual([]);
  });

  it('short_tokens issues tokens with a shorter (truthfully reported) lifetime that really ends', async () => {
    h = await startHarness();
    await h.admin('PUT', '/faults', { rules: [{ kind: 'short_tokens', tokenLifetimeSeconds: 10, times: 1 }] });
    await h.api('GET', '/trips?externalTripId=x', { token: 'not-a-token' }); // an API call does not consume the rule
    const res = await fetch(h.emu.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: h.emu.credentials.clientId,
        client_secret: h.emu.credentials.clientSecret,
      }),
    });
    const body = (await res.json()) as any;
    expect(body.expires_in).toBe(9);
    expect((await h.api('GET', '/trips?externalTripId=x', { token: body.access_token })).status).toBe(200);
    h.clock.advance(10_000);
    expect((await h.api('GET', '/trips?externalTripId=x', { token: body.access_token })).status).toBe(401);
    expect((await h.admin('GET', '/faults')).json.data.rules).toEqual([]);
  });
});

describe('out-of-order webhooks and the Date header', () => {
  it('delay_webhooks holds a delivery back so a later event overtakes it', async () => {
    h = await startHarness({ webhookRetry: { firstDelayMs: 5, maxDelayMs: 5, horizonMs: 50 } });
    const receiver = await startReceiver();
    try {
      await h.api('POST', '/webhooks/settings', {
        body: { targetURI: receiver.url, eventTypes: ['TripRequestSellerResponse'] },
      });
      const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
      const { rfqIds } = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 2 })).json.data;
      // Held for a minute: the later event is certainly delivered first; close() discards the held one.
      await h.admin('PUT', '/faults', { rules: [{ kind: 'delay_webhooks', latencyMs: 60_000, times: 1 }] });
      const first = (await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote' })).json.data;
      const second = (await h.admin('POST', `/rfqs/${rfqIds[1]}/respond`, { action: 'decline' })).json.data;
      await waitFor(() => receiver.received.length === 1, { what: 'the undelayed delivery' });
      expect(receiver.received[0]!.body.id).toBe(second.messageId);
      const held = (await h.admin('GET', '/webhooks')).json.data.find((d: any) => d.payload.id === first.messageId);
      expect(held).toMatchObject({ state: 'pending', attempts: 0 });
    } finally {
      await receiver.close();
    }
  });

  it('delay_webhooks still delivers the held event once its delay has passed', async () => {
    h = await startHarness();
    const receiver = await startReceiver();
    try {
      await h.api('POST', '/webhooks/settings', { body: { targetURI: receiver.url, eventTypes: ['TripRequestMine'] } });
      await h.admin('PUT', '/faults', { rules: [{ kind: 'delay_webhooks', latencyMs: 20 }] });
      const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
      const { rfqIds } = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 })).json.data;
      await waitFor(() => receiver.received.length === 1, { what: 'the held delivery' });
      expect(receiver.received[0]!.body.id).toBe(rfqIds[0]);
    } finally {
      await receiver.close();
    }
  });

  it('answers with a Date header taken from the emulator clock', async () => {
    h = await startHarness();
    const res = await fetch(`${h.emu.url}/_emulator/stats`);
    expect(res.headers.get('date')).toBe(new Date(h.clock.ms).toUTCString());
  });
});
