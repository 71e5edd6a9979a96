// A certified OAuth 2.0 server (panva's oidc-provider) shaped like AirVantage: Basic client auth,
// authorization code with PKCE S256, a password grant, refresh tokens rotated on every use and
// reuse detection that revokes the whole grant. The login step is scripted (no browser).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import Provider, { errors } from 'oidc-provider';
import { buildAuthorizeUrl, createOAuthState, createPkcePair, type PkcePair } from '../../../activities/auth/index.ts';

export const CLIENT = { clientId: 'charterflow-av', clientSecret: 'oidc-client-secret-5b1e' };
export const REDIRECT_URI = 'http://127.0.0.1/charterflow/callback';
export const ACCOUNT = { username: 'ops@example.test', password: 'correct-horse-battery' };

export interface OAuthServer {
  /** The regional base URL the AirVantage token source takes (token endpoint `/api/oauth/token`). */
  baseUrl: string;
  provider: Provider;
  /** Token-endpoint requests seen, by grant type, in order. */
  tokenRequests: string[];
  /**
   * Holds the next token response after the server has processed the request (a refresh has
   * rotated) until `release()`; `processed` resolves once the server is done with it.
   */
  holdNextTokenResponse(): { processed: Promise<void>; release: () => void };
  /** Runs the browser part of authorization code + PKCE; returns the code for the callback. */
  authorize(pkce?: PkcePair): Promise<{ code: string; pkce: PkcePair }>;
  close(): Promise<void>;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export async function startOAuthServer(): Promise<OAuthServer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(baseUrl, {
    clients: [
      {
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token', 'password'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    routes: { authorization: '/api/oauth/authorize', token: '/api/oauth/token' },
    cookies: { keys: ['oidc-test-cookie-key-0f3a'] },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: 30 * 86_400,
      Grant: 30 * 86_400,
      Interaction: 600,
      Session: 3600,
    },
  });

  // The password grant (AirVantage has it; oidc-provider leaves it to the deployment).
  provider.registerGrantType<{ username?: string; password?: string }>(
    'password',
    async (ctx) => {
      const { username, password } = ctx.oidc.params;
      if (username !== ACCOUNT.username || password !== ACCOUNT.password)
        throw new errors.InvalidGrant('invalid credentials');
      const client = ctx.oidc.client;
      const grant = new provider.Grant({ accountId: username, clientId: client.clientId });
      grant.addOIDCScope('openid');
      const grantId = await grant.save();
      const accessToken = new provider.AccessToken({
        accountId: username,
        client,
        grantId,
        scope: 'openid',
        gty: 'password',
      });
      const refreshToken = new provider.RefreshToken({
        accountId: username,
        client,
        grantId,
        scope: 'openid',
        gty: 'password',
      });
      ctx.body = {
        access_token: await accessToken.save(),
        token_type: 'Bearer',
        expires_in: accessToken.expiration,
        refresh_token: await refreshToken.save(),
        scope: 'openid',
      };
    },
    ['username', 'password', 'factor'],
  );

  const tokenRequests: string[] = [];
  let hold: { processed: ReturnType<typeof deferred>; released: ReturnType<typeof deferred> } | undefined;
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/api/oauth/token') return next();
    const held = hold;
    hold = undefined;
    await next();
    tokenRequests.push(
      String(
        (ctx.request as unknown as { body?: { grant_type?: string } }).body?.grant_type ??
          ctx.oidc?.params?.grant_type ??
          '?',
      ),
    );
    if (held) {
      held.processed.resolve();
      await held.released.promise;
    }
  });

  const callback = provider.callback();
  handler = (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    // The login and consent a person would give in the browser.
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: 'pilot-ops', clientId: String(details.params.client_id) });
      grant.addOIDCScope('openid');
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: 'pilot-ops' }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  };

  async function authorize(pkce: PkcePair = createPkcePair()) {
    const state = createOAuthState();
    let url = buildAuthorizeUrl({
      baseUrl,
      clientId: CLIENT.clientId,
      redirectUri: REDIRECT_URI,
      codeChallenge: pkce.challenge,
      state,
      scope: 'openid',
    });
    const cookies = new Map<string, string>();
    for (let hop = 0; hop < 10; hop++) {
      const response = await request(url, {
        headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      await response.body.dump();
      const setCookie = response.headers['set-cookie'];
      for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        cookies.set(pair.slice(0, at), pair.slice(at + 1));
      }
      const location = response.headers.location;
      if (typeof location !== 'string')
        throw new Error(`authorize: ${response.statusCode} without a redirect at hop ${hop}`);
      const next = new URL(location, url);
      if (next.href.startsWith(REDIRECT_URI)) {
        if (next.searchParams.get('state') !== state) throw new Error('authorize: state mismatch');
        const code = next.searchParams.get('code');
        if (!code) throw new Error(`authorize: no code (${next.searchParams.get('error')})`);
        return { code, pkce };
      }
      url = next.href;
    }
    throw new Error('authorize: too many redirects');
  }

  return {
    baseUrl,
    provider,
    tokenRequests,
    holdNextTokenResponse() {
      const processed = deferred();
      const released = deferred();
      hold = { processed, released };
      return { processed: processed.promise, release: released.resolve };
    },
    authorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
