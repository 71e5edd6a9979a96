// Token endpoints of the other partners (oauth-providers.md §1, §3, §4), each under its own path,
// plus one protected resource per partner so a client can prove its token works.
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { decodeBasicCredentials, randomToken, safeEqual } from './avinode-auth.ts';
import {
  contentTypeIs,
  formBody,
  header,
  isRecord,
  oauthError,
  type Reply,
  type RequestContext,
  type Router,
} from './http-kit.ts';
import type { Stats } from './journal.ts';

export interface PartnerCredentials {
  avionte: { clientId: string; clientSecret: string; apiKey: string; scope: string; expiresInSeconds: number };
  avvail: {
    clientId: string;
    clientSecret: string;
    audience: string;
    scopes: string[];
    expiresInSeconds: number;
    issuer?: string;
  };
  airvantage: {
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    redirectUris: string[];
    accessTokenSeconds: number;
    refreshTokenSeconds: number;
  };
}

export const EMULATOR_PARTNER_DEFAULTS: PartnerCredentials = Object.freeze({
  avionte: {
    clientId: 'avionte-local-client',
    clientSecret: 'avionte-local-secret',
    apiKey: 'avionte-local-gateway-key',
    scope: 'avionte.aero.compasintegrationservice',
    expiresInSeconds: 3600,
  },
  avvail: {
    clientId: 'avvail-local-client',
    clientSecret: 'avvail-local-secret',
    audience: 'https://api.avvail.com/',
    scopes: ['availability:read', 'reservations:create', 'reservations:read'],
    expiresInSeconds: 86_400,
  },
  airvantage: {
    clientId: 'airvantage-local-client',
    clientSecret: 'airvantage-local-secret',
    username: 'ops@charterflow.test',
    password: 'local-airvantage-password',
    redirectUris: ['http://127.0.0.1:8281/oauth/airvantage/callback'],
    accessTokenSeconds: 43_199,
    refreshTokenSeconds: 30 * 86_400,
  },
});

export type PartialPartners = { [K in keyof PartnerCredentials]?: Partial<PartnerCredentials[K]> };

export function mergePartners(overrides: PartialPartners | undefined): PartnerCredentials {
  return {
    avionte: { ...EMULATOR_PARTNER_DEFAULTS.avionte, ...overrides?.avionte },
    avvail: { ...EMULATOR_PARTNER_DEFAULTS.avvail, ...overrides?.avvail },
    airvantage: { ...EMULATOR_PARTNER_DEFAULTS.airvantage, ...overrides?.airvantage },
  };
}

interface OpaqueToken {
  expiresAt: number;
  revoked: boolean;
  grantId?: string;
}

interface Grant {
  id: string;
  subject: string;
  refreshToken: string;
  refreshExpiresAt: number;
  alive: boolean;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  method: 'plain' | 'S256';
  expiresAt: number;
  used: boolean;
}

const bearerOf = (ctx: RequestContext) => /^Bearer\s+(\S+)\s*$/i.exec(header(ctx, 'authorization') ?? '')?.[1];
const invalidTokenReply = (realm: string): Reply => ({
  status: 401,
  headers: { 'www-authenticate': `Bearer realm="${realm}", error="invalid_token"` },
  body: { error: 'invalid_token', error_description: 'The access token is invalid, expired or revoked' },
});
const tokenReply = (body: Record<string, unknown>): Reply => ({
  status: 200,
  headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
  body,
});

