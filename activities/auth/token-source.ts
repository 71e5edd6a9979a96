// A cached access token per credential: refreshed ahead of expiry on a monotonic clock, one
// request in flight, compare-and-invalidate, 429 cooldown while a still-valid token is served.
// The one request runs on its own AbortController and timeout, never on a caller's signal: a
// cancelled activity drops out of the wait alone, and the request is aborted only when nobody waits
// (never, for rotating refresh tokens: see finishAbandonedFetches).
import { inspect } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../workflows/contract.ts';
import { failures } from '../../workflows/failures.ts';

export interface TokenGrant {
  value: string;
  tokenType: string;
  /** Absent for static tokens, which never expire on our side. */
  expiresInSeconds?: number;
  scope?: string;
}

/** An access token whose value never leaks through JSON.stringify, util.inspect or String(). */
export class AccessToken {
  declare readonly value: string;
  readonly tokenType: string;
  readonly expiresInSeconds?: number;
  readonly scope?: string;

  constructor(grant: TokenGrant) {
    Object.defineProperty(this, 'value', { value: grant.value, enumerable: false });
    this.tokenType = grant.tokenType;
    if (grant.expiresInSeconds !== undefined) this.expiresInSeconds = grant.expiresInSeconds;
    if (grant.scope !== undefined) this.scope = grant.scope;
  }

  toJSON() {
    return {
      tokenType: this.tokenType,
      expiresInSeconds: this.expiresInSeconds,
      scope: this.scope,
      value: '[redacted]',
    };
  }
  toString() {
    return '[redacted access token]';
  }
  [inspect.custom]() {
    return `AccessToken { tokenType: ${this.tokenType}, expiresInSeconds: ${this.expiresInSeconds}, value: [redacted] }`;
  }
}

/** Non-secret facts about a credential, for logs, errors and `charterflow doctor`. */
export interface TokenSourceDescription {
  provider: string;
  host: string;
  clientId?: string;
  method: string;
  scope?: string;
  audience?: string;
}

export interface TokenSource {
  readonly key: string;
  /** False for a token that cannot be replaced (static bearer): a 401 is then final, no replay. */
  readonly refreshable?: boolean;
  getToken(options?: { signal?: AbortSignal; forceRefresh?: boolean }): Promise<AccessToken>;
  /** Drops the cached token only if it is still `token` (compare-and-invalidate); true if dropped. */
  invalidate(token: AccessToken | { value: string } | string): boolean;
  describe(): TokenSourceDescription;
}

/** Gets a grant; `signal` is the shared request's own (aborted on its timeout or when every waiter left). */
export type TokenFetcher = (signal: AbortSignal | undefined) => Promise<TokenGrant>;

export interface CachedTokenSourceOptions {
  description: TokenSourceDescription;
  /** Extra parts of the cache key (e.g. Avinode's expiresInMinutes). */
  keyExtras?: readonly (string | number | undefined)[];
  fetch: TokenFetcher;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
  /** Lifetime assumed when the server sends no expires_in (RFC 6749 §5.1 makes it optional). */
  defaultLifetimeSeconds?: number;
  /** Cooldown after a 429 without a usable Retry-After. */
  defaultCooldownMs?: number;
  /** Upper bound of one shared token request, whoever waits for it; default 30 s. */
  fetchTimeoutMs?: number;
  /**
   * For rotating refresh tokens: a request once sent runs to its end (and its result is saved and
   * cached) even when every waiter has left or the wait timed out; the fetcher's signal never aborts.
   * The server rotates before it answers, so an aborted refresh leaves only a consumed token behind.
   */
  finishAbandonedFetches?: boolean;
}

export const DEFAULT_TOKEN_FETCH_TIMEOUT_MS = 30_000;

const STOP_SERVING_BEFORE_DEADLINE_MS = 5_000;

/** Refresh when less than min(300 s, 20 % of the lifetime) remains (oauth-providers.md §0). */
export function refreshAheadSeconds(lifetimeSeconds: number): number {
  return lifetimeSeconds - Math.min(300, 0.2 * lifetimeSeconds);
}

export function cacheKeyOf(
  description: TokenSourceDescription,
  extras: readonly (string | number | undefined)[] = [],
): string {
  return [
    description.provider,
    description.host,
    description.clientId ?? '',
    description.method,
    description.scope ?? description.audience ?? '',
    ...extras.map((e) => e ?? ''),
  ].join('|');
}

interface Cached {
  token: AccessToken;
  refreshAt: number;
  hardDeadline: number;
}

/** The one token request in flight and how many callers still wait for it. */
interface Flight {
  promise: Promise<AccessToken>;
  controller: AbortController;
  waiters: number;
}

