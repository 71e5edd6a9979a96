// Avvail (Guest Book API): client_credentials with a JSON body and `audience`; the RS256 access
// token is verified against the JWKS and its granted `scope` checked before anyone uses it.
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { fetch as undiciFetch } from 'undici';
import { failures } from '../../workflows/failures.ts';
import { grantOf, requestToken, type AnomalyRetryDeps, type TokenHttpDeps } from './token-endpoint.ts';
import { CachedTokenSource, type TokenSource, type TokenSourceDescription } from './token-source.ts';

export const AVVAIL_AUDIENCE = 'https://api.avvail.com/';

export interface AvvailCredential {
  /** e.g. https://auth.avvail.com/oauth/token (sandbox: https://sandbox.auth.avvail.com/oauth/token) */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** Scopes the activity needs; the credential's granted scope must contain each. */
  requiredScopes?: readonly string[];
  /** Default: the token URL's `oauth/token` replaced by `.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Expected `iss`, compared exactly; default the token URL without `oauth/token` (https://auth.avvail.com/). */
  issuer?: string;
}

export interface AvvailTokenDeps extends TokenHttpDeps, AnomalyRetryDeps {
  now?: () => number;
  /** Key resolver override (tests); default createRemoteJWKSet over the configured dispatcher. */
  jwks?: JWTVerifyGetKey;
  /** Wall clock for the JWT time checks (ms). */
  wallClock?: () => number;
}

const stripTokenPath = (tokenUrl: string) => tokenUrl.replace(/oauth\/token\/?$/, '');

export function avvailTokenRequest(credential: AvvailCredential): { headers: Record<string, string>; body: string } {
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: credential.clientId,
      client_secret: credential.clientSecret,
      audience: credential.audience,
    }),
  };
}

export function createAvvailTokenSource(credential: AvvailCredential, deps: AvvailTokenDeps = {}): TokenSource {
  const description: TokenSourceDescription = {
    provider: 'avvail',
    host: new URL(credential.tokenUrl).host,
    clientId: credential.clientId,
    method: 'client_secret_post',
    audience: credential.audience,
  };
  const issuer = credential.issuer ?? stripTokenPath(credential.tokenUrl);
  const jwks =
    deps.jwks ??
    createRemoteJWKSet(new URL(credential.jwksUrl ?? `${stripTokenPath(credential.tokenUrl)}.well-known/jwks.json`), {
      [customFetch]: ((url: string, init: Record<string, unknown>) =>
        undiciFetch(url, { ...init, ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}) })) as never,
    });
  const who = `avvail token for client ${credential.clientId} at ${description.host}`;

  return new CachedTokenSource({
    description,
    keyExtras: [(credential.requiredScopes ?? []).join(' ')],
    ...(deps.now ? { now: deps.now } : {}),
    defaultLifetimeSeconds: 3600,
    fetch: async (signal) => {
      const { headers, body } = avvailTokenRequest(credential);
      const response = await requestToken(
        { url: credential.tokenUrl, headers, body, description, route: '/oauth/token' },
        deps,
        signal,
      );
      let claimedScope: unknown;
      try {
        ({
          payload: { scope: claimedScope },
        } = await jwtVerify(response.access_token, jwks, {
          algorithms: ['RS256'],
          issuer,
          audience: credential.audience,
          ...(deps.wallClock ? { currentDate: new Date(deps.wallClock()) } : {}),
        }));
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        const claim = error instanceof joseErrors.JWTClaimValidationFailed ? ` (claim ${error.claim})` : '';
        // jose reports a non-200 JWKS answer as a generic JOSEError: the key set is unreachable, not the token bad.
        const unreachable =
          error instanceof joseErrors.JWKSTimeout ||
          !(error instanceof joseErrors.JOSEError) ||
          /JSON Web Key Set HTTP response/.test((error as Error).message);
        throw unreachable
          ? failures.unavailable(`${who}: the JWKS could not be fetched (${code})`)
          : failures.contractViolation(`${who} failed verification: ${code}${claim}`);
      }
      // The response's `scope` is what was granted; without one, the token's own `scope` claim.
      const scope = response.scope ?? (typeof claimedScope === 'string' ? claimedScope : '');
      const granted = new Set(scope.split(' ').filter(Boolean));
      const missing = (credential.requiredScopes ?? []).filter((scope) => !granted.has(scope));
      if (missing.length > 0) {
        throw failures.tokenEndpointRejected(
          `${who}: credential lacks ${missing.join(', ')} (scopes come with the credential; ask Avvail to grant them)`,
          [
            {
              provider: 'avvail',
              host: description.host,
              clientId: credential.clientId,
              method: description.method,
              status: 200,
              error: 'insufficient_scope',
              errorDetails: missing,
            },
          ],
        );
      }
      return { ...grantOf(response), ...(scope ? { scope } : {}) };
    },
  });
}
