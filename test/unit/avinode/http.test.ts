import { afterEach, describe, expect, it } from 'vitest';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf, headersOf } from '../../support.ts';
import { API_TOKEN, BASE_URL, JSON_HEADERS, envelope, errorEnvelope, setup, tripResource } from './fakes.ts';

let current: ReturnType<typeof setup> | undefined;
const fresh = (overrides?: Parameters<typeof setup>[0]) => (current = setup(overrides));
afterEach(async () => {
  current?.agent.assertNoPendingInterceptors();
  await current?.agent.close();
  current = undefined;
});

describe('Avinode request headers', () => {
  it('sends bearer token, API token, timestamp, product, version, act-as and JSON content headers', async () => {
    const { pool, client } = fresh({ actAsAccount: 'broker-guid-1' });
    let seen: Record<string, string> = {};
    pool.intercept({ path: '/api/trips', method: 'POST' }).reply((request) => {
      seen = headersOf(request.headers);
      return { statusCode: 201, data: envelope(tripResource()), responseOptions: { headers: JSON_HEADERS } };
    });
    await client.createTrip(
      { legs: [{ from: 'KTEB', to: 'KPBI', date: '2026-05-14', time: '09:30', pax: 5 }] },
      'trip-x1',
    );
    expect(seen.authorization).toBe('Bearer access-token-1');
    expect(seen['x-avinode-apitoken']).toBe(API_TOKEN);
    expect(seen['x-avinode-senttimestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(seen['x-avinode-product']).toBe('charterflow-test/1');
    expect(seen['x-avinode-apiversion']).toBe('v1.0');
    expect(seen['x-avinode-actasaccount']).toBe('broker-guid-1');
    expect(seen.accept).toBe('application/json');
    expect(seen['content-type']).toBe('application/json');
  });

  it('omits act-as and content-type on a plain read without act-as configured', async () => {
    const { pool, client } = fresh();
    let seen: Record<string, string> = {};
    pool.intercept({ path: '/api/trips/atrip-70001234', method: 'GET' }).reply((request) => {
      seen = headersOf(request.headers);
      return { statusCode: 200, data: envelope(tripResource()), responseOptions: { headers: JSON_HEADERS } };
    });
    await client.readTrip('atrip-70001234');
    expect(seen).not.toHaveProperty('x-avinode-actasaccount');
    expect(seen).not.toHaveProperty('content-type');
  });

  it('stamps every attempt, including the replay after a 401, with a fresh X-Avinode-SentTimestamp', async () => {
    let tick = Date.parse('2026-05-01T10:00:00.000Z');
    const { pool, client } = fresh({ now: () => new Date((tick += 1234)) });
    const stamps: string[] = [];
    const record = (status: number, body: object) => (request: { headers?: unknown }) => {
      stamps.push(headersOf(request.headers)['x-avinode-senttimestamp']!);
      return { statusCode: status, data: body, responseOptions: { headers: JSON_HEADERS } };
    };
    pool.intercept({ path: '/api/trips/atrip-1', method: 'GET' }).reply(record(401, { error: 'invalid_token' }));
    pool.intercept({ path: '/api/trips/atrip-1', method: 'GET' }).reply(record(200, envelope(tripResource('atrip-1'))));
    pool.intercept({ path: '/api/trips/atrip-1', method: 'GET' }).reply(record(200, envelope(tripResource('atrip-1'))));
    await client.readTrip('atrip-1');
    await client.readTrip('atrip-1');
    expect(stamps).toEqual(['2026-05-01T10:00:01.234Z', '2026-05-01T10:00:02.468Z', '2026-05-01T10:00:03.702Z']);
  });
});

describe('401 handling', () => {
  it('invalidates exactly the rejected token, refreshes once and replays the call once', async () => {
    const { pool, client, tokens } = fresh();
    const auth: string[] = [];
    for (const status of [401, 200]) {
      pool.intercept({ path: '/api/trips/atrip-1', method: 'GET' }).reply((request) => {
        auth.push(headersOf(request.headers).authorization!);
        return status === 401
          ? {
              statusCode: 401,
              data: errorEnvelope('ERR_INPUT_GENERIC_INVALID'),
              responseOptions: { headers: { ...JSON_HEADERS, 'www-authenticate': 'Bearer error="invalid_token"' } },
            }
          : { statusCode: 200, data: envelope(tripResource('atrip-1')), responseOptions: { headers: JSON_HEADERS } };
      });
    }
    const read = await client.readTrip('atrip-1');
    expect(read.trip.id).toBe('atrip-1');
    expect(auth).toEqual(['Bearer access-token-1', 'Bearer access-token-2']);
    expect(tokens.invalidated).toEqual(['access-token-1']);
  });

  it('fails with AuthRejected, non-retryable, when the replay is rejected too', async () => {
    const { pool, client, tokens } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(401, { error: 'invalid_token' }, { headers: JSON_HEADERS })
      .times(2);
    const failure = await failureOf(client.readTrip('atrip-1'));
    expect(failure.type).toBe(FailureType.AuthRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('GET /trips/{id} → 401 invalid_token');
    expect(tokens.issued).toBe(2);
  });

  it('does not refresh when a 401 says the company may not access the resource', async () => {
    const { pool, client, tokens } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(401, errorEnvelope('AUTHENTICATION_COMPANY_ACCESS'), { headers: JSON_HEADERS });
    const failure = await failureOf(client.readTrip('atrip-1'));
    expect(failure.type).toBe(FailureType.Forbidden);
    expect(tokens.issued).toBe(1);
    expect(tokens.invalidated).toEqual([]);
  });
});

describe('status → failure type', () => {
  const cases: { status: number; codes: string[]; type: FailureType; retryable: boolean }[] = [
    { status: 500, codes: [], type: FailureType.Unavailable, retryable: true },
    { status: 502, codes: [], type: FailureType.Unavailable, retryable: true },
    { status: 503, codes: [], type: FailureType.Unavailable, retryable: true },
    { status: 408, codes: [], type: FailureType.Unavailable, retryable: true },
    { status: 500, codes: ['ERR_INTERNAL_CRITICAL'], type: FailureType.Unavailable, retryable: true },
    { status: 405, codes: ['ERR_INTERNAL_CRITICAL'], type: FailureType.Unavailable, retryable: true },
    { status: 403, codes: [], type: FailureType.Forbidden, retryable: false },
    { status: 403, codes: ['NOT_AUTHORIZED'], type: FailureType.Forbidden, retryable: false },
    { status: 400, codes: ['AUTHORIZATION_PERMISSIONS'], type: FailureType.Forbidden, retryable: false },
    { status: 400, codes: ['ERR_INPUT_MISSING'], type: FailureType.RequestInvalid, retryable: false },
    { status: 422, codes: ['LIFT_INVALID'], type: FailureType.RequestInvalid, retryable: false },
    { status: 404, codes: ['NOT_FOUND'], type: FailureType.NotFound, retryable: false },
    { status: 404, codes: [], type: FailureType.NotFound, retryable: false },
  ];
  for (const { status, codes, type, retryable } of cases) {
    it(`maps ${status}${codes.length ? ` ${codes.join(',')}` : ''} to ${type} (${retryable ? 'retryable' : 'non-retryable'})`, async () => {
      const { pool, client } = fresh();
      pool
        .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
        .reply(status, errorEnvelope(...codes), { headers: JSON_HEADERS });
      const failure = await failureOf(client.readTrip('atrip-9'));
      expect(failure.type).toBe(type);
      expect(failure.nonRetryable).toBe(!retryable);
      expect(failure.message).toBe(`GET /trips/{id} → ${status}${codes.length ? ` ${codes.join(',')}` : ''}`);
      expect(failure.message).not.toContain('title of');
      expect(failure.details?.[0]).toMatchObject({ status, route: '/trips/{id}', codes });
    });
  }

  it('retries a 429 after Retry-After seconds through nextRetryDelay', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(429, errorEnvelope(), { headers: { ...JSON_HEADERS, 'retry-after': '7' } });
    const failure = await failureOf(client.readTrip('atrip-9'));
    expect(failure.type).toBe(FailureType.RateLimited);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(7_000);
    expect(failure.details?.[0]).toMatchObject({ retryAfterMs: 7_000 });
  });

  it('clamps a Retry-After of an hour to ten minutes and a missing one to the 30 s default', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(429, {}, { headers: { ...JSON_HEADERS, 'retry-after': '3600' } });
    pool.intercept({ path: '/api/trips/atrip-9', method: 'GET' }).reply(429, {}, { headers: JSON_HEADERS });
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .reply(429, {}, { headers: { ...JSON_HEADERS, 'retry-after': '0' } });
    expect((await failureOf(client.readTrip('atrip-9'))).nextRetryDelay).toBe(600_000);
    expect((await failureOf(client.readTrip('atrip-9'))).nextRetryDelay).toBe(30_000);
    expect((await failureOf(client.readTrip('atrip-9'))).nextRetryDelay).toBe(1_000);
  });

  it('maps a connection error to Unavailable, retryable', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-9', method: 'GET' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const failure = await failureOf(client.readTrip('atrip-9'));
    expect(failure.type).toBe(FailureType.Unavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('GET /trips/{id} → network error ECONNRESET');
  });

  it('maps a 200 that is not JSON to ContractViolation', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: '/api/trips/atrip-9', method: 'GET' }).reply(200, '<html>maintenance</html>');
    const failure = await failureOf(client.readTrip('atrip-9'));
    expect(failure.type).toBe(FailureType.ContractViolation);
    expect(failure.message).not.toContain('maintenance');
  });

  it('rejects with the abort reason when the activity is cancelled', async () => {
    const { client } = fresh();
    const controller = new AbortController();
    controller.abort(new Error('activity cancelled'));
    await expect(client.readTrip('atrip-9', { signal: controller.signal })).rejects.toThrow('activity cancelled');
  });
});

