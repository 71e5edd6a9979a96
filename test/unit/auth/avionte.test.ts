import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import {
  AVIONTE_DEFAULT_SCOPE,
  avionteTokenRequest,
  createAvionteTokenSource,
  type AvionteCredential,
} from '../../../activities/auth/avionte.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { capture, mockNetworkPerTest } from './support.ts';

const ORIGIN = 'https://api.avionte.com';
const credential: AvionteCredential = {
  tokenUrl: `${ORIGIN}/authorize/token`,
  clientId: 'id',
  clientSecret: 'a+b&c=d%e',
  apiKey: 'gateway-key-value',
  scope: AVIONTE_DEFAULT_SCOPE,
};

let agent: MockAgent;
mockNetworkPerTest((fresh) => (agent = fresh));

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(ApplicationFailure);
      return e as ApplicationFailure;
    },
  );

describe('Avionté token source', () => {
  it('builds the exact form body of vector 8', () => {
    expect(avionteTokenRequest(credential).body).toBe(
      'grant_type=client_credentials&client_id=id&client_secret=a%2Bb%26c%3Dd%25e&scope=avionte.aero.compasintegrationservice',
    );
  });

  it('sends the form, the x-api-key and Accept: application/json, and caches the token', async () => {
    const seen = capture(agent, ORIGIN, '/authorize/token', {
      status: 200,
      json: { access_token: 'avionte-token', expires_in: 3600, token_type: 'Bearer' },
    });
    const source = createAvionteTokenSource(credential, { dispatcher: agent });
    expect((await source.getToken()).value).toBe('avionte-token');
    expect((await source.getToken()).value).toBe('avionte-token');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers).toMatchObject({
      'x-api-key': 'gateway-key-value',
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.body).toBe(avionteTokenRequest(credential).body);
    expect(source.describe()).toMatchObject({
      provider: 'avionte',
      host: 'api.avionte.com',
      clientId: 'id',
      scope: AVIONTE_DEFAULT_SCOPE,
    });
  });

  it('maps a 400 with an OAuth body by its error code', async () => {
    capture(agent, ORIGIN, '/authorize/token', { status: 400, json: { error: 'invalid_scope' } });
    const failure = await failureOf(createAvionteTokenSource(credential, { dispatcher: agent }).getToken());
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('invalid_scope');
  });

  it('fails fast on a 400 without an OAuth body', async () => {
    capture(agent, ORIGIN, '/authorize/token', { status: 400, text: 'Bad Request' });
    const failure = await failureOf(createAvionteTokenSource(credential, { dispatcher: agent }).getToken());
    expect(failure).toMatchObject({ type: FailureType.RequestInvalid, nonRetryable: true });
  });

  it.each([401, 403])('says the gateway rejected the x-api-key on a %i without an OAuth body', async (status) => {
    capture(agent, ORIGIN, '/authorize/token', { status, json: { message: 'Forbidden' } });
    const failure = await failureOf(createAvionteTokenSource(credential, { dispatcher: agent }).getToken());
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('Avionté gateway rejected the x-api-key');
    expect(failure.message).not.toContain('gateway-key-value');
  });

  it('retries a 5xx (retryable Unavailable)', async () => {
    capture(agent, ORIGIN, '/authorize/token', { status: 502, text: '' });
    const failure = await failureOf(createAvionteTokenSource(credential, { dispatcher: agent }).getToken());
    expect(failure).toMatchObject({ type: FailureType.Unavailable, nonRetryable: false });
  });

  it('rejects an empty scope at construction, naming the field and not the value', () => {
    expect(() => createAvionteTokenSource({ ...credential, scope: ' ' })).toThrow(/scope is empty/);
  });
});
