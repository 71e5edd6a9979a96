// The failure module: named constructors, Retry-After, the HTTP outcome mapping, and the README's
// failure table kept equal to the module's.
import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_FAILURE_TYPES, FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../../../workflows/contract.ts';
import {
  clampRetryAfterMs,
  contractViolation,
  FAILURE_TABLE,
  failures,
  failureTypeForStatus,
  foreignHref,
  httpStatusFailure,
  httpStatusOf,
  isCredentialFailure,
  namingAuthMethod,
  networkFailure,
  parseRetryAfter,
  renderFailureTable,
  retryDelayOf,
  softErrorFailure,
} from '../../../workflows/failures.ts';

describe('Retry-After', () => {
  const now = Date.parse('2026-05-01T10:00:00Z');
  it('reads delay-seconds and HTTP-dates, and ignores garbage', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Fri, 01 May 2026 10:00:45 GMT', now)).toBe(45_000);
    expect(parseRetryAfter('Fri, 01 May 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7_000);
    for (const garbage of ['-5', '+5', '1.5', '12abc', 'soon', '', '  ', undefined, null, []]) {
      expect(parseRetryAfter(garbage, now), JSON.stringify(garbage)).toBeUndefined();
    }
  });
  it('turns a header into the wait of a 429: clamped, 30 s without a usable one', () => {
    expect(retryDelayOf('17', now)).toBe(17_000);
    expect(retryDelayOf('0', now)).toBe(1_000);
    expect(retryDelayOf('86400', now)).toBe(600_000);
    expect(retryDelayOf('later, maybe', now)).toBe(30_000);
    expect(retryDelayOf(undefined, now)).toBe(30_000);
  });
  it('clamps to [1 s, 10 min]', () => {
    expect(clampRetryAfterMs(0)).toBe(1_000);
    expect(clampRetryAfterMs(45_000)).toBe(45_000);
    expect(clampRetryAfterMs(86_400_000)).toBe(600_000);
  });
  it('uses an HTTP-date Retry-After for nextRetryDelay', () => {
    const failure = httpStatusFailure({
      method: 'GET',
      route: '/trips/{id}',
      status: 429,
      retryAfter: 'Fri, 01 May 2026 10:00:20 GMT',
      now,
    });
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
    const failure = httpStatusFailure({
      method: 'PUT',
      route: '/trips/{id}/cancel',
      status: 400,
      codes: ['ERR_INPUT_MISSING'],
    });
    expect(failure.details?.[0]).toEqual({
      method: 'PUT',
      route: '/trips/{id}/cancel',
      status: 400,
      codes: ['ERR_INPUT_MISSING'],
    });
    expect(httpStatusOf(failure)).toBe(400);
    expect(httpStatusOf(networkFailure('GET', '/trips/{id}', new Error('x')))).toBeUndefined();
  });

  it('names the network error code found in the cause chain', () => {
    const error = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
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
    expect(failure.message).toBe(
      'GET /quotes/{id} → 200 response violates its schema: sellerPrice.price:invalid_type, (root):custom',
    );
  });

  it('refuses a foreign href naming only the origins', () => {
    const failure = foreignHref('https://evil.example', 'https://sandbox.avinode.com');
    expect(failure.type).toBe(FailureType.ForeignHref);
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('named constructors', () => {
  it('give each failure its type and the retryability of the table, with details when given', () => {
    const limited = failures.rateLimited('GET /trips → 429', 5_000, { status: 429 });
    expect([limited.type, limited.nonRetryable, limited.nextRetryDelay, limited.details]).toEqual([
      FailureType.RateLimited,
      false,
      5_000,
      [{ status: 429 }],
    ]);
    const cases: [ApplicationFailure, FailureType][] = [
      [failures.unavailable('x'), FailureType.Unavailable],
      [failures.authRejected('x'), FailureType.AuthRejected],
      [failures.forbidden('x'), FailureType.Forbidden],
      [failures.requestInvalid('x'), FailureType.RequestInvalid],
      [failures.notFound('x'), FailureType.NotFound],
      [failures.contractViolation('x'), FailureType.ContractViolation],
      [failures.tokenEndpointRejected('x'), FailureType.TokenEndpointRejected],
      [failures.tripVanished('x'), FailureType.TripVanished],
      [failures.foreignHref('x'), FailureType.ForeignHref],
      [failures.callbackRejected('x'), FailureType.CallbackRejected],
      [failures.callbackUndelivered('x'), FailureType.CallbackUndelivered],
      [failures.configurationInvalid('x'), FailureType.ConfigurationInvalid],
      [failures.tripFailed('x'), FailureType.TripFailed],
    ];
    for (const [failure, type] of cases) {
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect([failure.type, failure.nonRetryable, failure.details]).toEqual([
        type,
        NON_RETRYABLE_FAILURE_TYPES.includes(type),
        undefined,
      ]);
    }
    // One constructor per type of the table.
    expect([limited.type, ...cases.map(([, type]) => type)].sort()).toEqual(Object.keys(FAILURE_TABLE).sort());
  });

  it('lets a caller that retries a token anomaly itself keep it retryable', () => {
    expect(failures.contractViolation('2xx without a token', undefined, { retryable: true }).nonRetryable).toBe(false);
  });

  it('passes a failure on with its type, finally', () => {
    const passed = failures.final(FailureType.RequestInvalid, 'message to Skyward not sent: 400', [{ status: 400 }]);
    expect([passed.type, passed.nonRetryable, passed.details]).toEqual([
      FailureType.RequestInvalid,
      true,
      [{ status: 400 }],
    ]);
  });

  it('adds what undoing a half-done write did to a soft-error failure', () => {
    const failure = softErrorFailure(
      'POST',
      '/trips',
      200,
      ['START_AIRPORT_INVALID'],
      'the trip Avinode created anyway was cancelled',
    );
    expect(failure.message).toBe(
      'POST /trips → 200 START_AIRPORT_INVALID (soft errors in meta.errors); the trip Avinode created anyway was cancelled',
    );
    expect([failure.type, failure.nonRetryable]).toEqual([FailureType.RequestInvalid, true]);
  });
});

describe('credential failures', () => {
  it('are the types runs wait in blocked for', () => {
    expect(CREDENTIAL_FAILURE_TYPES.map((type) => isCredentialFailure(failures.final(type, 'x')))).toEqual([
      true,
      true,
      true,
    ]);
    expect(isCredentialFailure(failures.notFound('x'))).toBe(false);
    expect(isCredentialFailure(Object.assign(new Error('typed'), { type: FailureType.AuthRejected }))).toBe(true);
  });

  it('name the auth method once, and leave other failures alone', () => {
    const named = namingAuthMethod(
      failures.authRejected('GET /trips → 401'),
      'static bearer token (AVINODE_AUTH=static)',
    ) as ApplicationFailure;
    expect(named.message).toBe('GET /trips → 401 (auth: static bearer token (AVINODE_AUTH=static))');
    expect(namingAuthMethod(named, 'static bearer token (AVINODE_AUTH=static)')).toBe(named);
    const other = failures.unavailable('GET /trips → 503');
    expect(namingAuthMethod(other, 'static bearer token')).toBe(other);
  });
});

describe('the README failure table', () => {
  it('has one row per FailureType', () => {
    expect(Object.keys(FAILURE_TABLE).sort()).toEqual(Object.values(FailureType).sort());
  });

  it('is the one rendered from the failure module', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const table = /<!-- failure-table:start[^>]*-->\n([\s\S]*?)\n<!-- failure-table:end -->/.exec(readme)?.[1];
    expect(
      table,
      'README.md: paste renderFailureTable() of workflows/failures.ts between the failure-table markers',
    ).toBe(renderFailureTable());
  });
});
