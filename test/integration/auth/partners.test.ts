// Each partner's token flow through the product's token layer, over real HTTP against the emulator.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAuthorizeUrl,
  createAirvantageTokenSource,
  createAvionteTokenSource,
  createAvvailTokenSource,
  createOAuthState,
  createPkcePair,
  FileRefreshTokenStore,
  MemoryRefreshTokenStore,
} from '../../../activities/auth/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { EMULATOR_PARTNER_DEFAULTS, startEmulator, type RunningEmulator } from '../../../emulator/index.ts';

let emulator: RunningEmulator;
const { avionte, avvail, airvantage } = EMULATOR_PARTNER_DEFAULTS;
const REDIRECT_URI = airvantage.redirectUris[0]!;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, tokenRequestsPerMinute: 10_000 });
});
afterAll(async () => {
  await emulator?.close();
});

async function ping(path: string, token: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(`${emulator.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  await response.body.dump();
  return response.statusCode;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('Avionté', () => {
  const credential = {
    clientId: avionte.clientId,
    clientSecret: avionte.clientSecret,
    apiKey: avionte.apiKey,
    scope: avionte.scope,
  };

  it('gets a token with the gateway key and the required scope, and the token works', async () => {
    const source = createAvionteTokenSource({ ...credential, tokenUrl: `${emulator.url}/avionte/authorize/token` });
    const token = await source.getToken();
    // The gateway key goes on API calls too.
    expect(await ping('/avionte/ping', token.value, { 'x-api-key': avionte.apiKey })).toBe(200);
  });

  it('explains a rejected x-api-key without retrying', async () => {
    const source = createAvionteTokenSource({
      ...credential,
      tokenUrl: `${emulator.url}/avionte/authorize/token`,
      apiKey: 'wrong-gateway-key',
    });
    const failure = await failureOf(source.getToken());
    expect(failure.type).toBe(FailureType.TokenEndpointRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/x-api-key/);
    expect(failure.message).not.toContain('wrong-gateway-key');
  });
});

describe('Avvail', () => {
  it('gets an RS256 access token verified against the JWKS with the required scopes granted', async () => {
    const source = createAvvailTokenSource({
      tokenUrl: `${emulator.url}/avvail/oauth/token`,
      clientId: avvail.clientId,
      clientSecret: avvail.clientSecret,
      audience: avvail.audience,
      requiredScopes: ['reservations:create'],
    });
    const token = await source.getToken();
    expect(token.scope).toContain('reservations:create');
    expect(await ping('/avvail/v2/ping', token.value)).toBe(200);
  });

  it('fails fast naming a scope the credential was not granted', async () => {
    const source = createAvvailTokenSource({
      tokenUrl: `${emulator.url}/avvail/oauth/token`,
      clientId: avvail.clientId,
      clientSecret: avvail.clientSecret,
      audience: avvail.audience,
      requiredScopes: ['holds:delete'],
    });
    const failure = await failureOf(source.getToken());
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('holds:delete');
  });

  it('refuses a token whose issuer is not the one configured', async () => {
    const source = createAvvailTokenSource({
      tokenUrl: `${emulator.url}/avvail/oauth/token`,
      clientId: avvail.clientId,
      clientSecret: avvail.clientSecret,
      audience: avvail.audience,
      issuer: 'https://auth.avvail.com/',
    });
    const failure = await failureOf(source.getToken());
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('AirVantage', () => {
  const client = () => ({
    baseUrl: `${emulator.url}/airvantage`,
    clientId: airvantage.clientId,
    clientSecret: airvantage.clientSecret,
  });

  it('completes the authorization-code flow with PKCE S256 and persists the refresh token before use', async () => {
    const pkce = createPkcePair();
    const state = createOAuthState();
    const authorize = await request(
      buildAuthorizeUrl({ ...client(), redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, state }),
    );
    await authorize.body.dump();
    expect(authorize.statusCode).toBe(302);
    const callback = new URL(String(authorize.headers.location));
    expect(callback.searchParams.get('state')).toBe(state);
    const code = callback.searchParams.get('code')!;

    const dir = mkdtempSync(join(tmpdir(), 'airvantage-store-'));
    const store = new FileRefreshTokenStore(join(dir, 'grants.json'));
    const source = createAirvantageTokenSource(client(), { grantId: 'ops', store });
    const token = await source.exchangeAuthorizationCode({
      code,
      redirectUri: REDIRECT_URI,
      codeVerifier: pkce.verifier,
    });
    expect(token.value.length).toBeGreaterThan(10);
    const saved = await store.load('ops');
    expect(saved).toBeTruthy();
    expect(statSync(join(dir, 'grants.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'grants.json'), 'utf8')).not.toContain(token.value);
  });

  it('rotates the refresh token on every refresh, and a reused one is invalid_grant that drops the grant', async () => {
    const store = new MemoryRefreshTokenStore();
    const source = createAirvantageTokenSource(client(), { grantId: 'rotation', store });
    const first = await source.loginWithPassword({ username: airvantage.username, password: airvantage.password });
    const refreshA = await store.load('rotation');
    const second = await source.getToken({ forceRefresh: true });
    const refreshB = await store.load('rotation');
    expect(second.value).not.toBe(first.value);
    expect(refreshB).not.toBe(refreshA);

    // Another process still holding refresh token A: reusing it kills it, as AirVantage does.
    await store.save('rotation', refreshA!);
    const failure = await failureOf(source.getToken({ forceRefresh: true }));
    expect(failure.type).toBe(FailureType.TokenEndpointRejected);
    expect(failure.message).toMatch(/invalid_grant/);
    expect(await store.load('rotation')).toBeUndefined();
  });

  it('expires the access token through the expire endpoint, after which the token no longer works', async () => {
    const source = createAirvantageTokenSource(client(), { grantId: 'expire', store: new MemoryRefreshTokenStore() });
    const token = await source.loginWithPassword({ username: airvantage.username, password: airvantage.password });
    expect(await source.expire()).toBe('expired');
    const check = await request(
      `${emulator.url}/airvantage/api/oauth/expire?access_token=${encodeURIComponent(token.value)}`,
    );
    await check.body.dump();
    expect(check.statusCode).toBe(401);
  });

  it('answers invalid_grant for a wrong password without leaking it', async () => {
    const source = createAirvantageTokenSource(client(), { grantId: 'bad', store: new MemoryRefreshTokenStore() });
    const failure = await failureOf(
      source.loginWithPassword({ username: airvantage.username, password: 'not-the-password-x' }),
    );
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).not.toContain('not-the-password-x');
  });
});
