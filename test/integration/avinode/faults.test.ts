import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator } from '../../../emulator/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf } from '../../support.ts';
import { admin, captureLogs, clientFor, futureDate, setFaults, tokenSourceFor, type Emulator } from './helpers.ts';

let emulator: Emulator;
let tokens: ReturnType<typeof tokenSourceFor>;
let client: ReturnType<typeof clientFor>;
let atripId: string;
const logs = captureLogs();

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  tokens = tokenSourceFor(emulator);
  client = clientFor(emulator, tokens, logs.logger, { headersMs: 1_000, bodyMs: 1_000 });
  atripId = (await client.createTrip({ legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), pax: 4 }] }, 'it-faults'))
    .atripId;
});
afterEach(async () => {
  await setFaults(emulator, []);
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

const tokensIssued = async (): Promise<number> =>
  (await admin(emulator, 'GET', '/_emulator/stats')).tokenRequests.issued;

describe('injected faults map to failure types', () => {
  it.each([
    ['500', FailureType.Unavailable],
    ['503', FailureType.Unavailable],
    ['internal_critical', FailureType.Unavailable],
  ] as const)('%s → %s, retryable', async (kind, type) => {
    await setFaults(emulator, [{ route: 'GET /api/trips/:id', kind, times: 1 }]);
    const failure = await failureOf(client.readTrip(atripId));
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/^GET \/trips\/\{id\} → 5\d\d/);
    expect((await client.readTrip(atripId)).trip.id).toBe(atripId);
  });

  it('a soft error on create (200 + meta.errors, as the error guide documents for a bad airport) fails as RequestInvalid and withdraws the trip Avinode created', async () => {
    await setFaults(emulator, [{ route: 'POST /api/trips', kind: 'soft_error', times: 1 }]);
    const before = (await admin(emulator, 'GET', '/_emulator/stats')).cancels;
    const failure = await failureOf(
      client.createTrip({ legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), pax: 4 }] }, 'it-faults-soft'),
    );
    expect(failure.type).toBe(FailureType.RequestInvalid);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /^POST \/trips → 201 START_AIRPORT_INVALID .*the trip Avinode created anyway was cancelled$/,
    );
    expect((await admin(emulator, 'GET', '/_emulator/stats')).cancels).toBe(before + 1);
  });

  it('429 → RateLimited with nextRetryDelay from Retry-After', async () => {
    await setFaults(emulator, [{ route: 'GET /api/trips/:id', kind: '429', retryAfterSeconds: 3, times: 1 }]);
    const failure = await failureOf(client.readTrip(atripId));
    expect(failure.type).toBe(FailureType.RateLimited);
    expect(failure.nextRetryDelay).toBe(3_000);
  });

  it('latency beyond the headers timeout → Unavailable', async () => {
    await setFaults(emulator, [{ route: 'GET /api/trips/:id', kind: 'latency', latencyMs: 3_000, times: 1 }]);
    const failure = await failureOf(client.readTrip(atripId));
    expect(failure.type).toBe(FailureType.Unavailable);
    expect(failure.message).toContain('network error UND_ERR_HEADERS_TIMEOUT');
  });

  it('revoked tokens → one refresh and one replay, then success', async () => {
    const before = await tokensIssued();
    await setFaults(emulator, [{ route: 'GET /api/trips/:id', kind: 'revoke_tokens', times: 1 }]);
    const read = await client.readTrip(atripId);
    expect(read.trip.id).toBe(atripId);
    expect(await tokensIssued()).toBe(before + 1);
  });

  it('a token revoked between calls is replaced transparently', async () => {
    await client.readTrip(atripId);
    await admin(emulator, 'POST', '/_emulator/tokens/revoke', {});
    expect((await client.readTrip(atripId)).trip.id).toBe(atripId);
  });

  it('a persistently rejected API token → AuthRejected after exactly one refresh', async () => {
    const original = emulator.credentials.apiToken;
    await admin(emulator, 'PUT', '/_emulator/credentials', { apiToken: '11111111-2222-4333-8444-555555555555' });
    try {
      const before = await tokensIssued();
      const failure = await failureOf(client.readTrip(atripId));
      expect(failure.type).toBe(FailureType.AuthRejected);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('ERR_INPUT_GENERIC_INVALID');
      expect(await tokensIssued()).toBe(before + 1);
    } finally {
      await admin(emulator, 'PUT', '/_emulator/credentials', { apiToken: original });
    }
  });

  it('403 NOT_AUTHORIZED (seller-only RFQ list) → Forbidden', async () => {
    const failure = await failureOf(
      client.http.call({ method: 'GET', route: '/rfqs', schema: z.unknown(), softErrors: 'warn' }),
    );
    expect(failure.type).toBe(FailureType.Forbidden);
    expect(failure.message).toBe('GET /rfqs → 403 NOT_AUTHORIZED');
  });

  it('a past date → 422 → RequestInvalid; a bad cancel reason → 400 → RequestInvalid', async () => {
    const past = await failureOf(
      client.createTrip({ legs: [{ from: 'KTEB', to: 'KPBI', date: '2020-01-01', pax: 1 }] }, 'it-faults-past'),
    );
    expect(past.type).toBe(FailureType.RequestInvalid);
    expect(past.message).toMatch(/^POST \/trips → 422/);
    const cancel = await failureOf(client.cancelTrip(atripId, { reason: 'NOT_A_REASON' as never }));
    expect(cancel.type).toBe(FailureType.RequestInvalid);
    expect(cancel.message).toMatch(/^PUT \/trips\/\{id\}\/cancel → 400 ERR_INPUT_GENERIC_INVALID$/);
  });

  it('logs one line per HTTP exchange with the route template', () => {
    const http = logs.records().filter((r) => r.event === 'avinode_http');
    expect(http.length).toBeGreaterThan(5);
    for (const record of http) {
      expect(typeof record.route).toBe('string');
      expect(record.route as string).not.toMatch(/atrip-\d/);
    }
  });
});
