import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../../activities/avinode/http.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf } from '../../support.ts';
import { JSON_HEADERS, envelope, setup, tripResource } from './fakes.ts';

let current: ReturnType<typeof setup> | undefined;
afterEach(async () => {
  current?.agent.assertNoPendingInterceptors();
  await current?.agent.close();
  current = undefined;
});

const fresh = (maxResponseBytes?: number) =>
  (current = setup(maxResponseBytes === undefined ? {} : { maxResponseBytes }));

/** A valid trip envelope padded with an unknown field to about `bytes` bytes. */
const paddedTrip = (bytes: number) =>
  JSON.stringify(envelope(tripResource('atrip-9', { padding: 'passenger-name-'.repeat(Math.ceil(bytes / 15)) })));

describe('Avinode response body size limit', () => {
  it('defaults to 5 MiB', () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(5 * 1024 * 1024);
  });

  it('fails a 200 larger than the default 5 MiB with a non-retryable ContractViolation naming route, status and limit', async () => {
    const { pool, client, logs } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(200, paddedTrip(6 * 1024 * 1024), { headers: JSON_HEADERS });
    const failure = await failureOf(client.readTrip('atrip-9'));
    expect(failure.type).toBe(FailureType.ContractViolation);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      `GET /trips/{id} → 200 response body exceeds the ${5 * 1024 * 1024}-byte limit (maxResponseBytes); not read further`,
    );
    expect(failure.details).toEqual([
      {
        method: 'GET',
        route: '/trips/{id}',
        status: 200,
        codes: ['RESPONSE_TOO_LARGE'],
        maxResponseBytes: 5 * 1024 * 1024,
      },
    ]);
    expect(logs.records()).toMatchObject([
      {
        event: 'avinode_http',
        route: '/trips/{id}',
        status: 200,
        responseTooLarge: true,
        maxResponseBytes: 5 * 1024 * 1024,
      },
    ]);
    expect(logs.lines.join('\n')).not.toContain('passenger-name');
  });

  it('honours a configured limit while streaming a body that declares no length', async () => {
    const { pool, client } = fresh(64 * 1024);
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(200, paddedTrip(100 * 1024), { headers: JSON_HEADERS });
    const failure = await failureOf(client.readTrip('atrip-9'));
    expect(failure.type).toBe(FailureType.ContractViolation);
    expect(failure.message).toContain('65536-byte limit');
    expect(failure.message).not.toContain('passenger-name');
  });

  it('refuses a body whose Content-Length is over the limit without reading it', async () => {
    const { pool, client } = fresh(64 * 1024);
    pool
      .intercept({ path: '/api/trips', method: 'POST' })
      .reply(201, paddedTrip(1024), { headers: { ...JSON_HEADERS, 'content-length': String(10 * 1024 * 1024) } });
    const failure = await failureOf(
      client.createTrip({ legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', pax: 2 }] }, 'trip-big'),
    );
    expect(failure.type).toBe(FailureType.ContractViolation);
    expect(failure.message).toMatch(/^POST \/trips → 201 response body exceeds the 65536-byte limit/);
  });

  it('reads a body under the limit as usual', async () => {
    const { pool, client } = fresh(64 * 1024);
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(200, paddedTrip(32 * 1024), { headers: JSON_HEADERS });
    expect((await client.readTrip('atrip-9')).trip.id).toBe('atrip-9');
  });

  it('keeps the status mapping of an oversized error answer: a 503 stays a retryable Unavailable', async () => {
    const { pool, client, logs } = fresh(1024);
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(503, `<html>${'maintenance '.repeat(1000)}</html>`);
    const failure = await failureOf(client.readTrip('atrip-9'));
    expect(failure.type).toBe(FailureType.Unavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(logs.records()).toMatchObject([{ status: 503, responseTooLarge: true, maxResponseBytes: 1024 }]);
  });
});