describe('envelope and schemas', () => {
  it('returns soft errors of a read as warnings', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: '/api/trips/atrip-1', method: 'GET' }).reply(
      200,
      envelope(tripResource('atrip-1'), {
        errors: [{ code: 'FIELD_IGNORED', title: 't', path: 'fields' }],
        warnings: [{ code: 'W1', title: 'w' }],
      }),
      {
        headers: JSON_HEADERS,
      },
    );
    const read = await client.readTrip('atrip-1');
    expect(read.warnings.map((w) => w.code)).toEqual(['FIELD_IGNORED', 'W1']);
  });

  it('fails a create whose 201 carries meta.errors with RequestInvalid naming the codes', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: '/api/trips', method: 'POST' }).reply(
      201,
      envelope(tripResource(), {
        errors: [
          { code: 'START_AIRPORT_INVALID', title: 'Start airport KXXX unknown', path: 'segments[0].startAirport' },
        ],
      }),
      {
        headers: JSON_HEADERS,
      },
    );
    const failure = await failureOf(
      client.createTrip({ legs: [{ from: 'KXXX', to: 'KPBI', date: '2026-05-14', pax: 2 }] }, 'trip-x'),
    );
    expect(failure.type).toBe(FailureType.RequestInvalid);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('POST /trips → 201 START_AIRPORT_INVALID');
    expect(failure.message).not.toContain('KXXX');
  });

  it('tolerates unknown fields anywhere in a response', async () => {
    const { pool, client } = fresh();
    const trip = tripResource('atrip-1', {
      brandNewField: { nested: true },
      actions: { somethingNew: { href: 'x', extra: 1 } },
    });
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(200, { ...envelope(trip), links: { self: 'x' } }, { headers: JSON_HEADERS });
    const read = await client.readTrip('atrip-1');
    expect(read.trip.tripId).toBe('Q4K7ZP');
    expect(read.deepLinks).toEqual({});
  });

  it('keeps prefixed ids intact in the path and in the result', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-70001234', method: 'GET' })
      .reply(200, envelope(tripResource('atrip-70001234')), { headers: JSON_HEADERS });
    const read = await client.readTrip('atrip-70001234');
    expect(read.trip.id).toBe('atrip-70001234');
  });

  it('treats a bare numeric id in a response as a contract violation naming the field, not the value', async () => {
    const { pool, client } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(200, envelope({ ...tripResource('atrip-1'), id: '70001234' }), { headers: JSON_HEADERS });
    const failure = await failureOf(client.readTrip('atrip-1'));
    expect(failure.type).toBe(FailureType.ContractViolation);
    expect(failure.message).toContain('id:invalid_format');
    expect(failure.message).not.toContain('70001234');
  });
});