export class CachedTokenSource implements TokenSource {
  readonly key: string;
  private cached: Cached | undefined;
  private inFlight: Flight | undefined;
  private cooldownUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: CachedTokenSourceOptions) {
    this.key = cacheKeyOf(options.description, options.keyExtras);
    this.now = options.now ?? (() => performance.now());
  }

  describe(): TokenSourceDescription {
    return { ...this.options.description };
  }

  async getToken({
    signal,
    forceRefresh = false,
  }: { signal?: AbortSignal; forceRefresh?: boolean } = {}): Promise<AccessToken> {
    const now = this.now();
    const cached = this.cached;
    const usable = cached && now < cached.hardDeadline ? cached : undefined;
    if (usable && !forceRefresh && now < usable.refreshAt) return usable.token;
    if (now < this.cooldownUntil) {
      if (usable && !forceRefresh) return usable.token;
      throw this.cooldownFailure(this.cooldownUntil - now);
    }
    try {
      return await this.refresh(signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      // A transient refresh failure must not take away a token that still works.
      if (usable && !forceRefresh && isRetryable(error) && this.now() < usable.hardDeadline) return usable.token;
      throw error;
    }
  }

  invalidate(token: AccessToken | { value: string } | string): boolean {
    const value = typeof token === 'string' ? token : token.value;
    if (this.cached?.token.value !== value) return false;
    this.cached = undefined;
    return true;
  }

  private refresh(signal: AbortSignal | undefined): Promise<AccessToken> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const flight = (this.inFlight ??= this.startFlight());
    return this.wait(flight, signal);
  }

  private startFlight(): Flight {
    const controller = new AbortController();
    const timeoutMs = this.options.fetchTimeoutMs ?? DEFAULT_TOKEN_FETCH_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Bounds the wait itself too, so a fetcher that ignores its signal cannot hold waiters forever.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const failure = this.timeoutFailure(timeoutMs);
        if (!this.options.finishAbandonedFetches) controller.abort(failure);
        reject(failure);
      }, timeoutMs);
      timer.unref?.();
    });
    const flight: Flight = { controller, waiters: 0, promise: undefined as unknown as Promise<AccessToken> };
    flight.promise = Promise.race([this.fetchAndCache(controller.signal), timeout]).finally(() => {
      clearTimeout(timer);
      if (this.inFlight === flight) this.inFlight = undefined;
    });
    // An abandoned flight rejects with nobody listening; waiters attach their own handlers.
    flight.promise.catch(() => undefined);
    return flight;
  }

  /** One caller's wait: its own abort rejects only itself; the last one to leave aborts the request. */
  private wait(flight: Flight, signal: AbortSignal | undefined): Promise<AccessToken> {
    flight.waiters += 1;
    if (!signal) return flight.promise; // a caller that cannot cancel keeps the request alive
    return new Promise<AccessToken>((resolve, reject) => {
      let done = false;
      const leave = () => {
        if (done) return false;
        done = true;
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        flight.waiters -= 1;
        reject(abortReason(signal));
        if (flight.waiters === 0 && !this.options.finishAbandonedFetches) this.abandon(flight);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (token) => leave() && resolve(token),
        (error: unknown) => leave() && reject(error),
      );
    });
  }

  private abandon(flight: Flight): void {
    if (this.inFlight === flight) this.inFlight = undefined;
    flight.controller.abort(new DOMException('every caller waiting for this token request has gone', 'AbortError'));
  }

  /** Caches a token obtained elsewhere (e.g. an authorization-code exchange); `sentAt` on this source's clock. */
  prime(grant: TokenGrant, sentAt: number = this.now()): AccessToken {
    return this.store(grant, sentAt);
  }

  private store(grant: TokenGrant, sentAt: number): AccessToken {
    const token = new AccessToken(grant);
    const lifetime = grant.expiresInSeconds ?? this.options.defaultLifetimeSeconds ?? 300;
    this.cached = {
      token,
      refreshAt: sentAt + refreshAheadSeconds(lifetime) * 1000,
      hardDeadline: sentAt + lifetime * 1000 - STOP_SERVING_BEFORE_DEADLINE_MS,
    };
    return token;
  }

  private async fetchAndCache(signal: AbortSignal | undefined): Promise<AccessToken> {
    const sentAt = this.now();
    let grant: TokenGrant;
    try {
      grant = await this.options.fetch(signal);
    } catch (error) {
      if (error instanceof ApplicationFailure && error.type === FailureType.RateLimited) {
        const delay = toMs(error.nextRetryDelay) ?? this.options.defaultCooldownMs ?? 30_000;
        this.cooldownUntil = this.now() + delay;
      }
      throw error;
    }
    return this.store(grant, sentAt);
  }

  private timeoutFailure(timeoutMs: number): ApplicationFailure {
    const { provider, host } = this.options.description;
    return failures.unavailable(`${provider} token endpoint at ${host} did not answer within ${timeoutMs} ms`, {
      provider,
      host,
      timeoutMs,
    });
  }

  private cooldownFailure(remainingMs: number): ApplicationFailure {
    const { provider, host } = this.options.description;
    return failures.rateLimited(
      `${provider} token endpoint at ${host} is rate limiting us; cooling down for ${Math.ceil(remainingMs / 1000)} s`,
      Math.ceil(remainingMs),
      {
        provider,
        host,
        status: 429,
      },
    );
  }
}

/** A fixed bearer (Avinode's static "Authentication Token"): never cached, refreshed or invalidated. */
export class StaticTokenSource implements TokenSource {
  readonly key: string;
  readonly refreshable = false;
  private readonly token: AccessToken;

  constructor(
    value: string,
    private readonly description: TokenSourceDescription,
  ) {
    this.token = new AccessToken({ value, tokenType: 'Bearer' });
    this.key = cacheKeyOf(description);
  }

  async getToken(): Promise<AccessToken> {
    return this.token;
  }

  /** A rejected static token cannot be refreshed: the API call's 401 then stands (AuthRejected). */
  invalidate(_token?: AccessToken | { value: string } | string): boolean {
    return false;
  }

  describe(): TokenSourceDescription {
    return { ...this.description };
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function isRetryable(error: unknown): boolean {
  return !(error instanceof ApplicationFailure && error.nonRetryable);
}

function toMs(duration: unknown): number | undefined {
  if (typeof duration === 'number') return duration;
  if (typeof duration === 'string' && /^\d+$/.test(duration)) return Number(duration);
  return undefined;
}
