import { inspect } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import type { MockAgent } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { createAvinodeOAuthTokenSource } from '../../../activities/auth/avinode.ts';
import {
  AccessToken,
  CachedTokenSource,
  cacheKeyOf,
  refreshAheadSeconds,
  StaticTokenSource,
  type TokenGrant,
} from '../../../activities/auth/token-source.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { capture, memoryLogger, mockNetworkPerTest } from './support.ts';

const description = { provider: 'test', host: 'auth.example', clientId: 'client-1', method: 'client_secret_post' };

/** A source over a scripted fetcher and a hand-driven monotonic clock. */
function harness(lifetimeSeconds = 1799) {
  let clock = 1_000;
  let issued = 0;
  const queue: Array<() => Promise<TokenGrant>> = [];
  const source = new CachedTokenSource({
    description,
    now: () => clock,
    fetch: () => {
      issued += 1;
      const next = queue.shift();
      return next
        ? next()
        : Promise.resolve({ value: `token-${issued}`, tokenType: 'Bearer', expiresInSeconds: lifetimeSeconds });
    },
  });
  return {
    source,
    advance: (ms: number) => (clock += ms),
    fetches: () => issued,
    nextFetch: (run: () => Promise<TokenGrant>) => queue.push(run),
  };
}

const rateLimited = (retryAfterMs?: number) =>
  ApplicationFailure.create({
    type: FailureType.RateLimited,
    message: '429',
    ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
  });

describe('refreshAheadSeconds (vector 11)', () => {
  it.each([
    [59, 47.2],
    [1799, 1499],
    [3600, 3300],
    [43199, 42899],
    [86400, 86100],
  ])('refreshes a %i s token after %f s', (lifetime, refreshAt) => {
    expect(refreshAheadSeconds(lifetime)).toBeCloseTo(refreshAt, 6);
  });
});

describe('CachedTokenSource', () => {
  it('serves the cached token until the refresh-ahead point, then fetches a new one', async () => {
    const h = harness(1799);
    expect((await h.source.getToken()).value).toBe('token-1');
    h.advance(1_498_999);
    expect((await h.source.getToken()).value).toBe('token-1');
    expect(h.fetches()).toBe(1);
    h.advance(2);
    expect((await h.source.getToken()).value).toBe('token-2');
    expect(h.fetches()).toBe(2);
  });

  it('measures the lifetime from when the request was sent, not when the answer arrived', async () => {
    const h = harness(59);
    let release!: () => void;
    h.nextFetch(
      () =>
        new Promise(
          (resolve) => (release = () => resolve({ value: 'slow', tokenType: 'Bearer', expiresInSeconds: 59 })),
        ),
    );
    const pending = h.source.getToken();
    h.advance(10_000); // the answer takes 10 s
    release();
    expect((await pending).value).toBe('slow');
    h.advance(37_100); // 47.1 s after sending: still inside the refresh-ahead point (47.2 s)
    expect((await h.source.getToken()).value).toBe('slow');
    h.advance(200); // 47.3 s after sending
    expect((await h.source.getToken()).value).toBe('token-2');
  });

  it('makes one request for 100 concurrent calls on a cold cache and gives all the same token (vector 14)', async () => {
    const h = harness();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => h.source.getToken()));
    expect(h.fetches()).toBe(1);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-1']));
  });

  it('caches nothing when the fetch fails, so the next call fetches again (vector 14)', async () => {
    const h = harness();
    h.nextFetch(() => Promise.reject(ApplicationFailure.create({ type: FailureType.Unavailable, message: '503' })));
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => h.source.getToken()));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(h.fetches()).toBe(1);
    expect((await h.source.getToken()).value).toBe('token-2');
    expect(h.fetches()).toBe(2);
  });

  it('keeps token B when a 401 reports the older token A, and fetches nothing (vector 15)', async () => {
    const h = harness();
    const a = await h.source.getToken();
    expect(h.source.invalidate(a)).toBe(true);
    const b = await h.source.getToken();
    expect(b.value).toBe('token-2');
    expect(h.source.invalidate(a)).toBe(false);
    expect(h.source.invalidate(a.value)).toBe(false);
    expect((await h.source.getToken()).value).toBe('token-2');
    expect(h.fetches()).toBe(2);
  });

  it('drops the token that got the 401 and fetches a new one on the next call', async () => {
    const h = harness();
    const a = await h.source.getToken();
    expect(h.source.invalidate(a.value)).toBe(true);
    expect((await h.source.getToken()).value).toBe('token-2');
  });

  it('stops handing a token out 5 s before its deadline even when a refresh fails', async () => {
    const h = harness(59);
    await h.source.getToken();
    h.advance(50_000); // past refresh-ahead, 9 s before the deadline: a failed refresh still serves the old token
    h.nextFetch(() => Promise.reject(ApplicationFailure.create({ type: FailureType.Unavailable, message: '503' })));
    expect((await h.source.getToken()).value).toBe('token-1');
    h.advance(4_500); // 4.5 s before the deadline
    h.nextFetch(() => Promise.reject(ApplicationFailure.create({ type: FailureType.Unavailable, message: '503' })));
    await expect(h.source.getToken()).rejects.toMatchObject({ type: FailureType.Unavailable });
  });

  it('keeps serving a still-valid token during a 429 cooldown without asking again', async () => {
    const h = harness(1799);
    await h.source.getToken();
    h.advance(1_500_000); // refresh due
    h.nextFetch(() => Promise.reject(rateLimited(60_000)));
    expect((await h.source.getToken()).value).toBe('token-1');
    expect(h.fetches()).toBe(2);
    h.advance(30_000); // inside the cooldown: no request
    expect((await h.source.getToken()).value).toBe('token-1');
    expect(h.fetches()).toBe(2);
    h.advance(31_000); // cooldown over
    expect((await h.source.getToken()).value).toBe('token-3');
  });

  it('throws a retryable RateLimited with the remaining cooldown when no valid token exists', async () => {
    const h = harness();
    h.nextFetch(() => Promise.reject(rateLimited(17_000)));
    await expect(h.source.getToken()).rejects.toMatchObject({ type: FailureType.RateLimited });
    h.advance(7_000);
    const failure = await h.source.getToken().catch((e: unknown) => e as ApplicationFailure);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.RateLimited, nonRetryable: false, nextRetryDelay: 10_000 });
    expect(h.fetches()).toBe(1);
  });

  it('uses a 30 s cooldown when the 429 carried no usable Retry-After', async () => {
    const h = harness();
    h.nextFetch(() => Promise.reject(rateLimited()));
    await expect(h.source.getToken()).rejects.toMatchObject({ type: FailureType.RateLimited });
    await expect(h.source.getToken()).rejects.toMatchObject({ nextRetryDelay: 30_000 });
    h.advance(30_001);
    expect((await h.source.getToken()).value).toBe('token-2');
  });

  it('builds its cache key from provider, host, client id, method, scope and extras', () => {
    expect(cacheKeyOf({ ...description, scope: 's1' }, [30])).toBe(
      'test|auth.example|client-1|client_secret_post|s1|30',
    );
    expect(cacheKeyOf({ ...description, scope: 's1' }, [30])).not.toBe(
      cacheKeyOf({ ...description, scope: 's1' }, [60]),
    );
    expect(cacheKeyOf(description)).not.toBe(cacheKeyOf({ ...description, method: 'client_secret_basic' }));
  });
});

