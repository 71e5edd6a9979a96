import { afterEach, describe, expect, it } from 'vitest';
import { nextScheduledReset } from '../../emulator/index.ts';
import { startHarness, tripBody, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

async function populate(harness: Harness) {
  const trip = (await harness.api('POST', '/trips', { body: tripBody() })).json.data;
  const { rfqIds } = (await harness.admin('POST', `/trips/${trip.id}/send-rfqs`, { operators: 1 })).json.data;
  const quote = (await harness.admin('POST', `/rfqs/${rfqIds[0]}/respond`, { action: 'quote', price: 1000 })).json.data;
  const setting = (
    await harness.api('POST', '/webhooks/settings', {
      body: { targetURI: 'https://x.test/h', eventTypes: ['TripRequestMine'] },
    })
  ).json.data;
  return { trip, rfqId: rfqIds[0] as string, quote, setting };
}

describe('sandbox reset', () => {
  it('POST /_emulator/reset wipes trips, RFQs, quotes, messages and webhook settings: old ids answer NOT_FOUND', async () => {
    h = await startHarness();
    const { trip, rfqId, quote } = await populate(h);
    expect((await h.admin('POST', '/reset')).status).toBe(200);
    const token = await h.token(); // reset revoked the old token
    for (const path of [
      `/trips/${trip.id}`,
      `/rfqs/${rfqId}`,
      `/rfqs/${trip.tripId}`,
      `/quotes/${quote.quoteId}`,
      `/tripmsgs/${quote.messageId}`,
    ]) {
      const res = await h.api('GET', path, { token });
      expect(res.status, path).toBe(404);
      expect(res.json.meta.errors[0].code).toBe('NOT_FOUND');
    }
    expect((await h.api('GET', '/webhooks/settings', { token })).json.data).toEqual([]);
    // New ids never reuse old ones.
    const fresh = (await h.api('POST', '/trips', { body: tripBody(), token })).json.data;
    expect(fresh.id).not.toBe(trip.id);
    expect((await h.admin('GET', '/stats')).json.data).toMatchObject({
      resets: 1,
      tripsByExternalId: { 'trip-ext-1': 2 },
    });
  });

  it('revokes tokens on reset so the next API call gets 401 invalid_token', async () => {
    h = await startHarness();
    const token = await h.token();
    await h.admin('POST', '/reset');
    const res = await h.api('GET', '/trips?externalTripId=x', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('with wipeCredentials the old secret and API token are invalid and the new ones are returned', async () => {
    h = await startHarness();
    const old = h.emu.credentials;
    const res = (await h.admin('POST', '/reset', { wipeCredentials: true })).json.data;
    expect(res.credentials.clientSecret).not.toBe(old.clientSecret);
    expect(res.credentials.apiToken).not.toBe(old.apiToken);
    const oldToken = await fetch(h.emu.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: old.clientId,
        client_secret: old.clientSecret,
      }),
    });
    expect(oldToken.status).toBe(401);
    expect(((await oldToken.json()) as any).error).toBe('invalid_client');
    const token = await h.token();
    const withOldApiToken = await h.api('GET', '/trips?externalTripId=x', {
      token,
      headers: { 'x-avinode-apitoken': old.apiToken },
    });
    expect(withOldApiToken.status).toBe(401);
    expect((await h.api('GET', '/trips?externalTripId=x', { token })).status).toBe(200);
    // The credentials can be set back (the "fixed" half of a wrong-then-fixed scenario).
    await h.admin('PUT', '/credentials', { clientSecret: old.clientSecret, apiToken: old.apiToken });
    expect(h.emu.credentials).toMatchObject({ clientSecret: old.clientSecret, apiToken: old.apiToken });
  });

  it('computes the next Monday 06:00 UTC', () => {
    expect(new Date(nextScheduledReset(Date.parse('2026-03-04T10:00:00Z'))).toISOString()).toBe(
      '2026-03-09T06:00:00.000Z',
    ); // Wednesday
    expect(new Date(nextScheduledReset(Date.parse('2026-03-09T05:59:59Z'))).toISOString()).toBe(
      '2026-03-09T06:00:00.000Z',
    ); // Monday before
    expect(new Date(nextScheduledReset(Date.parse('2026-03-09T06:00:00Z'))).toISOString()).toBe(
      '2026-03-16T06:00:00.000Z',
    ); // exactly at
    expect(new Date(nextScheduledReset(Date.parse('2026-03-08T23:00:00Z'))).toISOString()).toBe(
      '2026-03-09T06:00:00.000Z',
    ); // Sunday
  });

  it('the schedule wipes the sandbox on Monday 06:00 UTC of the injectable clock, not before', async () => {
    h = await startHarness({ resetSchedule: { enabled: true } });
    const { trip } = await populate(h);
    expect((await h.admin('GET', '/clock')).json.data.nextScheduledReset).toBe('2026-03-09T06:00:00.000Z');
    h.clock.ms = Date.parse('2026-03-09T05:59:00Z');
    const token = await h.token();
    expect((await h.api('GET', `/trips/${trip.id}`, { token })).status).toBe(200);
    h.clock.ms = Date.parse('2026-03-09T06:00:01Z');
    const afterToken = await h.token();
    expect((await h.api('GET', `/trips/${trip.id}`, { token: afterToken })).status).toBe(404);
    const clock = (await h.admin('GET', '/clock')).json.data;
    expect(clock.nextScheduledReset).toBe('2026-03-16T06:00:00.000Z');
    expect((await h.admin('GET', '/stats')).json.data.resets).toBe(1);
  });

  it('the schedule can also rotate credentials, and the admin clock can jump to the reset', async () => {
    h = await startHarness({ resetSchedule: { enabled: true, wipeCredentials: true } });
    const old = h.emu.credentials;
    expect((await h.admin('POST', '/clock', { set: '2026-03-09T06:30:00Z' })).json.data.now).toBe(
      '2026-03-09T06:30:00.000Z',
    );
    expect(h.emu.credentials.clientSecret).not.toBe(old.clientSecret);
    expect((await h.admin('POST', '/clock', { advanceMs: 1000 })).json.data.now).toBe('2026-03-09T06:30:01.000Z');
    expect((await h.admin('POST', '/clock', { set: 'soon' })).status).toBe(400);
  });
});
