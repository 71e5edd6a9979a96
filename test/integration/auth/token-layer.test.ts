// The token layer over real HTTP against the emulator's token endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAirvantageTokenSource,
  createAvinodeOAuthTokenSource,
  createAvionteTokenSource,
  createAvvailTokenSource,
  createPkcePair,
  buildAuthorizeUrl,
  createOAuthState,
  diagnoseAvinodeAuthMethod,
  MemoryRefreshTokenStore,
} from '../../../activities/auth/index.ts';
import { CLIENT_AUTH_METHODS } from '../../../platform/config.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { EMULATOR_PARTNER_DEFAULTS, startEmulator } from '../../../emulator/index.ts';
import { request } from 'undici';

const SECRET = 'integration+secret&with=odd%chars';

describe.each(CLIENT_AUTH_METHODS)('Avinode %s against a matching registration', (method) => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      credentials: { clientId: 'it-client', clientSecret: SECRET, authMethod: method },
    });
  });
  afterAll(() => emulator.close());

  it('obtains a token', async () => {
    const source = createAvinodeOAuthTokenSource({
      tokenUrl: emulator.tokenUrl,
      clientId: 'it-client',
      clientSecret: SECRET,
      method,
      expiresInMinutes: 5,
    });
    const token = await source.getToken();
    expect(token.value.length).toBeGreaterThan(10);
    expect(token.expiresInSeconds).toBeGreaterThan(200);
  });

  it('names the configured and the expected method when another method is configured', async () => {
    const wrong = CLIENT_AUTH_METHODS.find((m) => m !== method)!;
    const credential = { tokenUrl: emulator.tokenUrl, clientId: 'it-client', clientSecret: SECRET, method: wrong };
    const failure = await createAvinodeOAuthTokenSource(credential)
      .getToken()
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain(wrong);
    expect(failure.message).not.toContain(SECRET);
    const diagnosis = await diagnoseAvinodeAuthMethod(credential);
    expect(diagnosis).toMatchObject({ ok: false, configured: wrong, working: method });
    expect(diagnosis.explanation).toContain(`configured ${wrong}`);
    expect(diagnosis.explanation).toContain(`works with ${method}`);
  });
});

describe('partner token endpoints of the emulator', () => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  it('Avionté issues a token with x-api-key and scope, and says the gateway rejected a wrong key', async () => {
    const d = EMULATOR_PARTNER_DEFAULTS.avionte;
    const credential = {
      tokenUrl: `${emulator.url}/avionte/authorize/token`,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      apiKey: d.apiKey,
      scope: d.scope,
    };
    expect((await createAvionteTokenSource(credential).getToken()).tokenType).toBe('Bearer');
    const failure = await createAvionteTokenSource({ ...credential, apiKey: 'wrong-key' })
      .getToken()
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    expect(failure.message).toContain('Avionté gateway rejected the x-api-key');
  });

  it('Avvail issues a JWT that verifies against the JWKS and carries the required scope', async () => {
    const d = EMULATOR_PARTNER_DEFAULTS.avvail;
    const base = {
      tokenUrl: `${emulator.url}/avvail/oauth/token`,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      audience: d.audience,
    };
    const token = await createAvvailTokenSource({ ...base, requiredScopes: ['reservations:create'] }).getToken();
    expect(token.scope).toContain('reservations:create');
    const failure = await createAvvailTokenSource({ ...base, requiredScopes: ['holds:create'] })
      .getToken()
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    expect(failure.message).toContain('credential lacks holds:create');
  });

  it('AirVantage runs code + PKCE S256, rotates refresh tokens, and expires the grant', async () => {
    const d = EMULATOR_PARTNER_DEFAULTS.airvantage;
    const client = { baseUrl: `${emulator.url}/airvantage`, clientId: d.clientId, clientSecret: d.clientSecret };
    const pkce = createPkcePair();
    const state = createOAuthState();
    const redirectUri = d.redirectUris[0]!;
    const authorize = await request(
      buildAuthorizeUrl({ ...client, redirectUri, codeChallenge: pkce.challenge, state }),
    );
    await authorize.body.dump();
    const location = new URL(String(authorize.headers.location));
    expect(location.searchParams.get('state')).toBe(state);
    const store = new MemoryRefreshTokenStore();
    let clock = 0;
    const source = createAirvantageTokenSource(client, { grantId: 'grant-1', store }, { now: () => clock });
    const first = await source.exchangeAuthorizationCode({
      code: location.searchParams.get('code')!,
      redirectUri,
      codeVerifier: pkce.verifier,
    });
    const firstRefresh = await store.load('grant-1');
    clock += 43_000_000; // past refresh-ahead
    const second = await source.getToken();
    expect(second.value).not.toBe(first.value);
    expect(await store.load('grant-1')).not.toBe(firstRefresh);
    expect(await source.expire()).toBe('expired');
    expect(await store.load('grant-1')).toBeUndefined();
  });
});
