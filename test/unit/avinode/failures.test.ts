import { describe, expect, it } from 'vitest';
import { FailureType } from '../../../workflows/contract.ts';
import {
  clampRetryAfterMs,
  contractViolation,
  failureTypeForStatus,
  foreignHref,
  httpStatusFailure,
  httpStatusOf,
  networkFailure,
  retryAfterToMs,
} from '../../../activities/failures.ts';

describe('Retry-After', () => {
  const now = Date.parse('2026-05-01T10:00:00Z');
  it('reads delay-seconds and HTTP-dates, and ignores garbage', () => {
    expect(retryAfterToMs('120', now)).toBe(120_000);
    expect(retryAfterToMs('Fri, 01 May 2026 10:00:45 GMT', now)).toBe(45_000);
    expect(retryAfterToMs('Fri, 01 May 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterToMs('-5', now)).toBeUndefined();
    expect(retryAfterToMs('soon', now)).toBeUndefined();
    expect(retryAfterToMs(undefined, now)).toBeUndefined();
  });
  it('clamps to [1 s, 10 min]', () => {
    expect(clampRetryAfterMs(0)).toBe(1_000);
    expect(clampRetryAfterMs(45_000)).toBe(45_000);
    expect(clampRetryAfterMs(86_400_000)).toBe(600_000);
  });
  it('uses an HTTP-date Retry-After for nextRetryDelay', () => {
    const failure = httpStatusFailure({ method: 'GET', route: '/trips/{id}', status: 429, retryAfter: 'Fri, 01 May 2026 10:00:20 GMT', now });
    expect(failure.nextRetryDelay).toBe(20_000);
    expect(failure.message).toBe('GET /trips/{id} → 429 (retry after 20 s)');
  });
});

describe('failure taxonomy', () => {
  it.each([
    [429, [], FailureType.RateLimited],
    [401, [], FailureType.AuthRejected],
    [401, ['AUTHENTICATION_COMPANY_ACCESS'], FailureType.Forbidden],
    [403, [], FailureType.Forbidden],
    [400, [], FailureType.RequestInvalid],
    [422, ['LIFT_INVALID'], FailureType.RequestInvalid],
    [404, [], FailureType.NotFound],
    [400, ['NOT_FOUND'], FailureType.NotFound],
    [408, [], FailureType.Unavailable],
    [500, [], FailureType.Unavailable],
    [504, [], FailureType.Unavailable],
    [405, ['ERR_INTERNAL_CRITICAL'], FailureType.Unavailable],
  ] as const)('status %i with codes %j → %s', (status, codes, type) => {
    expect(failureTypeForStatus(status, codes)).toBe(type);
  });

  it('keeps route, status and codes in details and reads them back', () => {
    const failure = httpStatusFailure({ method: 'PUT', route: '/trips/{id}/cancel', status: 400, codes: ['ERR_INPUT_MISSING'] });
    expect(failure.details?.[0]).toEqual({ method: 'PUT', route: '/trips/{id}/cancel', status: 400, codes: ['ERR_INPUT_MISSING'] });
    expect(httpStatusOf(failure)).toBe(400);
    expect(httpStatusOf(networkFailure('GET', '/trips/{id}', new Error('x')))).toBeUndefined();
  });

  it('names the network error code found in the cause chain', () => {
    const error = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const failure = networkFailure('POST', '/trips', error);
    expect(failure.type).toBe(FailureType.Unavailable);
    expect(failure.message).toBe('POST /trips → network error ECONNREFUSED');
  });

  it('describes a schema violation by paths and issue codes only', () => {
    const failure = contractViolation('GET', '/quotes/{id}', 200, [
      { path: ['sellerPrice', 'price'], code: 'invalid_type' },
      { path: [], code: 'custom' },
    ]);
    expect(failure.type).toBe(FailureType.ContractViolation);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('GET /quotes/{id} → 200 response violates its schema: sellerPrice.price:invalid_type, (root):custom');
  });

  it('refuses a foreign href naming only the origins', () => {
    const failure = foreignHref('https://evil.example', 'https://sandbox.avinode.com');
    expect(failure.type).toBe(FailureType.ForeignHref);
    expect(failure.nonRetryable).toBe(true);
  });
});
