// AirVantage grant safety (oauth-providers.md §4.3, §4.5): the rotated refresh token is stored before
// anyone gets the access token, refreshes run under the store's lock, and the expire URL never leaks.
import { describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import {
  buildAuthorizeUrl,
  createAirVantageTokenSource,
  createAirvantageTokenSource,
  expireAccessToken,
  MemoryRefreshTokenStore,
  pkceChallenge,
  type RefreshTokenStore,
} from '../../../activities/auth/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf, waitUntil } from '../../support.ts';
import { capture, memoryLogger, mockNetworkPerTest } from './support.ts';

const ORIGIN = 'https://na.airvantage.net';
const SECRET = 'client+secret/with=odd&chars';
const client = { baseUrl: ORIGIN, clientId: 'my_client', clientSecret: SECRET };
const tokenReply = (access: string, refresh?: string) => ({
  status: 200,
  json: {
    access_token: access,
    ...(refresh ? { refresh_token: refresh } : {}),
    token_type: 'Bearer',
    expires_in: 43_199,
  },
});

let agent: MockAgent;
mockNetworkPerTest((fresh) => (agent = fresh));

const turns = async (n: number) => {
  for (let i = 0; i < n; i += 1) await new Promise((resolve) => setImmediate(resolve));
};
const until = (condition: () => boolean, what: string) =>
  waitUntil(condition, () => what, { timeout: 5_000, interval: 1 });

describe('AirVantage refresh: save before hand-out', () => {
  it('does not hand out the new access token until the rotated refresh token is saved', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g', 'refresh-1');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let saveStarted = false;
    const save = store.save.bind(store);
    store.save = async (grantId, value) => {
      saveStarted = true;
      await gate;
      await save(grantId, value);
    };
    capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-2', 'refresh-2'));
    let handedOut = false;
    const pending = createAirvantageTokenSource(client, { grantId: 'g', store }, { dispatcher: agent })
      .getToken()
      .then((token) => {
        handedOut = true;
        return token;
      });
    await until(() => saveStarted, 'the save to start');
    await turns(10);
    expect(handedOut).toBe(false);
    release();
    expect((await pending).value).toBe('access-2');
    expect(await store.load('g')).toBe('refresh-2');
  });

  it('hands out nothing and caches nothing when saving the rotated refresh token fails', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g', 'refresh-1');
    const save = store.save.bind(store);
    let failSaves = true;
    store.save = async (grantId, value) => {
      if (failSaves) throw new Error('disk full');
      await save(grantId, value);
    };
    capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-lost', 'refresh-2'));
    const source = createAirvantageTokenSource(client, { grantId: 'g', store }, { dispatcher: agent });
    await expect(source.getToken()).rejects.toThrow('disk full');
    failSaves = false;
    capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-3', 'refresh-3'));
    expect((await source.getToken()).value).toBe('access-3');
  });

  it("runs load → refresh → save inside the store's fleet lock", async () => {
    const events: string[] = [];
    const inner = new MemoryRefreshTokenStore();
    await inner.save('g', 'refresh-1');
    let locked = false;
    const store: RefreshTokenStore = {
      load: async (id) => (events.push(`load locked=${locked}`), inner.load(id)),
      save: async (id, value) => (events.push(`save locked=${locked}`), inner.save(id, value)),
      delete: async (id) => inner.delete(id),
      withLock: async (_id, run) => {
        locked = true;
        try {
          return await run();
        } finally {
          locked = false;
        }
      },
    };
    capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-2', 'refresh-2'));
    await createAirvantageTokenSource(client, { grantId: 'g', store }, { dispatcher: agent }).getToken();
    expect(events).toEqual(['load locked=true', 'save locked=true']);
  });

  it('authenticates with Basic only: no client secret in the refresh body', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g', 'refresh-1');
    const seen = capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-2', 'refresh-2'));
    await createAirvantageTokenSource(client, { grantId: 'g', store }, { dispatcher: agent }).getToken();
    expect(seen[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('my_client:client%2Bsecret%2Fwith%3Dodd%26chars').toString('base64')}`,
    );
    expect(seen[0]!.body).not.toContain('client_secret');
    expect(seen[0]!.body).not.toContain('client_id');
  });
});

describe('AirVantage password grant', () => {
  it('sends the 2FA factor when one is given', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-p', 'refresh-p'));
    await createAirvantageTokenSource(
      client,
      { grantId: 'gp', store: new MemoryRefreshTokenStore() },
      { dispatcher: agent },
    ).loginWithPassword({
      username: 'ops@example.test',
      password: 'pw',
      factor: '123456',
    });
    expect(new URLSearchParams(seen[0]!.body).get('factor')).toBe('123456');
  });

  it('answers bad user credentials with a non-retryable failure of that attempt alone, holding no password', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', {
      status: 400,
      json: { error: 'invalid_grant', error_description: 'Bad credentials' },
    });
    const store = new MemoryRefreshTokenStore();
    const failure = await failureOf(
      createAirvantageTokenSource(client, { grantId: 'gp', store }, { dispatcher: agent }).loginWithPassword({
        username: 'ops@example.test',
        password: 'wrong-password-value',
      }),
    );
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('only this attempt failed');
    expect(failure.message).not.toContain('wrong-password-value');
    expect(failure.message).not.toContain(SECRET);
  });

  it('maps bad client credentials (400 invalid_client) to a non-retryable rejection', async () => {
    capture(agent, ORIGIN, '/api/oauth/token', { status: 400, json: { error: 'invalid_client' } });
    const failure = await failureOf(
      createAirvantageTokenSource(
        client,
        { grantId: 'gp', store: new MemoryRefreshTokenStore() },
        { dispatcher: agent },
      ).loginWithPassword({ username: 'u', password: 'p' }),
    );
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('invalid_client');
  });
});

describe('AirVantage expire endpoint', () => {
  it('never logs the expire URL or the token, and treats 401 as already expired', async () => {
    const { logger, output } = memoryLogger();
    const seen = capture(agent, ORIGIN, '/api/oauth/expire', { status: 401, text: '' }, 'GET');
    expect(
      await expireAccessToken({ host: ORIGIN, token: 'opaque-access-token-value' }, { dispatcher: agent, logger }),
    ).toBe('already-expired');
    expect(seen[0]!.path).toBe('/api/oauth/expire?access_token=opaque-access-token-value');
    expect(output()).toContain('/api/oauth/expire');
    expect(output()).not.toContain('opaque-access-token-value');
    expect(output()).not.toContain('access_token=');
  });

  it('reports a failing expire endpoint as retryable without the token in the message', async () => {
    capture(agent, ORIGIN, '/api/oauth/expire', { status: 502, text: '' }, 'GET');
    const failure = await failureOf(
      expireAccessToken({ host: ORIGIN, token: 'opaque-access-token-value' }, { dispatcher: agent }),
    );
    expect(failure).toMatchObject({ type: FailureType.Unavailable, nonRetryable: false });
    expect(failure.message).not.toContain('opaque-access-token-value');
  });

  it('expiring through the source kills the grant: the stored refresh token is gone afterwards', async () => {
    const store = new MemoryRefreshTokenStore();
    capture(agent, ORIGIN, '/api/oauth/token', tokenReply('access-1', 'refresh-1'));
    const source = createAirvantageTokenSource(client, { grantId: 'g', store }, { dispatcher: agent });
    const token = await source.loginWithPassword({ username: 'u', password: 'p' });
    const seen = capture(agent, ORIGIN, '/api/oauth/expire', { status: 200, text: '' }, 'GET');
    expect(await source.expire()).toBe('expired');
    expect(seen[0]!.path).toBe(`/api/oauth/expire?access_token=${token.value}`);
    expect(await store.load('g')).toBeUndefined();
    expect(await failureOf(source.getToken())).toMatchObject({
      type: FailureType.TokenEndpointRejected,
      nonRetryable: true,
    });
  });
});

describe('AirVantage names and inputs', () => {
  it('offers the names the issue uses', () => {
    expect(createAirVantageTokenSource).toBe(createAirvantageTokenSource);
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    const url = new URL(
      buildAuthorizeUrl({
        host: 'https://eu.airvantage.net',
        clientId: 'c',
        redirectUri: 'https://app.test/cb',
        codeChallenge: 'ch',
        state: 's',
      }),
    );
    expect(url.pathname).toBe('/api/oauth/authorize');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('refuses an authorize URL without a challenge, which AirVantage would treat as plain', () => {
    expect(() =>
      buildAuthorizeUrl({
        host: ORIGIN,
        clientId: 'c',
        redirectUri: 'https://app.test/cb',
        codeChallenge: '',
        state: 's',
      }),
    ).toThrow(/codeChallenge/);
  });

  it('rejects an empty client secret at construction, naming the field', () => {
    let error: unknown;
    try {
      createAirvantageTokenSource(
        { ...client, clientSecret: ' ' },
        { grantId: 'g', store: new MemoryRefreshTokenStore() },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ type: FailureType.ConfigurationInvalid, nonRetryable: true });
    expect((error as Error).message).toContain('clientSecret');
  });
});
