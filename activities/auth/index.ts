// The token layer: one TokenSource per credential, for every provider in our partner documents.
import { avinodeTokenUrl, type Config } from '../../platform/config.ts';
import { failures } from '../../workflows/failures.ts';
import { createAvinodeOAuthTokenSource, createAvinodeStaticTokenSource, type AvinodeTokenDeps } from './avinode.ts';
import type { TokenSource } from './token-source.ts';

export * from './airvantage.ts';
export * from './avinode.ts';
export * from './avionte.ts';
export * from './avvail.ts';
export * from './basic.ts';
export * from './refresh-token-store.ts';
export * from './token-endpoint.ts';
export * from './token-source.ts';
export * from './www-authenticate.ts';

/** The Avinode credential of a loaded configuration (base URL resolved: the emulator's when embedded). */
export function createAvinodeTokenSource(
  avinode: Pick<
    Config['avinode'],
    'auth' | 'bearerToken' | 'clientId' | 'clientSecret' | 'clientAuthMethod' | 'tokenUrl' | 'tokenMinutes' | 'baseUrl'
  >,
  deps: AvinodeTokenDeps = {},
): TokenSource {
  const missing = (what: string) => failures.configurationInvalid(`Avinode credentials incomplete: ${what} is not set`);
  if (!avinode.baseUrl) throw missing('AVINODE_BASE_URL');
  if (avinode.auth === 'static') {
    if (!avinode.bearerToken) throw missing('AVINODE_BEARER_TOKEN');
    return createAvinodeStaticTokenSource(avinode.bearerToken, avinode.baseUrl);
  }
  if (!avinode.clientId) throw missing('AVINODE_CLIENT_ID');
  if (!avinode.clientSecret) throw missing('AVINODE_CLIENT_SECRET');
  return createAvinodeOAuthTokenSource(
    {
      tokenUrl: avinodeTokenUrl(avinode)!,
      clientId: avinode.clientId,
      clientSecret: avinode.clientSecret,
      method: avinode.clientAuthMethod,
      expiresInMinutes: avinode.tokenMinutes,
    },
    deps,
  );
}
