import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, startReceiver, tripBody, waitFor, type Harness } from './support.ts';

let h: Harness | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
  for (const close of closers.splice(0)) await close();
});

const FAST = { firstDelayMs: 5, maxDelayMs: 20, horizonMs: 60 };

async function subscribe(
  harness: Harness,
  targetURI: string,
  eventTypes: string[],
  extra: Record<string, unknown> = {},
) {
  const res = await harness.api('POST', '/webhooks/settings', {
    body: {
      targetURI,
      displayName: 'tests',
      active: true,
      clientIdentifier: 'avinode-hook',
      clientSecret: 's3cret:with colon',
      clientAuthenticationType: 'BASIC',
      eventTypes,
      ...extra,
    },
  });
  expect(res.status).toBe(201);
  return res.json.data;
}

describe('webhook settings', () => {
  it('creates (active by default), lists and updates settings without echoing the secret', async () => {
    h = await startHarness();
    const created = await subscribe(h, 'https://hooks.example.test/a', ['TripRequestSellerResponse'], {
      active: undefined,
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^whs-\d+$/),
      active: true,
      eventTypes: ['TripRequestSellerResponse'],
      clientIdentifier: 'avinode-hook',
    });
    expect(created.clientSecret).toBeUndefined();
    const list = await h.api('GET', '/webhooks/settings');
    expect(list.json.data.map((s: any) => s.id)).toEqual([created.id]);
    const updated = await h.api('PUT', `/webhooks/settings/${created.id}`, {
      body: { active: false, eventTypes: ['TripChatFromSeller', 'TripRequestMine'] },
    });
    expect(updated.json.data).toMatchObject({
      active: false,
      eventTypes: ['TripChatFromSeller', 'TripRequestMine'],
      targetURI: 'https://hooks.example.test/a',
    });
    expect((await h.api('PUT', '/webhooks/settings/whs-999999', { body: { active: true } })).status).toBe(404);
  });

  it('rejects unknown event types (e.g. the misspelt TripChatSeller) and a missing targetURI', async () => {
    h = await startHarness();
    const misspelt = await h.api('POST', '/webhooks/settings', {
      body: { targetURI: 'https://x.test/', eventTypes: ['TripChatSeller'] },
    });
    expect(misspelt.status).toBe(400);
    expect(misspelt.json.meta.errors[0].path).toBe('eventTypes');
    expect((await h.api('POST', '/webhooks/settings', { body: { eventTypes: ['TripRequestMine'] } })).status).toBe(400);
  });
});

describe('webhook delivery', () => {
  it('posts thin payloads with HTTP Basic from the settings to each active subscription of the event', async () => {
    h = await startHarness({ webhookRetry: FAST });
    const mine = await startReceiver();
    const responses = await startReceiver();
    const inactive = await startReceiver();
    closers.push(mine.close, responses.close, inactive.close);
    await subscribe(h, `${mine.url}/webhooks/avinode/TripRequestMine`, ['TripRequestMine']);
    await subscribe(h, `${responses.url}/hooks`, ['TripRequestSellerResponse', 'TripChatFromSeller']);
    await subscribe(h, `${inactive.url}/hooks`, ['TripRequestMine', 'TripRequestSellerResponse'], { active: false });

    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    const { rfqIds } = (await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 })).json.data;
    const hook = (await waitFor(() => mine.received[0], { what: 'TripRequestMine' }))!;
    expect(hook.path).toBe('/webhooks/avinode/TripRequestMine');
    expect(hook.body).toEqual({
      id: rfqIds[0],
      href: `${h.emu.apiBaseUrl}/rfqs/${rfqIds[0]}`,
      type: 'rfqs',
      tripId: trip.tripId,
    });
    expect(hook.headers.authorization).toBe(
      `Basic ${Buffer.from('avinode-hook:s3cret:with colon').toString('base64')}`,
    );
    expect(hook.headers['content-type']).toBe('application/json');

    const quote = (
      await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote', price: 41250, currency: 'USD' })
    ).json.data;
    const chat = (await h.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'chat', message: 'Catering?' })).json
      .data;
    await waitFor(() => responses.received.length >= 2, { what: 'seller webhooks' });
    // Message notifications name the message only (documented for chats): no tripId.
    expect(responses.received.map((r) => r.body)).toEqual([
      { id: quote.messageId, href: `${h.emu.apiBaseUrl}/tripmsgs/${quote.messageId}`, type: 'tripmsgs' },
      { id: chat.messageId, href: `${h.emu.apiBaseUrl}/tripmsgs/${chat.messageId}`, type: 'tripmsgs' },
    ]);
    expect(mine.received).toHaveLength(1);
    expect(inactive.received).toHaveLength(0);
    const stats = (await h.admin('GET', '/stats')).json.data.webhooks;
    expect(stats).toMatchObject({ deliveries: 3, delivered: 3, failedAttempts: 0, dropped: 0, pending: 0 });
  });

  it('retries non-200 answers with backoff until one succeeds', async () => {
    h = await startHarness({ webhookRetry: { firstDelayMs: 5, maxDelayMs: 20, horizonMs: 10_000 } });
    const flaky = await startReceiver((_hook, index) => (index < 2 ? 503 : 200));
    closers.push(flaky.close);
    await subscribe(h, flaky.url, ['TripRequestMine']);
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 });
    await waitFor(async () => (await h!.admin('GET', '/stats')).json.data.webhooks.delivered === 1, {
      what: 'delivery',
    });
    expect(flaky.received).toHaveLength(3);
    expect(new Set(flaky.received.map((r) => r.body.id)).size).toBe(1);
    expect((await h.admin('GET', '/stats')).json.data.webhooks).toMatchObject({
      deliveries: 3,
      failedAttempts: 2,
      delivered: 1,
      pending: 0,
    });
    const deliveries = (await h.admin('GET', '/webhooks')).json.data;
    expect(deliveries[0]).toMatchObject({
      state: 'delivered',
      attempts: 3,
      lastStatus: 200,
      eventType: 'TripRequestMine',
    });
  });

  it('treats any non-200 (even 204) as a failure and drops the delivery after the horizon', async () => {
    h = await startHarness({ webhookRetry: FAST });
    const never = await startReceiver(() => 204);
    closers.push(never.close);
    await subscribe(h, never.url, ['TripRequestMine']);
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 });
    const stats = await waitFor(
      async () => {
        const webhooks = (await h!.admin('GET', '/stats')).json.data.webhooks;
        return webhooks.dropped === 1 ? webhooks : undefined;
      },
      { what: 'drop' },
    );
    // delays 5, 10, 20, 20 fit a 60 ms horizon (55 ms); the next 20 would not: 5 attempts in total.
    expect(stats).toMatchObject({ deliveries: 5, failedAttempts: 5, delivered: 0, dropped: 1, pending: 0 });
    expect(never.received).toHaveLength(5);
  });

  it('keeps retrying an unreachable target and then drops it', async () => {
    h = await startHarness({ webhookRetry: FAST });
    const gone = await startReceiver();
    await gone.close();
    await subscribe(h, gone.url, ['TripRequestMine']);
    const trip = (await h.api('POST', '/trips', { body: tripBody() })).json.data;
    await h.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 });
    await waitFor(async () => (await h!.admin('GET', '/stats')).json.data.webhooks.dropped === 1, { what: 'drop' });
    const deliveries = (await h.admin('GET', '/webhooks')).json.data;
    expect(deliveries[0]).toMatchObject({ state: 'dropped', attempts: 5 });
    expect(deliveries[0].lastError).toBeTruthy();
  });
});