describe('AccessToken', () => {
  const token = new AccessToken({ value: 'very-secret-access-token', tokenType: 'Bearer', expiresInSeconds: 60 });

  it('does not leak its value through JSON.stringify, util.inspect, String() or spreading', () => {
    for (const text of [
      JSON.stringify(token),
      JSON.stringify({ token }),
      inspect(token),
      inspect({ token }, { depth: 5 }),
      String(token),
      `${token}`,
      JSON.stringify({ ...token }),
    ]) {
      expect(text).not.toContain('very-secret-access-token');
    }
    expect(Object.keys(token)).not.toContain('value');
  });

  it('still gives the value to the code that builds the Authorization header', () => {
    expect(token.value).toBe('very-secret-access-token');
  });
});

describe('StaticTokenSource', () => {
  it('always returns the configured bearer and refuses to invalidate it', async () => {
    const source = new StaticTokenSource('static-bearer', { provider: 'avinode', host: 'h', method: 'static' });
    const token = await source.getToken();
    expect(token.value).toBe('static-bearer');
    expect(source.invalidate(token)).toBe(false);
    expect((await source.getToken()).value).toBe('static-bearer');
  });
});

describe('CachedTokenSource single flight and cancellation', () => {
  const TOKEN_URL = 'https://sandbox.avinode.test/api/oauth/token';
  const credential = {
    tokenUrl: TOKEN_URL,
    clientId: 'client-1',
    clientSecret: 'client-secret-value',
    method: 'client_secret_post',
  } as const;
  let agent: MockAgent;
  mockNetworkPerTest((fresh) => (agent = fresh));

  /**
   * A token endpoint that holds its answer until the test releases it, counting the requests that
   * reached it: cancellations land mid-request by construction, not by a race of timers.
   */
  function heldTokenEndpoint(): { requests: () => number; release: () => void } {
    let requests = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    agent
      .get('https://sandbox.avinode.test')
      .intercept({ path: '/api/oauth/token', method: 'POST' })
      .reply(
        200,
        () => {
          requests += 1;
          const token = `shared-token-${requests}`;
          return released.then(() => JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 1799 }));
        },
        { headers: { 'content-type': 'application/json' } },
      );
    return { requests: () => requests, release };
  }

  it('gives waiter B the token when waiter A is cancelled mid-request, with one token request', async () => {
    const endpoint = heldTokenEndpoint();
    const source = createAvinodeOAuthTokenSource(credential, { dispatcher: agent });
    const a = new AbortController();
    const b = new AbortController();
    const first = source.getToken({ signal: a.signal });
    const second = source.getToken({ signal: b.signal });
    await vi.waitFor(() => expect(endpoint.requests()).toBe(1));
    a.abort(new Error('activity A cancelled'));
    await expect(first).rejects.toThrow('activity A cancelled');
    endpoint.release();
    expect((await second).value).toBe('shared-token-1');
    expect(endpoint.requests()).toBe(1);
    expect((await source.getToken()).value).toBe('shared-token-1');
  });

  it('aborts the shared request once every waiter has been cancelled, and the next caller starts a fresh one', async () => {
    const { logger, output } = memoryLogger();
    const endpoint = heldTokenEndpoint();
    const source = createAvinodeOAuthTokenSource(credential, { dispatcher: agent, logger });
    const a = new AbortController();
    const b = new AbortController();
    const first = source.getToken({ signal: a.signal });
    const second = source.getToken({ signal: b.signal });
    await vi.waitFor(() => expect(endpoint.requests()).toBe(1));
    a.abort(new Error('A cancelled'));
    await expect(first).rejects.toThrow('A cancelled');
    b.abort(new Error('B cancelled'));
    await expect(second).rejects.toThrow('B cancelled');
    // MockAgent surfaces an abort when its reply is handed over; a real socket is torn down at once.
    endpoint.release();
    const requestLines = () =>
      output()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'token request failed' || line.msg === 'token request');
    await vi.waitFor(() =>
      expect(requestLines()).toMatchObject([{ msg: 'token request failed', network: 'AbortError' }]),
    );
    expect(output()).not.toContain('client-secret-value');

    capture(agent, 'https://sandbox.avinode.test', '/api/oauth/token', {
      status: 200,
      json: { access_token: 'fresh-token', token_type: 'Bearer', expires_in: 1799 },
    });
    expect((await source.getToken()).value).toBe('fresh-token');
  });

  it('keeps the request alive while a caller without a signal still waits', async () => {
    let seen: AbortSignal | undefined;
    let release!: (grant: TokenGrant) => void;
    const source = new CachedTokenSource({
      description,
      fetch: (signal) => {
        seen = signal;
        return new Promise((resolve) => (release = resolve));
      },
    });
    const a = new AbortController();
    const cancellable = source.getToken({ signal: a.signal });
    const patient = source.getToken();
    a.abort(new Error('A cancelled'));
    await expect(cancellable).rejects.toThrow('A cancelled');
    expect(seen?.aborted).toBe(false);
    release({ value: 'kept', tokenType: 'Bearer', expiresInSeconds: 60 });
    expect((await patient).value).toBe('kept');
  });

  it('with finishAbandonedFetches, lets a request every waiter left run to its end, caches its token and lets the next caller join it', async () => {
    let seen: AbortSignal | undefined;
    let fetches = 0;
    let release!: (grant: TokenGrant) => void;
    const source = new CachedTokenSource({
      description,
      finishAbandonedFetches: true,
      fetch: (signal) => {
        seen = signal;
        fetches += 1;
        return new Promise((resolve) => (release = resolve));
      },
    });
    const a = new AbortController();
    const b = new AbortController();
    const waits = [source.getToken({ signal: a.signal }), source.getToken({ signal: b.signal })];
    a.abort(new Error('A cancelled'));
    b.abort(new Error('B cancelled'));
    await expect(waits[0]).rejects.toThrow('A cancelled');
    await expect(waits[1]).rejects.toThrow('B cancelled');
    expect(seen?.aborted).toBe(false);
    const late = source.getToken();
    release({ value: 'rotated', tokenType: 'Bearer', expiresInSeconds: 600 });
    expect((await late).value).toBe('rotated');
    expect((await source.getToken()).value).toBe('rotated');
    expect(fetches).toBe(1);
  });

  it('rejects at once, without a request, for a caller whose signal is already aborted', async () => {
    let fetches = 0;
    const source = new CachedTokenSource({
      description,
      fetch: async () => ((fetches += 1), { value: 'x', tokenType: 'Bearer' }),
    });
    const a = new AbortController();
    a.abort(new Error('already cancelled'));
    await expect(source.getToken({ signal: a.signal })).rejects.toThrow('already cancelled');
    expect(fetches).toBe(0);
  });

  it('bounds the shared request by its own timeout: every waiter gets a retryable Unavailable and the fetch is aborted', async () => {
    let seen: AbortSignal | undefined;
    const source = new CachedTokenSource({
      description,
      fetchTimeoutMs: 50,
      fetch: (signal) => {
        seen = signal;
        return new Promise(() => undefined); // never answers, ignores the signal
      },
    });
    const results = await Promise.allSettled([
      source.getToken(),
      source.getToken({ signal: new AbortController().signal }),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        type: FailureType.Unavailable,
        nonRetryable: false,
      });
      expect(String((result as PromiseRejectedResult).reason.message)).toContain('did not answer within 50 ms');
    }
    expect(seen?.aborted).toBe(true);
  });
});
