import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createAvinodeOAuthTokenSource,
  createClientAssertion,
  describeStaticToken,
  JWT_BEARER_ASSERTION_TYPE,
  type AvinodeOAuthCredential,
} from '../../../activities/auth/avinode.ts';
import { createAvinodeTokenSource } from '../../../activities/auth/index.ts';
import { tokenEndpointErrorDetailsOf } from '../../../activities/auth/token-endpoint.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf } from '../../support.ts';
import { capture, memoryLogger, mockNetworkPerTest } from './support.ts';
import type { MockAgent } from 'undici';

const ORIGIN = 'https://sandbox.avinode.com';
const TOKEN_URL = `${ORIGIN}/api/oauth/token`;
const SECRET = 's3cr+t&=%/value-that-is-long-enough-for-hs256';
const credential = (
  method: AvinodeOAuthCredential['method'],
  extra: Partial<AvinodeOAuthCredential> = {},
): AvinodeOAuthCredential => ({
  tokenUrl: TOKEN_URL,
  clientId: 'my-client-id',
  clientSecret: SECRET,
  method,
  ...extra,
});
const ok = { status: 200, json: { access_token: 'issued-access-token', expires_in: 1799, token_type: 'Bearer' } };

let agent: MockAgent;
mockNetworkPerTest((fresh) => (agent = fresh));