describe('hrefs', () => {
  it('refuses an href on a foreign origin without sending anything there', async () => {
    const { agent, client, tokens } = fresh();
    const evil = agent.get('https://evil.example');
    evil.intercept({ path: '/api/rfqs/arfq-1', method: 'GET' }).reply(200, {});
    const failure = await failureOf(client.readByHref('https://evil.example/api/rfqs/arfq-1'));
    expect(failure.type).toBe(FailureType.ForeignHref);
    expect(failure.nonRetryable).toBe(true);
    expect(agent.pendingInterceptors().map((i) => i.origin)).toEqual(['https://evil.example']);
    expect(tokens.issued).toBe(0);
    await agent.close();
    current = undefined; // the evil interceptor is meant to stay pending
  });

  it('refuses an href on our host but outside the API path, and a lookalike host', async () => {
    const { client } = fresh();
    expect((await failureOf(client.readByHref('https://sandbox.avinode.test/marketplace/rfqs/arfq-1'))).type).toBe(
      FailureType.ForeignHref,
    );
    expect((await failureOf(client.readByHref('https://sandbox.avinode.test.evil.example/api/rfqs/arfq-1'))).type).toBe(
      FailureType.ForeignHref,
    );
    expect((await failureOf(client.readByHref('http://sandbox.avinode.test/api/rfqs/arfq-1'))).type).toBe(
      FailureType.ForeignHref,
    );
  });

  it('follows an href into the configured API to the resource it names', async () => {
    const { pool, client } = fresh();
    pool.intercept({ path: '/api/tripmsgs/asellermsg-96660002', method: 'GET' }).reply(
      200,
      envelope({
        id: 'asellermsg-96660002',
        type: 'tripmsgs',
        message: 'We can do it',
        sellerCompany: { displayName: 'Example Air' },
      }),
      { headers: JSON_HEADERS },
    );
    const resource = await client.readByHref(`${BASE_URL}/tripmsgs/asellermsg-96660002`);
    expect(resource.type).toBe('tripmsgs');
    expect(resource.type === 'tripmsgs' && resource.value.message).toEqual({
      messageId: 'asellermsg-96660002',
      direction: 'received',
      operator: 'Example Air',
      text: 'We can do it',
    });
  });
});

