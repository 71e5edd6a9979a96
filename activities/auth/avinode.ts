// Avinode: client_credentials with exactly the client auth method the secret was created for,
// or a static "Authentication Token" (AVINODE_AUTH=static).
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { ClientAuthMethod } from '../../platform/config.ts';
import { encodeBasicCredentials, type BasicEncoding } from './basic.ts';
import { CLIENT_AUTH_METHODS } from '../../platform/config.ts';
import {
  grantOf,
  requestToken,
  tokenEndpointErrorDetailsOf,
  type AnomalyRetryDeps,
  type TokenEndpointErrorDetails,
  type TokenHttpDeps,
} from './token-endpoint.ts';
import { CachedTokenSource, StaticTokenSource, type TokenSource, type TokenSourceDescription } from './token-source.ts';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AvinodeOAuthCredential {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  method: ClientAuthMethod;
  /** 1–120; omitted = the server's default (30). */
  expiresInMinutes?: number;
  basicEncoding?: BasicEncoding;
  /** client_secret_jwt `aud`; default the token endpoint URL. */
  assertionAudience?: string;
}

export interface AvinodeTokenDeps extends TokenHttpDeps, AnomalyRetryDeps {
  now?: () => number;
  /** Wall clock in ms for assertion iat/exp. */
  wallClock?: () => number;
}

const INVALID_CLIENT_HINT =
  'Check that AVINODE_CLIENT_AUTH_METHOD is the method the secret was created for, that the secret is current (secrets expire; a sandbox reset on Mondays 06:00–08:00 UTC regenerates them) and that the API connection is active (unused connections are deactivated after 60 days). `charterflow doctor` can tell which method the secret works with.';

/** A fresh HS256 client assertion (RFC 7523 §3, OIDC Core §9): never reused. */
export async function createClientAssertion(options: {
  clientId: string;
  clientSecret: string;
  audience: string;
  nowMs?: number;
}): Promise<string> {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.audience)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60)
    .sign(new TextEncoder().encode(options.clientSecret));
}

/** The form body and headers of one token request; exported for the request-shape tests. */
export async function avinodeTokenRequest(
  credential: AvinodeOAuthCredential,
  nowMs?: number,
): Promise<{ headers: Record<string, string>; body: string }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (credential.expiresInMinutes !== undefined) form.set('expiresInMinutes', String(credential.expiresInMinutes));
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  switch (credential.method) {
    case 'client_secret_basic':
      headers.authorization = encodeBasicCredentials(
        credential.clientId,
        credential.clientSecret,
        credential.basicEncoding ?? 'form',
      );
      break;
    case 'client_secret_post':
      form.set('client_id', credential.clientId);
      form.set('client_secret', credential.clientSecret);
      break;
    case 'client_secret_jwt':
      form.set('client_assertion_type', JWT_BEARER_ASSERTION_TYPE);
      form.set(
        'client_assertion',
        await createClientAssertion({
          clientId: credential.clientId,
          clientSecret: credential.clientSecret,
          audience: credential.assertionAudience ?? credential.tokenUrl,
          ...(nowMs !== undefined ? { nowMs } : {}),
        }),
      );
      break;
  }
  return { headers, body: form.toString() };
}

export function describeAvinodeCredential(
  credential: Pick<AvinodeOAuthCredential, 'tokenUrl' | 'clientId' | 'method'>,
): TokenSourceDescription {
  return {
    provider: 'avinode',
    host: new URL(credential.tokenUrl).host,
    clientId: credential.clientId,
    method: credential.method,
  };
}

