import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import {
  buildAuthorizeUrl,
  createAirvantageTokenSource,
  createPkcePair,
  expireToken,
  pkceChallengeOf,
} from '../../../activities/auth/airvantage.ts';
import { FileRefreshTokenStore, MemoryRefreshTokenStore } from '../../../activities/auth/refresh-token-store.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { capture, mockNetworkPerTest } from './support.ts';

const ORIGIN = 'https://eu.airvantage.net';
const client = { baseUrl: ORIGIN, clientId: 'my_client', clientSecret: 'the_secret' };

let agent: MockAgent;
mockNetworkPerTest((fresh) => (agent = fresh));

describe('PKCE', () => {
  it('computes the RFC 7636 Appendix B challenge (vector 9)', () => {
    expect(pkceChallengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('creates a 43-character base64url verifier from 32 random bytes, fresh each time', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(pkceChallengeOf(a.verifier));
    expect(a.method).toBe('S256');
    expect(a.verifier).not.toBe(b.verifier);
  });

  it('always sends code_challenge_method=S256 and the state in the authorize URL', () => {
    const url = new URL(
      buildAuthorizeUrl({
        baseUrl: ORIGIN,
        clientId: 'my_client',
        redirectUri: 'https://app.example/cb',
        codeChallenge: 'abc',
        state: 'st4te',
      }),
    );
    expect(url.pathname).toBe('/api/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'my_client',
      redirect_uri: 'https://app.example/cb',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
      state: 'st4te',
    });
    expect(() =>
      buildAuthorizeUrl({ baseUrl: ORIGIN, clientId: 'c', redirectUri: 'r', codeChallenge: 'x', state: '' }),
    ).toThrow(/state/);
  });
});

describe('AirVantage token source', () => {
  const token = (access: string, refresh?: string) => ({
    status: 200,
    json: {
      access_token: access,
      ...(refresh ? { refresh_token: refresh } : {}),
      token_type: 'Bearer',
      expires_in: 43199,
    },
  });

  it('exchanges a code with Basic auth (vector 1) and saves the refresh token', async () => {
    const store = new MemoryRefreshTokenStore();
    const seen = capture(agent, ORIGIN, '/api/oauth/token', token('access-1', 'refresh-1'));
    const source = createAirvantageTokenSource(client, { grantId: 'g1', store }, { dispatcher: agent });
    const access = await source.exchangeAuthorizationCode({
      code: 'c0de',
      redirectUri: 'https://app.example/cb',
      codeVerifier: 'v'.repeat(43),
    });
    expect(access.value).toBe('access-1');
    expect(seen[0]!.headers.authorization).toBe('Basic bXlfY2xpZW50OnRoZV9zZWNyZXQ=');
    expect(seen[0]!.body).toBe(
      `grant_type=authorization_code&code=c0de&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=${'v'.repeat(43)}`,
    );
    expect(await store.load('g1')).toBe('refresh-1');
    expect((await source.getToken()).value).toBe('access-1'); // primed: no refresh
  });

  it('rotates the refresh token and persists the new one before handing out the access token', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g1', 'refresh-1');
    const saved: string[] = [];
    const originalSave = store.save.bind(store);
    store.save = async (grantId, value) => {
      saved.push(value);
      await originalSave(grantId, value);
    };
    const seen = capture(agent, ORIGIN, '/api/oauth/token', token('access-2', 'refresh-2'));
    const access = await createAirvantageTokenSource(
      client,
      { grantId: 'g1', store },
      { dispatcher: agent },
    ).getToken();
    expect(access.value).toBe('access-2');
    expect(saved).toEqual(['refresh-2']);
    expect(seen[0]!.body).toBe('grant_type=refresh_token&refresh_token=refresh-1');
  });

  it('keeps the old refresh token when the response carries none (RFC 6749 §6)', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g1', 'refresh-1');
    capture(agent, ORIGIN, '/api/oauth/token', token('access-2'));
    await createAirvantageTokenSource(client, { grantId: 'g1', store }, { dispatcher: agent }).getToken();
    expect(await store.load('g1')).toBe('refresh-1');
  });

  it('runs one refresher per grant: two sources of the same grant refresh one after the other', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g1', 'refresh-1');
    const first = capture(agent, ORIGIN, '/api/oauth/token', token('access-a', 'refresh-2'));
    const second = capture(agent, ORIGIN, '/api/oauth/token', token('access-b', 'refresh-3'));
    const a = createAirvantageTokenSource(client, { grantId: 'g1', store }, { dispatcher: agent });
    const b = createAirvantageTokenSource(client, { grantId: 'g1', store }, { dispatcher: agent });
    await Promise.all([a.getToken(), b.getToken()]);
    // the second refresher used the token the first one saved, never the consumed one
    expect([first[0]!.body, second[0]!.body]).toEqual([
      'grant_type=refresh_token&refresh_token=refresh-1',
      'grant_type=refresh_token&refresh_token=refresh-2',
    ]);
    expect(await store.load('g1')).toBe('refresh-3');
  });

  it('drops the stored refresh token on invalid_grant and fails non-retryably', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.save('g1', 'refresh-used');
    capture(agent, ORIGIN, '/api/oauth/token', { status: 400, json: { error: 'invalid_grant' } });
    const failure = await createAirvantageTokenSource(client, { grantId: 'g1', store }, { dispatcher: agent })
      .getToken()
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect((failure as Error).message).toContain('authorize again');
    expect((failure as Error).message).not.toContain('refresh-used');
    expect(await store.load('g1')).toBeUndefined();
  });

  it('fails non-retryably when no refresh token is stored for the grant', async () => {
    const failure = await createAirvantageTokenSource(
      client,
      { grantId: 'none', store: new MemoryRefreshTokenStore() },
      { dispatcher: agent },
    )
      .getToken()
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
  });

  it('uses the password grant as a fallback', async () => {
    const store = new MemoryRefreshTokenStore();
    const seen = capture(agent, ORIGIN, '/api/oauth/token', token('access-p', 'refresh-p'));
    await createAirvantageTokenSource(client, { grantId: 'gp', store }, { dispatcher: agent }).loginWithPassword({
      username: 'u@x',
      password: 'p&w=',
    });
    expect(seen[0]!.body).toBe('grant_type=password&username=u%40x&password=p%26w%3D');
    expect(await store.load('gp')).toBe('refresh-p');
  });
});

describe('expireToken', () => {
  it('treats 200 as expired and 401 as already expired', async () => {
    const seen = capture(agent, ORIGIN, '/api/oauth/expire', { status: 200, text: '' }, 'GET');
    capture(agent, ORIGIN, '/api/oauth/expire', { status: 401, text: '' }, 'GET');
    expect(await expireToken(client, 'tok en', { dispatcher: agent })).toBe('expired');
    expect(seen[0]!.path).toBe('/api/oauth/expire?access_token=tok+en');
    expect(await expireToken(client, 'tok en', { dispatcher: agent })).toBe('already-expired');
  });
});

describe('FileRefreshTokenStore', () => {
  it('persists tokens in a 0600 file across instances and deletes them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rts-'));
    try {
      const path = join(dir, 'nested', 'tokens.json');
      await new FileRefreshTokenStore(path).save('g1', 'r1');
      const reopened = new FileRefreshTokenStore(path);
      expect(await reopened.load('g1')).toBe('r1');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      await reopened.delete('g1');
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
