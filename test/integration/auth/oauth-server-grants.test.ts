// The AirVantage token layer against a real OAuth server (oidc-provider), not a mock: its
// authorization-code + PKCE flow, password grant, refresh-token rotation and reuse detection
// (presenting a consumed refresh token revokes the whole grant) decide every outcome here.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAirvantageTokenSource,
  createPkcePair,
  MemoryRefreshTokenStore,
  type AirvantageTokenSource,
} from '../../../activities/auth/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { ACCOUNT, CLIENT, REDIRECT_URI, startOAuthServer, type OAuthServer } from './oidc-server.ts';

let server: OAuthServer;
beforeAll(async () => {
  server = await startOAuthServer();
});
afterAll(async () => {
  await server?.close();
});

/** A store that records its saves, so a test can see a refresh nobody waits for any more finish. */
class ObservedStore extends MemoryRefreshTokenStore {
  saves: string[] = [];
  override async save(grantId: string, refreshToken: string): Promise<void> {
    await super.save(grantId, refreshToken);
    this.saves.push(refreshToken);
  }
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** A source whose grant was authorized through the server's real authorization-code flow. */
async function authorizedSource(grantId: string): Promise<{ source: AirvantageTokenSource; store: ObservedStore }> {
  const store = new ObservedStore();
  const source = createAirvantageTokenSource({ baseUrl: server.baseUrl, ...CLIENT }, { grantId, store });
  const { code, pkce } = await server.authorize();
  await source.exchangeAuthorizationCode({ code, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier });
  expect(await store.load(grantId)).toBeTruthy();
  return { source, store };
}

describe('AirVantage grants against a real OAuth server', () => {
  it('exchanges a code, refreshes with rotation, and the server revokes the grant when a consumed refresh token is replayed', async () => {
    const { source, store } = await authorizedSource('g-rotation');
    const first = (await store.load('g-rotation'))!;
    await source.getToken({ forceRefresh: true });
    const second = (await store.load('g-rotation'))!;
    expect(second).not.toBe(first);

    // The reuse the token layer must never commit: the server answers invalid_grant and revokes the grant.
    await store.save('g-rotation', first);
    const reuse = await failureOf(source.getToken({ forceRefresh: true }));
    expect(reuse.type).toBe(FailureType.TokenEndpointRejected);
    expect(reuse.message).toContain('invalid_grant');
    await store.save('g-rotation', second);
    const revoked = await failureOf(source.getToken({ forceRefresh: true }));
    expect(revoked.message).toContain('invalid_grant');
  });

  it('a failed authorization-code exchange keeps the stored grant, which still refreshes', async () => {
    const { source, store } = await authorizedSource('g-code');
    const stored = await store.load('g-code');

    const { code } = await server.authorize();
    const wrongVerifier = await failureOf(
      source.exchangeAuthorizationCode({ code, redirectUri: REDIRECT_URI, codeVerifier: createPkcePair().verifier }),
    );
    expect(wrongVerifier.type).toBe(FailureType.TokenEndpointRejected);
    expect(wrongVerifier.message).toContain('authorization-code exchange');
    expect(wrongVerifier.message).toContain('only this attempt failed');
    const unknownCode = await failureOf(
      source.exchangeAuthorizationCode({
        code: 'not-a-code',
        redirectUri: REDIRECT_URI,
        codeVerifier: createPkcePair().verifier,
      }),
    );
    expect(unknownCode.message).toContain('invalid_grant');

    expect(await store.load('g-code')).toBe(stored);
    await source.getToken({ forceRefresh: true });
    expect(await store.load('g-code')).not.toBe(stored);
  });

  it('a failed password login keeps the stored grant, which still refreshes; a good one replaces it', async () => {
    const { source, store } = await authorizedSource('g-password');
    const stored = await store.load('g-password');
    const failure = await failureOf(
      source.loginWithPassword({ username: ACCOUNT.username, password: 'wrong-password-7d' }),
    );
    expect(failure.type).toBe(FailureType.TokenEndpointRejected);
    expect(failure.message).toContain('password login');
    expect(failure.message).not.toContain('wrong-password-7d');
    expect(await store.load('g-password')).toBe(stored);
    await source.getToken({ forceRefresh: true });
    const refreshed = await store.load('g-password');
    expect(refreshed).not.toBe(stored);

    await source.loginWithPassword(ACCOUNT);
    const fromPassword = await store.load('g-password');
    expect(fromPassword).not.toBe(refreshed);
    await source.getToken({ forceRefresh: true });
    expect(await store.load('g-password')).not.toBe(fromPassword);
  });

  it('a refresh that was sent completes and saves its rotated token although every waiting caller was cancelled', async () => {
    const { source, store } = await authorizedSource('g-cancel');
    const consumed = await store.load('g-cancel');
    const held = server.holdNextTokenResponse();
    const callers = [new AbortController(), new AbortController()];
    const waits = callers.map((caller) =>
      source.getToken({ forceRefresh: true, signal: caller.signal }).then(
        () => 'token',
        (error: Error) => error.name,
      ),
    );
    await held.processed; // the server has rotated: the stored refresh token is consumed now
    for (const caller of callers) caller.abort(new DOMException('activity cancelled', 'AbortError'));
    expect(await Promise.all(waits)).toEqual(['AbortError', 'AbortError']);
    held.release();
    // Nobody waits any more; the answer must still be read and its rotated token saved.
    await expect.poll(() => store.saves.length, { timeout: 10_000 }).toBe(2);

    const rotated = await store.load('g-cancel');
    expect(rotated).not.toBe(consumed);
    // The grant is alive: refreshing presents the rotated token (the first call may join the finishing request).
    for (let attempt = 0; attempt < 2 && (await store.load('g-cancel')) === rotated; attempt++)
      await source.getToken({ forceRefresh: true });
    expect(await store.load('g-cancel')).not.toBe(rotated);
    expect(server.tokenRequests.at(-1)).toBe('refresh_token');
  });

  it('a cancelled code exchange still saves the grant the server issued', async () => {
    const store = new ObservedStore();
    const source = createAirvantageTokenSource(
      { baseUrl: server.baseUrl, ...CLIENT },
      { grantId: 'g-cancel-code', store },
    );
    const { code, pkce } = await server.authorize();
    const held = server.holdNextTokenResponse();
    const caller = new AbortController();
    const wait = source
      .exchangeAuthorizationCode(
        { code, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier },
        { signal: caller.signal },
      )
      .then(
        () => 'token',
        (error: Error) => error.name,
      );
    await held.processed;
    caller.abort(new DOMException('request cancelled', 'AbortError'));
    expect(await wait).toBe('AbortError');
    held.release();
    await expect.poll(() => store.saves.length, { timeout: 10_000 }).toBe(1);
    await source.getToken({ forceRefresh: true });
    expect(store.saves).toHaveLength(2);
  });
});
