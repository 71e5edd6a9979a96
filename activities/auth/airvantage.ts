// AirVantage: authorization code + PKCE (S256) for a web handler, the password grant as a fallback,
// refresh tokens rotated on every use, and the non-standard expire endpoint.
import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { failures } from '../../workflows/failures.ts';
import { encodeBasicCredentials, type BasicEncoding } from './basic.ts';
import type { RefreshTokenStore } from './refresh-token-store.ts';
import {
  callTokenEndpoint,
  grantOf,
  requestToken,
  tokenEndpointErrorDetailsOf,
  type AnomalyRetryDeps,
  type TokenHttpDeps,
  type TokenResponse,
} from './token-endpoint.ts';
import { CachedTokenSource, type AccessToken, type TokenSource, type TokenSourceDescription } from './token-source.ts';

export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** RFC 7636 S256: BASE64URL(SHA256(ASCII(verifier))), no padding. */
export function pkceChallengeOf(verifier: string): string {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier))
    throw new Error('PKCE verifier must be 43–128 characters of [A-Za-z0-9-._~]');
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The name the token-layer issue uses. */
export const pkceChallenge = pkceChallengeOf;

/** 32 random bytes → a 43-character base64url verifier, and its S256 challenge. */
export function createPkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallengeOf(verifier), method: 'S256' };
}

export const createOAuthState = (): string => randomBytes(16).toString('base64url');