describe('Avinode token request shape', () => {
  it('client_secret_basic sends form-encoded Basic credentials and no secret in the body', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', ok);
    const token = await createAvinodeOAuthTokenSource(credential('client_secret_basic', { expiresInMinutes: 30 }), {
      dispatcher: agent,
    }).getToken();
    expect(token.value).toBe('issued-access-token');
    const [request] = seen;
    expect(request!.headers.authorization).toBe(
      `Basic ${Buffer.from(`my-client-id:${new URLSearchParams({ v: SECRET }).toString().slice(2)}`).toString('base64')}`,
    );
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request!.headers.accept).toBe('application/json');
    expect(request!.body).toBe('grant_type=client_credentials&expiresInMinutes=30');
  });

  it('client_secret_basic with basicEncoding raw encodes id:secret without percent-encoding', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', ok);
    await createAvinodeOAuthTokenSource(credential('client_secret_basic', { basicEncoding: 'raw' }), {
      dispatcher: agent,
    }).getToken();
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`my-client-id:${SECRET}`).toString('base64')}`);
  });

  it('client_secret_post puts id and secret in a URLSearchParams body and sends no Authorization', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', ok);
    await createAvinodeOAuthTokenSource(credential('client_secret_post'), { dispatcher: agent }).getToken();
    const [request] = seen;
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.body).toBe(
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'my-client-id',
        client_secret: SECRET,
      }).toString(),
    );
    expect(request!.body).toContain('client_secret=s3cr%2Bt%26%3D%25%2Fvalue');
  });

  it('client_secret_jwt sends a fresh HS256 assertion per request, without client_id or client_secret', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', {
      status: 200,
      json: { access_token: 'a', expires_in: 1799, token_type: 'Bearer' },
    });
    const again = capture(agent, ORIGIN, '/api/oauth/token', {
      status: 200,
      json: { access_token: 'b', expires_in: 1799, token_type: 'Bearer' },
    });
    const source = createAvinodeOAuthTokenSource(credential('client_secret_jwt'), { dispatcher: agent });
    const first = await source.getToken();
    source.invalidate(first);
    expect((await source.getToken()).value).toBe('b');
    const assertionOf = (body: string) => new URLSearchParams(body).get('client_assertion');
    expect(assertionOf(again[0]!.body)).not.toBe(assertionOf(seen[0]!.body));
    expect(decodeJwt(assertionOf(again[0]!.body)!).jti).not.toBe(decodeJwt(assertionOf(seen[0]!.body)!).jti);
    const form = new URLSearchParams(seen[0]!.body);
    expect([...form.keys()].sort()).toEqual(['client_assertion', 'client_assertion_type', 'grant_type']);
    expect(form.get('client_assertion_type')).toBe(JWT_BEARER_ASSERTION_TYPE);
    const assertion = form.get('client_assertion')!;
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(assertion, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      issuer: 'my-client-id',
      subject: 'my-client-id',
      audience: TOKEN_URL,
    });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('client_secret_jwt uses the configured assertion audience when one is set', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', ok);
    await createAvinodeOAuthTokenSource(credential('client_secret_jwt', { assertionAudience: ORIGIN }), {
      dispatcher: agent,
    }).getToken();
    expect(decodeJwt(new URLSearchParams(seen[0]!.body).get('client_assertion')!).aud).toBe(ORIGIN);
  });
});

describe('Avinode single flight over HTTP (vector 14)', () => {
  it('makes one POST for 100 concurrent calls on a cold cache', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', ok);
    const source = createAvinodeOAuthTokenSource(credential('client_secret_post'), { dispatcher: agent });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => source.getToken()));
    expect(seen).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['issued-access-token']));
  });
});

describe('client_secret_jwt assertion (vector 10)', () => {
  it('verifies the published vector with jose at 1700000030', async () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1jbGllbnQtaWQiLCJzdWIiOiJteS1jbGllbnQtaWQiLCJhdWQiOiJodHRwczovL3NhbmRib3guYXZpbm9kZS5jb20vYXBpL29hdXRoL3Rva2VuIiwianRpIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAxIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAwNjB9.KYVBd2aTIIFk9VmlRwU2W1zt3oM0fzzeCCuBHVQrL_s';
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode('test-secret-do-not-use'), {
      algorithms: ['HS256'],
      currentDate: new Date(1_700_000_030_000),
      issuer: 'my-client-id',
      subject: 'my-client-id',
      audience: 'https://sandbox.avinode.com/api/oauth/token',
    });
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it('generates assertions with the same claims, each with its own jti', async () => {
    const make = () =>
      createClientAssertion({
        clientId: 'my-client-id',
        clientSecret: 'test-secret-do-not-use',
        audience: TOKEN_URL,
        nowMs: 1_700_000_000_000,
      });
    const [a, b] = await Promise.all([make(), make()]);
    const { payload } = await jwtVerify(a, new TextEncoder().encode('test-secret-do-not-use'), {
      currentDate: new Date(1_700_000_030_000),
      algorithms: ['HS256'],
    });
    expect(payload).toMatchObject({
      iss: 'my-client-id',
      sub: 'my-client-id',
      aud: TOKEN_URL,
      iat: 1_700_000_000,
      exp: 1_700_000_060,
    });
    expect(decodeJwt(a).jti).not.toBe(decodeJwt(b).jti);
  });
});

describe('Avinode token-endpoint errors (§2, §5)', () => {
  const source = (method: AvinodeOAuthCredential['method'] = 'client_secret_post', deps = {}) =>
    createAvinodeOAuthTokenSource(credential(method), { dispatcher: agent, anomalyRetryDelaysMs: [0, 0], ...deps });

  it('maps 401 invalid_client to a non-retryable TokenEndpointRejected naming client, method and errorDetails', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', {
      status: 401,
      json: { error: 'invalid_client', errorDetails: [{ code: 'invalid_client_secret_post' }] },
    });
    const failure = await failureOf(source('client_secret_post').getToken());
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('my-client-id');
    expect(failure.message).toContain('client_secret_post');
    expect(failure.message).toContain('invalid_client_secret_post');
    expect(failure.message).toContain('sandbox.avinode.com');
    expect(failure.message).not.toContain(SECRET);
    expect(tokenEndpointErrorDetailsOf(failure)).toEqual({
      provider: 'avinode',
      host: 'sandbox.avinode.com',
      clientId: 'my-client-id',
      method: 'client_secret_post',
      status: 401,
      error: 'invalid_client',
      errorDetails: ['invalid_client_secret_post'],
    });
  });

  it('names both methods when the server evaluated another method than the configured one', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', {
      status: 401,
      json: { error: 'invalid_client', errorDetails: [{ code: 'invalid_client_secret_post' }] },
    });
    const failure = await failureOf(source('client_secret_jwt').getToken());
    expect(failure.message).toContain(
      'evaluated the request as client_secret_post, but client_secret_jwt is configured',
    );
    expect(tokenEndpointErrorDetailsOf(failure)).toMatchObject({
      error: 'invalid_client',
      method: 'client_secret_jwt',
      errorDetails: ['invalid_client_secret_post'],
    });
  });

  it.each(['unauthorized_client', 'invalid_scope', 'invalid_grant', 'invalid_request', 'unsupported_grant_type'])(
    'maps %s to a non-retryable TokenEndpointRejected',
    async (error) => {
      capture(agent, ORIGIN, '/api/oauth/token', {
        status: error === 'unauthorized_client' ? 401 : 400,
        json: { error },
      });
      const failure = await failureOf(source().getToken());
      expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
      expect(failure.message).toContain(error);
    },
  );

  it('fails fast on a 400 without an OAuth body (a request-builder bug)', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', { status: 400, text: '<html>Bad Request</html>' });
    const failure = await failureOf(source().getToken());
    expect(failure).toMatchObject({ type: FailureType.RequestInvalid, nonRetryable: true });
    expect(failure.message).toContain('without an OAuth error body');
  });

  it('maps 429 to a retryable RateLimited with nextRetryDelay from Retry-After', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', { status: 429, text: '', headers: { 'retry-after': '17' } });
    const failure = await failureOf(source().getToken());
    expect(failure).toMatchObject({ type: FailureType.RateLimited, nonRetryable: false, nextRetryDelay: 17_000 });
  });

  it('backs off at least 30 s after a 429 with a garbage Retry-After', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', { status: 429, text: '', headers: { 'retry-after': 'later, maybe' } });
    const failure = await failureOf(source().getToken());
    expect(failure.nextRetryDelay).toBe(30_000);
  });

  it('maps a 5xx to a retryable Unavailable', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', { status: 503, text: 'down' });
    const failure = await failureOf(source().getToken());
    expect(failure).toMatchObject({ type: FailureType.Unavailable, nonRetryable: false });
  });

  it('maps a network error to a retryable Unavailable', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/api/oauth/token', method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const failure = await failureOf(source().getToken());
    expect(failure).toMatchObject({ type: FailureType.Unavailable, nonRetryable: false });
  });

  it('maps a headers timeout to a retryable Unavailable', async () => {
    agent.get(ORIGIN).intercept({ path: '/api/oauth/token', method: 'POST' }).reply(200, '{}').delay(500);
    const failure = await failureOf(source('client_secret_post', { timeoutMs: 50 }).getToken());
    expect(failure).toMatchObject({ type: FailureType.Unavailable, nonRetryable: false });
  });

  it('retries a 200 that is not JSON a few times, then fails with a ContractViolation', async () => {
    for (let i = 0; i < 3; i += 1)
      capture(agent, ORIGIN, '/api/oauth/token', { status: 200, text: '<html>maintenance</html>' });
    const failure = await failureOf(source().getToken());
    expect(failure).toMatchObject({ type: FailureType.ContractViolation, nonRetryable: true });
    expect(failure.message).toContain('after 3 attempts');
  });

  it('recovers when an anomalous 200 is followed by a proper token', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', { status: 200, json: { token_type: 'Bearer' } });
    capture(agent, ORIGIN, '/api/oauth/token', ok);
    expect((await source().getToken()).value).toBe('issued-access-token');
  });

  it('logs one line per token request with status and codes, and no secret, assertion or token', async () => {
    const { logger, output } = memoryLogger();
    const seen = capture(agent, ORIGIN, '/api/oauth/token', {
      status: 401,
      json: { error: 'invalid_client', errorDetails: [{ code: 'invalid_client_secret_jwt' }] },
    });
    capture(agent, ORIGIN, '/api/oauth/token', ok);
    const jwtSource = createAvinodeOAuthTokenSource(credential('client_secret_jwt'), { dispatcher: agent, logger });
    await jwtSource.getToken().catch(() => undefined);
    await jwtSource.getToken();
    const lines = output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      provider: 'avinode',
      host: 'sandbox.avinode.com',
      route: '/oauth/token',
      status: 401,
      errorCodes: ['invalid_client', 'invalid_client_secret_jwt'],
    });
    expect(typeof lines[1]!.durationMs).toBe('number');
    const assertion = new URLSearchParams(seen[0]!.body).get('client_assertion')!;
    for (const secret of [SECRET, assertion, 'issued-access-token']) expect(output()).not.toContain(secret);
  });
});

describe('Avinode static-token mode', () => {
  const config = {
    auth: 'static' as const,
    bearerToken: 'static-bearer-value',
    baseUrl: `${ORIGIN}/api`,
    clientAuthMethod: 'client_secret_post' as const,
    tokenMinutes: 30,
  };

  it('returns the configured bearer without any token request', async () => {
    const source = createAvinodeTokenSource(config, { dispatcher: agent });
    expect((await source.getToken()).value).toBe('static-bearer-value');
    expect(source.describe()).toEqual({ provider: 'avinode', host: 'sandbox.avinode.com', method: 'static' });
    expect(JSON.stringify(source.describe())).not.toContain('static-bearer-value');
  });

  it('cannot refresh after a 401: invalidate reports false so the caller fails with AuthRejected', async () => {
    const source = createAvinodeTokenSource(config);
    expect(source.invalidate(await source.getToken())).toBe(false);
  });

  it('rejects a static configuration without a bearer token', () => {
    expect(() => createAvinodeTokenSource({ ...config, bearerToken: undefined })).toThrow(/AVINODE_BEARER_TOKEN/);
  });
});

describe('createAvinodeTokenSource from configuration', () => {
  it('posts to <base>/oauth/token with the configured method and expiresInMinutes', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', ok);
    const source = createAvinodeTokenSource(
      {
        auth: 'oauth',
        baseUrl: `${ORIGIN}/api`,
        clientId: 'cid',
        clientSecret: 'sec',
        clientAuthMethod: 'client_secret_post',
        tokenMinutes: 45,
      },
      { dispatcher: agent },
    );
    await source.getToken();
    expect(new URLSearchParams(seen[0]!.body).get('expiresInMinutes')).toBe('45');
    expect(source.key).toBe('avinode|sandbox.avinode.com|cid|client_secret_post||45');
  });

  it('names the missing variable when credentials are incomplete', () => {
    expect(() =>
      createAvinodeTokenSource({
        auth: 'oauth',
        baseUrl: `${ORIGIN}/api`,
        clientId: 'cid',
        clientAuthMethod: 'client_secret_post',
        tokenMinutes: 30,
      }),
    ).toThrow(/AVINODE_CLIENT_SECRET/);
  });
});

describe('describeStaticToken', () => {
  it('decodes an Avinode authentication token header and claims without returning the token', async () => {
    const token = await new SignJWT({ avitype: 16, avitenant: 'tenant-42', avinonce: 'n' })
      .setProtectedHeader({ alg: 'HS512', kid: 'key-1' })
      .setIssuer('avinode')
      .sign(new TextEncoder().encode('k'.repeat(64)));
    const facts = describeStaticToken(token);
    expect(facts).toEqual({
      kind: 'jwt',
      alg: 'HS512',
      kid: 'key-1',
      iss: 'avinode',
      avitype: 16,
      avitenant: 'tenant-42',
      hasExpiry: false,
    });
    expect(JSON.stringify(facts)).not.toContain(token.split('.')[2]);
  });

  it('reports an opaque token as opaque', () => {
    expect(describeStaticToken('00000000-0000-4000-8000-00000000c4a7')).toEqual({ kind: 'opaque' });
  });
});
