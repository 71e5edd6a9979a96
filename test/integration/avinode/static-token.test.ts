// AVINODE_AUTH=static against the real emulator over HTTP: the configured bearer goes straight into
// Authorization, the token endpoint is never asked, and a wrong bearer fails typed and unquoted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf } from '../../support.ts';
import { admin, captureLogs, clientFor, futureDate, targetFor, tokenSourceFactory, type Emulator } from './helpers.ts';

const STATIC_BEARER = 'it-static-bearer-5f1c9a7e2b';
const WRONG_BEARER = 'it-wrong-static-bearer-0d3e8b41c6';

const logs = captureLogs();
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: logs.logger, credentials: { staticBearerToken: STATIC_BEARER } });
});
afterAll(async () => {
  await emulator?.close();
});

const tokenRequests = async (): Promise<number> =>
  (await admin(emulator, 'GET', '/_emulator/stats')).tokenRequests.total;

/** The token layer and client exactly as a worker configured with AVINODE_AUTH=static builds them. */
function staticClient(bearer: string) {
  const target = targetFor(emulator, { AVINODE_AUTH: 'static', AVINODE_BEARER_TOKEN: bearer });
  const tokens = tokenSourceFactory(target, { logger: logs.logger });
  return { tokens, client: clientFor(emulator, tokens, logs.logger) };
}

describe('static-token mode (AVINODE_AUTH=static)', () => {
  it('creates and reads a trip with the configured bearer without a single token endpoint request', async () => {
    const { tokens, client } = staticClient(STATIC_BEARER);
    try {
      const before = await tokenRequests();
      expect((await tokens.getToken()).value).toBe(STATIC_BEARER);
      const created = await client.createTrip(
        { legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), pax: 3 }] },
        'it-static-create',
      );
      expect(created.atripId).toMatch(/^atrip-\d+$/);
      const read = await client.readTrip(created.atripId);
      expect(read.trip.id).toBe(created.atripId);
      expect(before).toBe(0);
      expect(await tokenRequests()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('fails a wrong static bearer at once with a non-retryable AuthRejected that says to replace it, without quoting it', async () => {
    const { client } = staticClient(WRONG_BEARER);
    try {
      const readsBefore = (await admin(emulator, 'GET', '/_emulator/stats')).requestsByRoute['GET /api/trips/:id'] ?? 0;
      const failure = await failureOf(client.readTrip('atrip-1'));
      // Nothing to refresh: no replay of the rejected call.
      expect((await admin(emulator, 'GET', '/_emulator/stats')).requestsByRoute['GET /api/trips/:id']).toBe(
        readsBefore + 1,
      );
      expect(failure.message).toContain('static bearer token cannot be refreshed: replace AVINODE_BEARER_TOKEN');
      expect(failure.type).toBe(FailureType.AuthRejected);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('GET /trips/{id} → 401');
      for (const text of [failure.message, JSON.stringify(failure.details ?? []), String(failure.stack ?? '')]) {
        expect(text).not.toContain(WRONG_BEARER);
        expect(text).not.toContain(STATIC_BEARER);
      }
      expect(await tokenRequests()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('never writes either bearer to the logs', () => {
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text()).not.toContain(STATIC_BEARER);
    expect(logs.text()).not.toContain(WRONG_BEARER);
  });
});