export class PartnerServers {
  private readonly avionteTokens = new Map<string, OpaqueToken>();
  private readonly airvantageTokens = new Map<string, OpaqueToken>();
  private readonly grants = new Map<string, Grant>();
  private readonly refreshIndex = new Map<string, string>(); // refresh token → grant id (current and consumed)
  private readonly codes = new Map<string, AuthorizationCode>();
  private signingKeyPromise: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK }> | undefined;

  constructor(
    readonly credentials: PartnerCredentials,
    private readonly origin: () => string,
    private readonly stats: Stats,
  ) {}

  /** Avvail's RS256 key pair, generated on first use (keeps start-up fast for everyone else). */
  private signingKey(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK }> {
    this.signingKeyPromise ??= (async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = await exportJWK(publicKey);
      return { privateKey, publicKey, jwk: { ...jwk, kid: `emulator-${randomToken(6)}`, alg: 'RS256', use: 'sig' } };
    })();
    return this.signingKeyPromise;
  }

  avvailIssuer(): string {
    return this.credentials.avvail.issuer ?? `${this.origin()}/avvail/`;
  }

  reset(): void {
    for (const token of [...this.avionteTokens.values(), ...this.airvantageTokens.values()]) token.revoked = true;
    for (const grant of this.grants.values()) grant.alive = false;
    this.codes.clear();
  }

  revokeAll(): void {
    this.reset();
  }

  register(router: Router): void {
    router.add('POST', '/avionte/authorize/token', (ctx) => this.count('avionte', () => this.avionteToken(ctx)));
    router.add('GET', '/avionte/ping', (ctx) => this.aviontePing(ctx));
    router.add('POST', '/avvail/oauth/token', (ctx) => this.count('avvail', () => this.avvailToken(ctx)));
    router.add('GET', '/avvail/.well-known/jwks.json', async () => ({
      status: 200,
      body: { keys: [(await this.signingKey()).jwk] },
    }));
    router.add('GET', '/avvail/v2/ping', (ctx) => this.avvailPing(ctx));
    router.add('GET', '/airvantage/api/oauth/authorize', (ctx) => this.airvantageAuthorize(ctx));
    router.add('POST', '/airvantage/api/oauth/token', (ctx) =>
      this.count('airvantage', () => this.airvantageToken(ctx)),
    );
    router.add('GET', '/airvantage/api/oauth/expire', (ctx) => this.airvantageExpire(ctx));
    router.add('GET', '/airvantage/api/v1/users/current', (ctx) => this.airvantageMe(ctx));
  }

  private async count(provider: string, run: () => Reply | Promise<Reply>): Promise<Reply> {
    this.stats.tokenRequests.total += 1;
    this.stats.tokenRequests.byProvider[provider] = (this.stats.tokenRequests.byProvider[provider] ?? 0) + 1;
    const reply = await run();
    if (reply.status === 200) this.stats.tokenRequests.issued += 1;
    else this.stats.tokenRequests.rejected += 1;
    return reply;
  }

  // ---- Avionté: form body, client_secret_post, x-api-key gateway key, required scope ----

  private avionteToken(ctx: RequestContext): Reply {
    const config = this.credentials.avionte;
    const apiKey = header(ctx, 'x-api-key');
    if (!apiKey || !safeEqual(apiKey, config.apiKey)) return { status: 403, body: { message: 'Forbidden' } };
    if (!contentTypeIs(ctx, 'application/x-www-form-urlencoded'))
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    const form = formBody(ctx);
    if (form.get('grant_type') !== 'client_credentials')
      return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    const scope = form.get('scope');
    if (!scope) return oauthError(400, 'invalid_request', 'scope is required');
    if (
      !safeEqual(form.get('client_id') ?? '', config.clientId) ||
      !safeEqual(form.get('client_secret') ?? '', config.clientSecret)
    ) {
      return oauthError(400, 'invalid_client', 'Client authentication failed');
    }
    if (!scope.split(' ').every((item) => item === config.scope))
      return oauthError(400, 'invalid_scope', `The requested scope is not allowed`);
    const token = randomToken();
    this.avionteTokens.set(token, { expiresAt: ctx.now + config.expiresInSeconds * 1000, revoked: false });
    return tokenReply({ access_token: token, expires_in: config.expiresInSeconds, token_type: 'Bearer' });
  }

  private aviontePing(ctx: RequestContext): Reply {
    const apiKey = header(ctx, 'x-api-key');
    if (!apiKey || !safeEqual(apiKey, this.credentials.avionte.apiKey))
      return { status: 403, body: { message: 'Forbidden' } };
    const token = this.avionteTokens.get(bearerOf(ctx) ?? '');
    if (!token || token.revoked || token.expiresAt <= ctx.now) return invalidTokenReply('avionte');
    return { status: 200, body: { ok: true, provider: 'avionte' } };
  }

  // ---- Avvail: JSON body, audience, RS256 JWT access tokens, JWKS, granted scope ----

  private async avvailToken(ctx: RequestContext): Promise<Reply> {
    const config = this.credentials.avvail;
    if (!contentTypeIs(ctx, 'application/json'))
      return oauthError(400, 'invalid_request', 'Content-Type must be application/json');
    let body: unknown;
    try {
      body = JSON.parse(ctx.rawBody.toString('utf8'));
    } catch {
      return oauthError(400, 'invalid_request', 'The body must be JSON');
    }
    if (!isRecord(body)) return oauthError(400, 'invalid_request', 'The body must be a JSON object');
    if (body.grant_type !== 'client_credentials')
      return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    if (
      typeof body.client_id !== 'string' ||
      typeof body.client_secret !== 'string' ||
      !safeEqual(body.client_id, config.clientId) ||
      !safeEqual(body.client_secret, config.clientSecret)
    ) {
      return oauthError(401, 'access_denied', 'Unauthorized');
    }
    if (typeof body.audience !== 'string') return oauthError(400, 'invalid_request', 'audience is required');
    if (body.audience !== config.audience)
      return oauthError(403, 'access_denied', `Service not enabled within domain: ${body.audience}`);
    const nowSeconds = Math.floor(ctx.now / 1000);
    const scope = config.scopes.join(' ');
    const key = await this.signingKey();
    const accessToken = await new SignJWT({ scope, azp: config.clientId, gty: 'client-credentials' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.jwk.kid! })
      .setIssuer(this.avvailIssuer())
      .setAudience(config.audience)
      .setSubject(`${config.clientId}@clients`)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + config.expiresInSeconds)
      .setJti(randomToken(12))
      .sign(key.privateKey);
    return tokenReply({ access_token: accessToken, scope, expires_in: config.expiresInSeconds, token_type: 'Bearer' });
  }

  private async avvailPing(ctx: RequestContext): Promise<Reply> {
    const token = bearerOf(ctx);
    if (!token) return invalidTokenReply('avvail');
    try {
      const { payload } = await jwtVerify(token, (await this.signingKey()).publicKey, {
        algorithms: ['RS256'],
        issuer: this.avvailIssuer(),
        audience: this.credentials.avvail.audience,
        currentDate: new Date(ctx.now),
      });
      const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      const required = ctx.url.searchParams.get('requireScope');
      if (required && !granted.includes(required)) {
        return {
          status: 403,
          headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${required}"` },
          body: { error: 'insufficient_scope', error_description: `Requires ${required}` },
        };
      }
      return { status: 200, body: { ok: true, provider: 'avvail', sub: payload.sub, scope: granted } };
    } catch {
      return invalidTokenReply('avvail');
    }
  }

  // ---- AirVantage: authorization code + PKCE (plain by default), password, rotating refresh tokens ----

  private airvantageAuthorize(ctx: RequestContext): Reply {
    const config = this.credentials.airvantage;
    const q = ctx.url.searchParams;
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    if (clientId !== config.clientId) return oauthError(400, 'invalid_client', 'Unknown client_id');
    if (!redirectUri || !config.redirectUris.includes(redirectUri))
      return oauthError(400, 'invalid_request', 'redirect_uri is not registered for this client');
    const target = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) target.searchParams.set('state', state);
    if (q.get('response_type') !== 'code') {
      target.searchParams.set('error', 'unsupported_response_type');
      return { status: 302, headers: { location: target.toString() } };
    }
    const method = q.get('code_challenge_method') ?? 'plain';
    const challenge = q.get('code_challenge') ?? undefined;
    if (method !== 'plain' && method !== 'S256') {
      target.searchParams.set('error', 'invalid_request');
      return { status: 302, headers: { location: target.toString() } };
    }
    // The emulated user is always logged in and approves at once, so scripts need no browser.
    const code = randomToken(24);
    this.codes.set(code, {
      clientId,
      redirectUri,
      ...(challenge ? { challenge } : {}),
      method,
      expiresAt: ctx.now + 60_000,
      used: false,
    });
    target.searchParams.set('code', code);
    return { status: 302, headers: { location: target.toString(), 'cache-control': 'no-store' } };
  }

  private airvantageToken(ctx: RequestContext): Reply {
    const config = this.credentials.airvantage;
    if (!contentTypeIs(ctx, 'application/x-www-form-urlencoded'))
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    const form = formBody(ctx);
    const authorization = header(ctx, 'authorization');
    const basic = authorization ? decodeBasicCredentials(authorization) : undefined;
    if (authorization && form.has('client_secret'))
      return oauthError(400, 'invalid_request', 'More than one client authentication method was used');
    const clientId = basic?.id ?? form.get('client_id') ?? '';
    const clientSecret = basic?.secret ?? form.get('client_secret') ?? '';
    if (!safeEqual(clientId, config.clientId) || !safeEqual(clientSecret, config.clientSecret))
      return oauthError(400, 'invalid_client', 'Client authentication failed');

    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.codes.get(form.get('code') ?? '');
        if (!code || code.used || code.expiresAt <= ctx.now || code.clientId !== clientId)
          return oauthError(400, 'invalid_grant', 'The authorization code is invalid or expired');
        code.used = true;
        if (form.get('redirect_uri') !== code.redirectUri)
          return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
        if (code.challenge !== undefined) {
          const verifier = form.get('code_verifier') ?? '';
          const expected =
            code.method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
          if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || expected !== code.challenge)
            return oauthError(400, 'invalid_grant', 'PKCE verification failed');
        }
        return this.newGrant(config.username, ctx.now);
      }
      case 'password': {
        if (
          !safeEqual(form.get('username') ?? '', config.username) ||
          !safeEqual(form.get('password') ?? '', config.password)
        ) {
          return oauthError(400, 'invalid_grant', 'Bad user credentials');
        }
        return this.newGrant(config.username, ctx.now);
      }
      case 'refresh_token': {
        const presented = form.get('refresh_token') ?? '';
        const grant = this.grants.get(this.refreshIndex.get(presented) ?? '');
        if (!grant || !grant.alive || grant.refreshToken !== presented || grant.refreshExpiresAt <= ctx.now) {
          return oauthError(400, 'invalid_grant', 'The refresh token is invalid, expired or already used');
        }
        return this.issueAirvantage(grant, ctx.now);
      }
      default:
        return oauthError(
          400,
          'unsupported_grant_type',
          'grant_type must be authorization_code, password or refresh_token',
        );
    }
  }

  private newGrant(subject: string, now: number): Reply {
    const grant: Grant = { id: randomToken(9), subject, refreshToken: '', refreshExpiresAt: 0, alive: true };
    this.grants.set(grant.id, grant);
    return this.issueAirvantage(grant, now);
  }

  /** Issues an access token and rotates the grant's refresh token (the old one is consumed). */
  private issueAirvantage(grant: Grant, now: number): Reply {
    const config = this.credentials.airvantage;
    const accessToken = randomToken();
    grant.refreshToken = randomToken();
    grant.refreshExpiresAt = now + config.refreshTokenSeconds * 1000;
    this.refreshIndex.set(grant.refreshToken, grant.id);
    this.airvantageTokens.set(accessToken, {
      expiresAt: now + config.accessTokenSeconds * 1000,
      revoked: false,
      grantId: grant.id,
    });
    return tokenReply({
      access_token: accessToken,
      refresh_token: grant.refreshToken,
      token_type: 'Bearer',
      expires_in: config.accessTokenSeconds,
    });
  }

  private liveAirvantageToken(token: string | null | undefined, now: number): OpaqueToken | undefined {
    const record = token ? this.airvantageTokens.get(token) : undefined;
    if (!record || record.revoked || record.expiresAt <= now) return undefined;
    const grant = record.grantId ? this.grants.get(record.grantId) : undefined;
    return grant && !grant.alive ? undefined : record;
  }

  private airvantageExpire(ctx: RequestContext): Reply {
    const record = this.liveAirvantageToken(ctx.url.searchParams.get('access_token'), ctx.now);
    if (!record) return { status: 401, body: '' };
    record.revoked = true;
    const grant = record.grantId ? this.grants.get(record.grantId) : undefined;
    if (grant) grant.alive = false;
    return { status: 200, body: '' };
  }

  private airvantageMe(ctx: RequestContext): Reply {
    const record = this.liveAirvantageToken(bearerOf(ctx), ctx.now);
    if (!record) return invalidTokenReply('airvantage');
    return { status: 200, body: { email: this.credentials.airvantage.username, provider: 'airvantage' } };
  }
}
