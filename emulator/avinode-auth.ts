// Avinode's OAuth token endpoint (three client auth methods) and the per-call header checks.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { jwtVerify } from 'jose';
import { contentTypeIs, fail, formBody, header, oauthError, type Reply, type RequestContext } from './http-kit.ts';
import type { Stats } from './journal.ts';

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt';
export const AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'];

export interface EmulatorCredentials {
  clientId: string;
  clientSecret: string;
  authMethod: AuthMethod;
  apiToken: string;
  staticBearerToken?: string;
  /** false: the company has no OAuth, the token endpoint answers 401 unauthorized_client. Default true. */
  oauthEnabled?: boolean;
}

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INVALID_CLIENT = 'The provided client credentials are invalid.';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic; undo that after base64. */
export function decodeBasicCredentials(authorization: string): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

interface IssuedToken {
  expiresAt: number;
  revoked: boolean;
}

export class AvinodeAuth {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly usedJtis = new Map<string, number>();
  private tokenRequestTimes: number[] = [];

  constructor(
    public credentials: EmulatorCredentials,
    private readonly settings: {
      tokenRequestsPerMinute: number;
      clockSkewToleranceMs: number;
      /** Accepted `aud` values for client_secret_jwt (the token endpoint URL, and the origin). */
      audiences: () => string[];
    },
    private readonly stats: Stats,
  ) {}

  revokeAll(): number {
    let count = 0;
    for (const token of this.tokens.values()) {
      if (!token.revoked) count += 1;
      token.revoked = true;
    }
    return count;
  }

  revoke(token: string): boolean {
    const record = this.tokens.get(token);
    if (!record || record.revoked) return false;
    record.revoked = true;
    return true;
  }

  activeTokenCount(now: number): number {
    let count = 0;
    for (const token of this.tokens.values()) if (!token.revoked && token.expiresAt > now) count += 1;
    return count;
  }

  async tokenEndpoint(ctx: RequestContext): Promise<Reply> {
    const reply = await this.issue(ctx);
    if (reply.status === 200) this.stats.tokenRequests.issued += 1;
    else if (reply.status === 429) this.stats.tokenRequests.rateLimited += 1;
    else this.stats.tokenRequests.rejected += 1;
    return reply;
  }

  private async issue(ctx: RequestContext): Promise<Reply> {
    const limited = this.rateLimit(ctx.now);
    if (limited) return limited;
    if (!contentTypeIs(ctx, 'application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const form = formBody(ctx);
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials')
      return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    const minutesRaw = form.get('expiresInMinutes');
    let minutes = 30;
    if (minutesRaw !== null) {
      minutes = /^\d{1,3}$/.test(minutesRaw) ? Number(minutesRaw) : NaN;
      if (!(minutes >= 1 && minutes <= 120))
        return oauthError(400, 'invalid_request', 'expiresInMinutes must be an integer from 1 to 120');
    }

    const authorization = header(ctx, 'authorization');
    const presented: AuthMethod[] = [];
    if (authorization !== undefined) presented.push('client_secret_basic');
    if (form.has('client_assertion') || form.has('client_assertion_type')) presented.push('client_secret_jwt');
    if (form.has('client_secret')) presented.push('client_secret_post');
    if (presented.length > 1)
      return oauthError(400, 'invalid_request', 'More than one client authentication method was used');
    const tried: AuthMethod = presented[0] ?? 'client_secret_post';

    const accepted = tried === this.credentials.authMethod && (await this.verify(tried, authorization, form, ctx.now));
    if (!accepted) {
      return oauthError(
        401,
        'invalid_client',
        INVALID_CLIENT,
        {
          errorDetails: [{ code: `invalid_${tried}`, description: INVALID_CLIENT }],
        },
        tried === 'client_secret_basic' ? { 'www-authenticate': 'Basic realm="avinode"' } : undefined,
      );
    }

    if (this.credentials.oauthEnabled === false) {
      return oauthError(401, 'unauthorized_client', 'OAuth is not enabled for this company or client');
    }
    const lifetimeSeconds = Math.min(minutes * 60, ctx.tokenLifetimeCapSeconds ?? Infinity);
    const token = randomToken();
    this.forgetOldTokens(ctx.now);
    this.tokens.set(token, { expiresAt: ctx.now + lifetimeSeconds * 1000, revoked: false });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      body: { access_token: token, expires_in: Math.max(1, lifetimeSeconds - 1), token_type: 'Bearer' },
    };
  }

  /** Bounds memory: tokens dead for a day are forgotten (they then count as unknown, not expired). */
  private forgetOldTokens(now: number): void {
    if (this.tokens.size < 10_000) return;
    for (const [token, record] of this.tokens) if (record.expiresAt < now - 86_400_000) this.tokens.delete(token);
  }

  private rateLimit(now: number): Reply | undefined {
    this.tokenRequestTimes = this.tokenRequestTimes.filter((at) => at > now - 60_000 && at <= now);
    if (this.tokenRequestTimes.length >= this.settings.tokenRequestsPerMinute) {
      const oldest = this.tokenRequestTimes[0] ?? now;
      const retryAfter = Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
      return {
        status: 429,
        headers: { 'retry-after': String(retryAfter), 'cache-control': 'no-store' },
        body: { error_description: 'Too many token requests' },
      };
    }
    this.tokenRequestTimes.push(now);
    return undefined;
  }

  private async verify(
    method: AuthMethod,
    authorization: string | undefined,
    form: URLSearchParams,
    now: number,
  ): Promise<boolean> {
    const { clientId, clientSecret } = this.credentials;
    if (method === 'client_secret_basic') {
      const decoded = authorization ? decodeBasicCredentials(authorization) : undefined;
      return decoded !== undefined && safeEqual(decoded.id, clientId) && safeEqual(decoded.secret, clientSecret);
    }
    if (method === 'client_secret_post') {
      return (
        safeEqual(form.get('client_id') ?? '', clientId) && safeEqual(form.get('client_secret') ?? '', clientSecret)
      );
    }
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE || !assertion) return false;
    const bodyClientId = form.get('client_id');
    if (bodyClientId !== null && bodyClientId !== clientId) return false;
    try {
      const { payload } = await jwtVerify(assertion, new TextEncoder().encode(clientSecret), {
        algorithms: ['HS256'],
        issuer: clientId,
        subject: clientId,
        audience: this.settings.audiences(),
        currentDate: new Date(now),
        requiredClaims: ['exp', 'jti'],
        clockTolerance: 5,
      });
      const jti = payload.jti!;
      for (const [seen, until] of this.usedJtis) if (until < now) this.usedJtis.delete(seen);
      if (this.usedJtis.has(jti)) return false;
      this.usedJtis.set(jti, (payload.exp ?? 0) * 1000 + 10_000);
      return true;
    } catch {
      return false;
    }
  }

