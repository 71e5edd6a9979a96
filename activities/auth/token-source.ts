// A cached access token per credential: refreshed ahead of expiry on a monotonic clock, one
// request in flight, compare-and-invalidate, 429 cooldown while a still-valid token is served.
import { inspect } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../workflows/contract.ts';

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
    return { tokenType: this.tokenType, expiresInSeconds: this.expiresInSeconds, scope: this.scope, value: '[redacted]' };
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
  getToken(options?: { signal?: AbortSignal; forceRefresh?: boolean }): Promise<AccessToken>;
  /** Drops the cached token only if it is still `token` (compare-and-invalidate); true if dropped. */
  invalidate(token: AccessToken | { value: string } | string): boolean;
  describe(): TokenSourceDescription;
}

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
}

const STOP_SERVING_BEFORE_DEADLINE_MS = 5_000;

/** Refresh when less than min(300 s, 20 % of the lifetime) remains (oauth-providers.md §0). */
export function refreshAheadSeconds(lifetimeSeconds: number): number {
  return lifetimeSeconds - Math.min(300, 0.2 * lifetimeSeconds);
}

export function cacheKeyOf(description: TokenSourceDescription, extras: readonly (string | number | undefined)[] = []): string {
  return [description.provider, description.host, description.clientId ?? '', description.method, description.scope ?? description.audience ?? '', ...extras.map((e) => e ?? '')].join('|');
}

interface Cached {
  token: AccessToken;
  refreshAt: number;
  hardDeadline: number;
}

export class CachedTokenSource implements TokenSource {
  readonly key: string;
  private cached: Cached | undefined;
  private inFlight: Promise<AccessToken> | undefined;
  private cooldownUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: CachedTokenSourceOptions) {
    this.key = cacheKeyOf(options.description, options.keyExtras);
    this.now = options.now ?? (() => performance.now());
  }

  describe(): TokenSourceDescription {
    return { ...this.options.description };
  }

  async getToken({ signal, forceRefresh = false }: { signal?: AbortSignal; forceRefresh?: boolean } = {}): Promise<AccessToken> {
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
    this.inFlight ??= this.fetchAndCache(signal).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
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

  private cooldownFailure(remainingMs: number): ApplicationFailure {
    const { provider, host } = this.options.description;
    return ApplicationFailure.create({
      type: FailureType.RateLimited,
      message: `${provider} token endpoint at ${host} is rate limiting us; cooling down for ${Math.ceil(remainingMs / 1000)} s`,
      nextRetryDelay: Math.ceil(remainingMs),
      details: [{ provider, host, status: 429 }],
    });
  }
}

/** A fixed bearer (Avinode's static "Authentication Token"): never cached, refreshed or invalidated. */
export class StaticTokenSource implements TokenSource {
  readonly key: string;
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

function isRetryable(error: unknown): boolean {
  return !(error instanceof ApplicationFailure && error.nonRetryable);
}

function toMs(duration: unknown): number | undefined {
  if (typeof duration === 'number') return duration;
  if (typeof duration === 'string' && /^\d+$/.test(duration)) return Number(duration);
  return undefined;
}
