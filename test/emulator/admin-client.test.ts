import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorAdminError, emulatorAdmin } from '../../emulator/index.ts';
import { startHarness, tripBody, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

describe('typed admin client', () => {
  it('drives actors, faults, credentials, clock and reads journal and stats', async () => {
    h = await startHarness();
    const admin = h.emu.admin;
    const trip = (await h.api('POST', '/trips', { body: tripBody({ externalTripId: 'adm-1' }) })).json.data;
    const { rfqIds, liftIds } = await admin.sendRfqs(trip.id, 2);
    expect(rfqIds).toHaveLength(2);
    expect(liftIds).toHaveLength(2);
    const quote = await admin.respond(rfqIds[0]!, { action: 'quote', price: 1234, currency: 'EUR' });
    expect(quote).toMatchObject({ action: 'quote', price: 1234, currency: 'EUR', status: 'Accepted' });

    expect(await admin.setFaults([{ kind: '503', route: 'GET /api/trips/:id', times: 1 }], 9)).toEqual([
      { kind: '503', route: 'GET /api/trips/:id', times: 1 },
    ]);
    expect((await h.api('GET', `/trips/${trip.id}`)).status).toBe(503);
    await admin.clearFaults();
    expect(await admin.faults()).toEqual([]);

    const stats = await admin.stats();
    expect(stats.tripsByExternalId).toEqual({ 'adm-1': 1 });
    expect(stats.live.rfqs).toBe(2);
    expect((await admin.requests({ route: 'GET /api/trips/:id' })).map((e) => e.status)).toEqual([503]);

    const rotated = await admin.updateCredentials({ rotate: true });
    expect(await admin.credentials()).toEqual(rotated);
    expect((await admin.clock({ advanceMs: 5_000 })).offsetMs).toBe(5_000);
    expect((await admin.autopilot({ operators: 4 })).operators).toBe(4);
    expect((await admin.revokeTokens()).revoked).toBeGreaterThanOrEqual(0);
    expect(await admin.webhookDeliveries()).toEqual([]);
    expect((await admin.reset()).resetAt).toBeTruthy();
  });

  it('throws EmulatorAdminError with status and envelope codes', async () => {
    h = await startHarness();
    const admin = emulatorAdmin(h.emu.url);
    const error = await admin.sendRfqs('atrip-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorAdminError);
    expect(error).toMatchObject({ status: 404, codes: ['NOT_FOUND'] });
    expect(String((error as Error).message)).toContain('POST /_emulator/trips/atrip-1/send-rfqs answered 404');
  });
});