export function createAvinodeOAuthTokenSource(
  credential: AvinodeOAuthCredential,
  deps: AvinodeTokenDeps = {},
): TokenSource {
  const description = describeAvinodeCredential(credential);
  return new CachedTokenSource({
    description,
    keyExtras: [credential.expiresInMinutes],
    ...(deps.now ? { now: deps.now } : {}),
    defaultLifetimeSeconds: (credential.expiresInMinutes ?? 30) * 60,
    fetch: async (signal) => {
      const { headers, body } = await avinodeTokenRequest(credential, deps.wallClock?.());
      const response = await requestToken(
        {
          url: credential.tokenUrl,
          headers,
          body,
          description,
          route: '/oauth/token',
          invalidClientHint: INVALID_CLIENT_HINT,
        },
        deps,
        signal,
      );
      return grantOf(response);
    },
  });
}

export function createAvinodeStaticTokenSource(bearerToken: string, baseUrl: string): TokenSource {
  return new StaticTokenSource(bearerToken, { provider: 'avinode', host: new URL(baseUrl).host, method: 'static' });
}

export interface StaticTokenFacts {
  kind: 'jwt' | 'opaque';
  alg?: string;
  kid?: string;
  iss?: string;
  avitype?: unknown;
  avitenant?: unknown;
  hasExpiry?: boolean;
  expiresAt?: string;
}

/** Decodes a static Avinode token's header and claims for `doctor` without ever returning the token. */
export function describeStaticToken(token: string): StaticTokenFacts {
  try {
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    return {
      kind: 'jwt',
      ...(header.alg ? { alg: header.alg } : {}),
      ...(header.kid ? { kid: header.kid } : {}),
      ...(claims.iss ? { iss: claims.iss } : {}),
      ...('avitype' in claims ? { avitype: claims.avitype } : {}),
      ...('avitenant' in claims ? { avitenant: claims.avitenant } : {}),
      hasExpiry: claims.exp !== undefined,
      ...(claims.exp !== undefined ? { expiresAt: new Date(claims.exp * 1000).toISOString() } : {}),
    };
  } catch {
    return { kind: 'opaque' };
  }
}

export interface AuthMethodDiagnosis {
  configured: ClientAuthMethod;
  /** The configured method works. */
  ok: boolean;
  /** A method the secret works with when the configured one does not (found by one token request per method). */
  working?: ClientAuthMethod;
  /** Non-secret facts of the configured method's failure. */
  failure?: TokenEndpointErrorDetails;
  explanation: string;
}

/**
 * For `charterflow doctor`: requests a token with the configured method and, if Avinode answers
 * invalid_client, with each other method, to name both the configured and the expected method.
 * Costs up to three token requests; never part of the activity path.
 */
export async function diagnoseAvinodeAuthMethod(
  credential: AvinodeOAuthCredential,
  deps: AvinodeTokenDeps = {},
): Promise<AuthMethodDiagnosis> {
  const attempt = async (method: ClientAuthMethod) => {
    try {
      await createAvinodeOAuthTokenSource({ ...credential, method }, { ...deps, anomalyRetryDelaysMs: [] }).getToken();
      return undefined;
    } catch (error) {
      return { error, details: tokenEndpointErrorDetailsOf(error) };
    }
  };
  const configured = credential.method;
  const first = await attempt(configured);
  if (!first) return { configured, ok: true, explanation: `${configured} works for client ${credential.clientId}.` };
  if (first.details?.error !== 'invalid_client') {
    return {
      configured,
      ok: false,
      ...(first.details ? { failure: first.details } : {}),
      explanation: (first.error as Error).message,
    };
  }
  for (const method of CLIENT_AUTH_METHODS.filter((m) => m !== configured)) {
    if (!(await attempt(method))) {
      return {
        configured,
        ok: false,
        working: method,
        failure: first.details,
        explanation: `The client auth method doesn't match the secret: configured ${configured} (AVINODE_CLIENT_AUTH_METHOD), but the secret of client ${credential.clientId} works with ${method}. Set AVINODE_CLIENT_AUTH_METHOD=${method}.`,
      };
    }
  }
  return {
    configured,
    ok: false,
    failure: first.details,
    explanation: `Avinode rejected client ${credential.clientId} with every client auth method (configured ${configured}): the secret is wrong, expired or revoked, or the API connection is inactive.`,
  };
}
