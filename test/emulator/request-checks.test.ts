import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

const envelopeError = (json: any) => json.meta.errors[0];

describe('request checks on every API call', () => {
  it('answers a missing X-Avinode-SentTimestamp with 400 ERR_INPUT_MISSING naming the header', async () => {
    h = await startHarness();
    const res = await h.api('GET', '/trips?externalTripId=x', { headers: { 'x-avinode-senttimestamp': undefined } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      meta: {
        errors: [{ code: 'ERR_INPUT_MISSING', title: "The header 'X-Avinode-SentTimestamp' is required" }],
        warnings: [],
        infos: [],
      },
    });
  });

  it('rejects a timestamp that is not ISO-8601 UTC, and one outside the skew window', async () => {
    h = await startHarness({ clockSkewToleranceMs: 60_000 });
    for (const bad of ['2026-03-04 10:00:00', '2026-03-04T10:00:00+01:00', 'yesterday']) {
      expect(
        (await h.api('GET', '/trips?externalTripId=x', { headers: { 'x-avinode-senttimestamp': bad } })).status,
        bad,
      ).toBe(400);
    }
    const skewed = new Date(h.clock.ms - 61_000).toISOString();
    const res = await h.api('GET', '/trips?externalTripId=x', { headers: { 'x-avinode-senttimestamp': skewed } });
    expect(res.status).toBe(400);
    expect(envelopeError(res.json).title).toMatch(/clock skew/);
    const inside = new Date(h.clock.ms + 59_000).toISOString();
    expect(
      (await h.api('GET', '/trips?externalTripId=x', { headers: { 'x-avinode-senttimestamp': inside } })).status,
    ).toBe(200);
  });

  it('requires X-Avinode-ApiToken and rejects a wrong one', async () => {
    h = await startHarness();
    const missing = await h.api('GET', '/trips?externalTripId=x', { headers: { 'x-avinode-apitoken': undefined } });
    expect(missing.status).toBe(400);
    expect(envelopeError(missing.json).code).toBe('ERR_INPUT_MISSING');
    const wrong = await h.api('GET', '/trips?externalTripId=x', {
      headers: { 'x-avinode-apitoken': '11111111-1111-4111-8111-111111111111' },
    });
    expect(wrong.status).toBe(401);
    expect(envelopeError(wrong.json).code).toBe('ERR_INPUT_GENERIC_INVALID');
  });

  it('answers a malformed or unknown bearer with 401 ERR_INPUT_GENERIC_INVALID', async () => {
    h = await startHarness();
    for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer not-a-token-we-issued']) {
      const res = await h.api('GET', '/trips?externalTripId=x', { headers: { authorization } });
      expect(res.status, String(authorization)).toBe(401);
      expect(envelopeError(res.json)).toEqual({
        code: 'ERR_INPUT_GENERIC_INVALID',
        title: 'Invalid value for header: Authorization',
      });
    }
  });

  it('answers NOT_FOUND for bare numeric and foreign-prefixed ids', async () => {
    h = await startHarness();
    for (const path of [
      '/trips/70001001',
      '/trips/arfq-80004001',
      '/rfqs/80004001',
      '/quotes/95550001',
      '/tripmsgs/96660001',
      '/rfqs/123456',
    ]) {
      const res = await h.api('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json).toEqual({
        meta: { errors: [{ title: 'Not found', code: 'NOT_FOUND' }], warnings: [], infos: [] },
      });
    }
  });

  it('checks credentials before revealing whether a resource exists', async () => {
    h = await startHarness();
    const res = await h.api('GET', '/trips/atrip-1', { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
  });
});