describe('logging', () => {
  it('writes one line per HTTP exchange with the route template, status, duration and attempt, and no secrets', async () => {
    const { pool, client, logs } = fresh();
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(401, { error: 'invalid_token' }, { headers: JSON_HEADERS });
    pool
      .intercept({ path: '/api/trips/atrip-1', method: 'GET' })
      .reply(200, envelope(tripResource('atrip-1')), { headers: JSON_HEADERS });
    await client.readTrip('atrip-1', { attempt: 3 });
    const records = logs.records().filter((r) => r.event === 'avinode_http');
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      method: 'GET',
      route: '/trips/{id}',
      status: 401,
      attempt: 3,
      authReplay: false,
      codes: ['invalid_token'],
    });
    expect(records[1]).toMatchObject({
      method: 'GET',
      route: '/trips/{id}',
      status: 200,
      attempt: 3,
      authReplay: true,
      codes: [],
    });
    expect(typeof records[0]!.durationMs).toBe('number');
    const all = logs.lines.join('\n');
    for (const secret of [API_TOKEN, 'access-token-1', 'access-token-2', 'atrip-1']) expect(all).not.toContain(secret);
  });
});

describe('activity context', () => {
  it('takes the cancellation signal and attempt from the running activity', async () => {
    const { MockActivityEnvironment } = await import('@temporalio/testing');
    const { activityCallOptions } = await import('../../../activities/avinode/http.ts');
    expect(activityCallOptions()).toEqual({});
    const env = new MockActivityEnvironment({ attempt: 4 });
    const options = (await env.run(async () => activityCallOptions())) as ReturnType<typeof activityCallOptions>;
    expect(options.attempt).toBe(4);
    expect(options.signal).toBeInstanceOf(AbortSignal);
  });
});
