// Avionté (BOLD Front Office): client_credentials, client_secret_post, a gateway `x-api-key`, required scope.
import { failures } from '../../workflows/failures.ts';
import { grantOf, requestToken, type AnomalyRetryDeps, type TokenHttpDeps } from './token-endpoint.ts';
import { CachedTokenSource, type TokenSource, type TokenSourceDescription } from './token-source.ts';

export const AVIONTE_DEFAULT_SCOPE = 'avionte.aero.compasintegrationservice';

export interface AvionteCredential {
  /** e.g. https://api.avionte.com/authorize/token */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The gateway key issued by Avionté: a second secret. */
  apiKey: string;
  scope: string;
}

export interface AvionteTokenDeps extends TokenHttpDeps, AnomalyRetryDeps {
  now?: () => number;
}

/** Headers and exact form body of one token request (vector 8); exported for the request-shape tests. */
export function avionteTokenRequest(credential: AvionteCredential): { headers: Record<string, string>; body: string } {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credential.clientId,
    client_secret: credential.clientSecret,
    scope: credential.scope,
  }).toString();
  return { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': credential.apiKey }, body };
}

export function createAvionteTokenSource(credential: AvionteCredential, deps: AvionteTokenDeps = {}): TokenSource {
  for (const [name, value] of Object.entries({
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    apiKey: credential.apiKey,
    scope: credential.scope,
  })) {
    if (!value.trim()) {
      throw failures.configurationInvalid(`Avionté credential: ${name} is empty`);
    }
  }
  const description: TokenSourceDescription = {
    provider: 'avionte',
    host: new URL(credential.tokenUrl).host,
    clientId: credential.clientId,
    method: 'client_secret_post',
    scope: credential.scope,
  };
  return new CachedTokenSource({
    description,
    ...(deps.now ? { now: deps.now } : {}),
    defaultLifetimeSeconds: 3600,
    fetch: async (signal) => {
      const { headers, body } = avionteTokenRequest(credential);
      const response = await requestToken(
        {
          url: credential.tokenUrl,
          headers,
          body,
          description,
          route: '/authorize/token',
          bareRejectionHint: 'Avionté gateway rejected the x-api-key',
        },
        deps,
        signal,
      );
      return grantOf(response);
    },
  });
}