  /** The checks every `/api` call passes before its handler runs; undefined = allowed. */
  checkApiRequest(ctx: RequestContext): Reply | undefined {
    const authorization = header(ctx, 'authorization');
    const bearer = authorization !== undefined ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
    const invalidAuthorization = fail(
      401,
      'ERR_INPUT_GENERIC_INVALID',
      'Invalid value for header: Authorization',
      undefined,
      {
        'www-authenticate': 'Bearer realm="avinode"',
      },
    );
    if (!bearer) return invalidAuthorization;
    const isStatic =
      this.credentials.staticBearerToken !== undefined && safeEqual(bearer, this.credentials.staticBearerToken);
    if (!isStatic) {
      const issued = this.tokens.get(bearer);
      if (!issued) return invalidAuthorization;
      if (issued.revoked || issued.expiresAt <= ctx.now) {
        const why = issued.revoked ? 'The access token was revoked' : 'The access token expired';
        return fail(401, 'invalid_token', why, undefined, {
          'www-authenticate': `Bearer realm="avinode", error="invalid_token", error_description="${why}"`,
        });
      }
    }
    const apiToken = header(ctx, 'x-avinode-apitoken');
    if (apiToken === undefined || apiToken === '')
      return fail(400, 'ERR_INPUT_MISSING', "The header 'X-Avinode-ApiToken' is required");
    if (!safeEqual(apiToken, this.credentials.apiToken))
      return fail(401, 'ERR_INPUT_GENERIC_INVALID', 'Invalid value for header: X-Avinode-ApiToken');
    const sent = header(ctx, 'x-avinode-senttimestamp');
    if (sent === undefined || sent === '')
      return fail(400, 'ERR_INPUT_MISSING', "The header 'X-Avinode-SentTimestamp' is required");
    const sentAt = Date.parse(sent);
    if (!ISO_UTC.test(sent) || Number.isNaN(sentAt)) {
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'Invalid value for header: X-Avinode-SentTimestamp (ISO-8601 UTC expected, e.g. 2023-01-01T09:30:15.000Z)',
      );
    }
    if (Math.abs(sentAt - ctx.now) > this.settings.clockSkewToleranceMs) {
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'The header X-Avinode-SentTimestamp is outside the accepted clock skew; use an NTP-synced UTC clock',
      );
    }
    return undefined;
  }
}