export interface AirvantageClient {
  /** Regional host, e.g. https://eu.airvantage.net (registrations and tokens belong to one datacenter). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  basicEncoding?: BasicEncoding;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** The browser redirect of the authorization-code flow; always S256 and a state. */
export function buildAuthorizeUrl(
  options: ({ baseUrl: string } | { host: string }) & {
    clientId: string;
    redirectUri: string;
    codeChallenge: string;
    state: string;
    scope?: string;
  },
): string {
  if (!options.state) throw new Error('buildAuthorizeUrl: state is required');
  if (!options.codeChallenge)
    throw new Error('buildAuthorizeUrl: codeChallenge is required (AirVantage treats a missing method as plain)');
  const base = 'baseUrl' in options ? options.baseUrl : options.host;
  const url = new URL(`${trimSlash(base)}/api/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    code_challenge: options.codeChallenge,
    code_challenge_method: 'S256',
    state: options.state,
    ...(options.scope ? { scope: options.scope } : {}),
  }).toString();
  return url.toString();
}

export interface AirvantageTokenDeps extends TokenHttpDeps, AnomalyRetryDeps {
  now?: () => number;
}

export interface AirvantageTokenSource extends TokenSource {
  /** Finishes the authorization-code flow: saves the grant's refresh token, then caches the access token. */
  exchangeAuthorizationCode(
    input: { code: string; redirectUri: string; codeVerifier: string },
    options?: { signal?: AbortSignal },
  ): Promise<AccessToken>;
  /** The password grant (RFC 9700 forbids it; only for a headless account without 2FA). */
  loginWithPassword(
    input: { username: string; password: string; factor?: string },
    options?: { signal?: AbortSignal },
  ): Promise<AccessToken>;
  /** Kills the current access token and with it the whole grant (decommissioning only). */
  expire(options?: { signal?: AbortSignal }): Promise<'expired' | 'already-expired' | 'no-token'>;
}

// One refresher per grant in this process; a store's withLock extends this across the fleet.
const grantLocks = new Map<string, Promise<unknown>>();
function withProcessLock<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = grantLocks.get(key) ?? Promise.resolve();
  const next = previous.then(run, run);
  const tail = next.catch(() => undefined);
  grantLocks.set(key, tail);
  void tail.then(() => {
    if (grantLocks.get(key) === tail) grantLocks.delete(key);
  });
  return next;
}

export function createAirvantageTokenSource(
  client: AirvantageClient,
  grant: { grantId: string; store: RefreshTokenStore },
  deps: AirvantageTokenDeps = {},
): AirvantageTokenSource {
  for (const [name, value] of Object.entries({
    baseUrl: client.baseUrl,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    grantId: grant.grantId,
  })) {
    if (!value?.trim()) {
      throw failures.configurationInvalid(`AirVantage credential: ${name} is empty`);
    }
  }
  const baseUrl = trimSlash(client.baseUrl);
  const tokenUrl = `${baseUrl}/api/oauth/token`;
  const description: TokenSourceDescription = {
    provider: 'airvantage',
    host: new URL(baseUrl).host,
    clientId: client.clientId,
    method: 'client_secret_basic',
  };
  const lockKey = `${baseUrl}|${client.clientId}|${grant.grantId}`;
  const locked = <T>(run: () => Promise<T>) =>
    withProcessLock(lockKey, () => (grant.store.withLock ? grant.store.withLock(grant.grantId, run) : run()));
  const post = (form: URLSearchParams, signal?: AbortSignal): Promise<TokenResponse> =>
    requestToken(
      {
        url: tokenUrl,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: encodeBasicCredentials(client.clientId, client.clientSecret, client.basicEncoding ?? 'form'),
        },
        body: form.toString(),
        description,
        route: '/api/oauth/token',
      },
      deps,
      signal,
    );

  /** Persist first: a crash between saving and using the access token must not lose the grant. */
  const keep = async (response: TokenResponse) => {
    if (response.refresh_token) await grant.store.save(grant.grantId, response.refresh_token);
    return grantOf(response);
  };

  const dropGrantOn = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (tokenEndpointErrorDetailsOf(error)?.error !== 'invalid_grant') throw error;
      await grant.store.delete(grant.grantId);
      throw failures.tokenEndpointRejected(
        `airvantage grant ${grant.grantId} of client ${client.clientId} at ${description.host} is no longer valid (invalid_grant): the stored refresh token was dropped; a person must authorize again`,
        (error as ApplicationFailure).details ?? [],
      );
    }
  };

  const source = new CachedTokenSource({
    description,
    keyExtras: [grant.grantId],
    // A sent refresh has consumed the stored token: it must finish and its successor be saved.
    finishAbandonedFetches: true,
    ...(deps.now ? { now: deps.now } : {}),
    defaultLifetimeSeconds: 3600,
    fetch: (signal) =>
      locked(async () => {
        const refreshToken = await grant.store.load(grant.grantId);
        if (!refreshToken) {
          throw failures.tokenEndpointRejected(
            `airvantage grant ${grant.grantId} of client ${client.clientId} has no stored refresh token: a person must authorize first`,
          );
        }
        return dropGrantOn(async () =>
          keep(await post(new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }), signal)),
        );
      }),
  });

  /**
   * A code exchange or password login. invalid_grant there condemns only this attempt (a used or
   * expired code, a wrong verifier or password): the stored grant, which the server still honours,
   * is kept. Once sent, the request runs to its end so a new grant is saved; `signal` ends the wait.
   */
  const start = async (
    attempt: 'authorization-code exchange' | 'password login',
    form: URLSearchParams,
    signal?: AbortSignal,
  ) => {
    if (signal?.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
    const sentAt = (deps.now ?? (() => performance.now()))();
    const exchange = locked(async () => {
      try {
        return await keep(await post(form));
      } catch (error) {
        if (tokenEndpointErrorDetailsOf(error)?.error !== 'invalid_grant') throw error;
        throw failures.tokenEndpointRejected(
          `airvantage ${attempt} for grant ${grant.grantId} of client ${client.clientId} at ${description.host} was rejected (invalid_grant: a used or expired code, a wrong verifier, username or password): only this attempt failed; a stored refresh token, if any, is kept`,
          (error as ApplicationFailure).details ?? [],
        );
      }
    }).then((tokenGrant) => source.prime(tokenGrant, sentAt));
    return await untilAborted(exchange, signal);
  };

  return {
    key: source.key,
    getToken: (options) => source.getToken(options),
    invalidate: (token) => source.invalidate(token),
    describe: () => source.describe(),
    exchangeAuthorizationCode: ({ code, redirectUri, codeVerifier }, options = {}) =>
      start(
        'authorization-code exchange',
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: codeVerifier,
        }),
        options.signal,
      ),
    loginWithPassword: ({ username, password, factor }, options = {}) =>
      start(
        'password login',
        new URLSearchParams({ grant_type: 'password', username, password, ...(factor ? { factor } : {}) }),
        options.signal,
      ),
    async expire(options = {}) {
      let token: AccessToken;
      try {
        token = await source.getToken(options);
      } catch (error) {
        if (error instanceof ApplicationFailure && error.nonRetryable) return 'no-token';
        throw error;
      }
      const outcome = await expireToken(client, token.value, deps, options.signal);
      source.invalidate(token);
      await grant.store.delete(grant.grantId);
      return outcome;
    },
  };
}

/** `work`, or the signal's abort reason if it fires first; `work` itself goes on either way. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * GET /api/oauth/expire?access_token=… (not RFC 7009). 401 means already invalid. The URL carries
 * the token, so only the route template is ever logged or named in an error.
 */
export async function expireToken(
  client: Pick<AirvantageClient, 'baseUrl' | 'clientId'>,
  accessToken: string,
  deps: TokenHttpDeps = {},
  signal?: AbortSignal,
): Promise<'expired' | 'already-expired'> {
  const baseUrl = trimSlash(client.baseUrl);
  const url = `${baseUrl}/api/oauth/expire?${new URLSearchParams({ access_token: accessToken }).toString()}`;
  const description: TokenSourceDescription = {
    provider: 'airvantage',
    host: new URL(baseUrl).host,
    clientId: client.clientId,
    method: 'access_token',
  };
  try {
    await callTokenEndpoint({ url, method: 'GET', headers: {}, description, route: '/api/oauth/expire' }, deps, signal);
    return 'expired';
  } catch (error) {
    if (tokenEndpointErrorDetailsOf(error)?.status === 401) return 'already-expired';
    throw error;
  }
}

/** The names the token-layer issue uses. */
export const createAirVantageTokenSource = createAirvantageTokenSource;

/** expireToken with the argument shape: `host` is the regional base URL. */
export function expireAccessToken(
  options: { host: string; token: string | { value: string }; clientId?: string; signal?: AbortSignal },
  deps: TokenHttpDeps = {},
): Promise<'expired' | 'already-expired'> {
  const value = typeof options.token === 'string' ? options.token : options.token.value;
  return expireToken({ baseUrl: options.host, clientId: options.clientId ?? 'n/a' }, value, deps, options.signal);
}
