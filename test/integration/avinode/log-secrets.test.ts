import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.ts';
import type { TokenSource } from '../../../activities/avinode/http.ts';
import { runAvinodeCommand, type TokenSourceFactory } from '../../../client/avinode-cli.ts';
import { runDoctorCommand } from '../../../client/doctor.ts';
import {
  admin,
  captureLogs,
  clientFor,
  envFor,
  futureDate,
  setFaults,
  targetFor,
  tokenSourceFactory,
  type AuthMethod,
  type Emulator,
} from './helpers.ts';

const logs = captureLogs();
let emulator: Emulator;
const handedOut = new Set<string>();

/** Records every access token the token layer hands out, so the logs can be searched for them. */
function recording<T extends TokenSource>(source: T): T {
  return {
    ...source,
    async getToken(options?: { signal?: AbortSignal }) {
      const token = await source.getToken(options);
      handedOut.add(token.value);
      return token;
    },
    invalidate: (token: { value: string }) => source.invalidate(token),
  } as T;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: logs.logger });
});
afterAll(async () => {
  await emulator?.close();
});

const METHODS: AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'];

describe('log output', () => {
  it('of a run with faults, through every auth method, the CLI and the doctor, contains no secret, API token, assertion or access token', async () => {
    for (const method of METHODS) {
      await admin(emulator, 'PUT', '/_emulator/credentials', { authMethod: method });
      const tokens = tokenSourceFactory(targetFor(emulator, { AVINODE_CLIENT_AUTH_METHOD: method }), {
        logger: logs.logger,
      });
      const client = clientFor(emulator, recording(tokens), logs.logger);
      try {
        await setFaults(emulator, [
          { route: 'POST /api/trips', kind: '503', times: 1 },
          { route: 'GET /api/trips/:id', kind: 'revoke_tokens', times: 1 },
          { route: 'GET /api/rfqs/:id', kind: '429', retryAfterSeconds: 2, times: 1 },
          { route: 'GET /api/webhooks/settings', kind: 'internal_critical', times: 1 },
        ]);
        const trip = { legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), time: '10:00', pax: 3 }] };
        await expect(client.createTrip(trip, `log-${method}`)).rejects.toMatchObject({ type: 'AvinodeUnavailable' });
        const created = await client.createTrip(trip, `log-${method}`, { attempt: 2 });
        await client.readTrip(created.atripId);
        await expect(client.readTripRfqs({ tripId: created.tripId, atripId: created.atripId })).rejects.toMatchObject({
          type: 'AvinodeRateLimited',
        });
        await expect(client.listWebhookSettings()).rejects.toMatchObject({ type: 'AvinodeUnavailable' });
        await client.cancelTrip(created.atripId, { reason: 'OTHER' });
      } finally {
        await setFaults(emulator, []);
        await client.close();
      }
    }

    const { clientSecret, apiToken } = emulator.credentials;
    const io = {
      env: envFor(emulator, { AVINODE_CLIENT_AUTH_METHOD: 'client_secret_post' }),
      stdout: () => {},
      stderr: () => {},
      logger: logs.logger,
      createTokenSource: ((target, deps) => recording(tokenSourceFactory(target, deps))) as TokenSourceFactory,
    };
    expect(await runAvinodeCommand(['token'], io)).toBe(1); // the secret belongs to client_secret_jwt now
    expect(await runDoctorCommand([], io)).toBe(1);

    const text = logs.text();
    expect(logs.records().filter((r) => r.event === 'avinode_http').length).toBeGreaterThan(15);
    expect(handedOut.size).toBeGreaterThanOrEqual(6);
    for (const secret of [clientSecret, apiToken, ...handedOut]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/); // no JWT (client assertion) anywhere
    expect(text).not.toMatch(/Bearer [A-Za-z0-9._~+/-]{16,}|Basic [A-Za-z0-9+/=]{8,}/);
  });
});
