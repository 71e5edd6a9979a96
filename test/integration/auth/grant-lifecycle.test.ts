// Over real HTTP against the emulator: the Avinode method-mismatch message, and an AirVantage grant
// whose rotating refresh token lives in a file that outlives the token source (a worker restart).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAuthorizeUrl,
  createAirVantageTokenSource,
  createAvinodeOAuthTokenSource,
  createOAuthState,
  createPkcePair,
  expireAccessToken,
  FileRefreshTokenStore,
} from '../../../activities/auth/index.ts';
import { EMULATOR_PARTNER_DEFAULTS, startEmulator, type RunningEmulator } from '../../../emulator/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf } from '../../support.ts';

describe('Avinode client auth method mismatch', () => {
  let emulator: RunningEmulator;
  const SECRET = 'mismatch+secret&value=%';
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      credentials: { clientId: 'mm-client', clientSecret: SECRET, authMethod: 'client_secret_jwt' },
    });
  });
  afterAll(() => emulator.close());

  it("names the configured method and the server's errorDetails code, without the secret", async () => {
    const source = createAvinodeOAuthTokenSource({
      tokenUrl: emulator.tokenUrl,
      clientId: 'mm-client',
      clientSecret: SECRET,
      method: 'client_secret_post',
    });
    const failure = await failureOf(source.getToken());
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('method client_secret_post');
    expect(failure.message).toContain('errorDetails: invalid_client_secret_post');
    expect(failure.message).not.toContain(SECRET);
  });
});

describe('AirVantage grant in a FileRefreshTokenStore', () => {
  const d = EMULATOR_PARTNER_DEFAULTS.airvantage;
  const redirectUri = d.redirectUris[0]!;
  let emulator: RunningEmulator;
  let dir: string;
  const client = () => ({ baseUrl: `${emulator.url}/airvantage`, clientId: d.clientId, clientSecret: d.clientSecret });
  const works = async (token: string) => {
    const response = await request(`${emulator.url}/airvantage/api/v1/users/current`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body.dump();
    return response.statusCode === 200;
  };
  async function authorizationCode(codeChallenge: string): Promise<string> {
    const state = createOAuthState();
    const response = await request(
      buildAuthorizeUrl({ host: client().baseUrl, clientId: d.clientId, redirectUri, codeChallenge, state }),
    );
    await response.body.dump();
    expect(response.statusCode).toBe(302);
    const callback = new URL(String(response.headers.location));
    expect(callback.searchParams.get('state')).toBe(state);
    return callback.searchParams.get('code')!;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, tokenRequestsPerMinute: 10_000 });
    dir = await mkdtemp(join(tmpdir(), 'airvantage-grant-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('survives a restart: a new source on the same file refreshes with the persisted token, and the old one is dead', async () => {
    const path = join(dir, 'restart.json');
    const pkce = createPkcePair();
    const before = createAirVantageTokenSource(client(), { grantId: 'ops', store: new FileRefreshTokenStore(path) });
    const first = await before.exchangeAuthorizationCode({
      code: await authorizationCode(pkce.challenge),
      redirectUri,
      codeVerifier: pkce.verifier,
    });
    expect(await works(first.value)).toBe(true);
    const refreshA = JSON.parse(await readFile(path, 'utf8')).ops as string;

    const after = createAirVantageTokenSource(client(), { grantId: 'ops', store: new FileRefreshTokenStore(path) });
    const second = await after.getToken();
    expect(second.value).not.toBe(first.value);
    expect(await works(second.value)).toBe(true);
    const refreshB = JSON.parse(await readFile(path, 'utf8')).ops as string;
    expect(refreshB).not.toBe(refreshA);
    expect(await readFile(path, 'utf8')).not.toContain(second.value);

    // A stale copy of token A (say, a backup restored by another worker) is refused and the grant dropped.
    await new FileRefreshTokenStore(path).save('ops', refreshA);
    const failure = await failureOf(after.getToken({ forceRefresh: true }));
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('authorize again');
    expect(failure.message).not.toContain(refreshA);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({});
  });

  it('lets two sources of one grant refresh at the same time without consuming each other’s token', async () => {
    const path = join(dir, 'concurrent.json');
    const seed = createAirVantageTokenSource(client(), { grantId: 'ops', store: new FileRefreshTokenStore(path) });
    await seed.loginWithPassword({ username: d.username, password: d.password });
    const workers = [0, 1, 2].map(() =>
      createAirVantageTokenSource(client(), { grantId: 'ops', store: new FileRefreshTokenStore(path) }),
    );
    const tokens = await Promise.all(workers.map((w) => w.getToken({ forceRefresh: true })));
    expect(new Set(tokens.map((t) => t.value)).size).toBe(3);
    // Only the last issued access token's grant state matters: the stored refresh token still works.
    const next = await createAirVantageTokenSource(client(), {
      grantId: 'ops',
      store: new FileRefreshTokenStore(path),
    }).getToken();
    expect(await works(next.value)).toBe(true);
  });

  it('fails the exchange with invalid_grant when the verifier does not match the S256 challenge', async () => {
    const pkce = createPkcePair();
    const code = await authorizationCode(pkce.challenge);
    const source = createAirVantageTokenSource(client(), {
      grantId: 'wrong-verifier',
      store: new FileRefreshTokenStore(join(dir, 'wrong.json')),
    });
    const failure = await failureOf(
      source.exchangeAuthorizationCode({ code, redirectUri, codeVerifier: createPkcePair().verifier }),
    );
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('invalid_grant');
  });

  it('expires a token once; a second expire of the same token is reported as already expired', async () => {
    const source = createAirVantageTokenSource(client(), {
      grantId: 'expire',
      store: new FileRefreshTokenStore(join(dir, 'expire.json')),
    });
    const token = await source.loginWithPassword({ username: d.username, password: d.password });
    expect(await expireAccessToken({ host: client().baseUrl, token })).toBe('expired');
    expect(await works(token.value)).toBe(false);
    expect(await expireAccessToken({ host: client().baseUrl, token })).toBe('already-expired');
  });
});
