// Avvail (oauth-providers.md §3): JSON body with audience, RS256 access token verified against the
// JWKS, granted scope checked, all with the network disabled.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { createAvvailTokenSource, type AvvailCredential } from '../../../activities/auth/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { failureOf } from '../../support.ts';
import { capture, mockNetworkPerTest } from './support.ts';

const ORIGIN = 'https://sandbox.auth.avvail.com';
const ISSUER = `${ORIGIN}/`;
const AUDIENCE = 'https://api.avvail.com/';
const SECRET = 'avvail-secret-+&=%-value';
const credential = (extra: Partial<AvvailCredential> = {}): AvvailCredential => ({
  tokenUrl: `${ORIGIN}/oauth/token`,
  clientId: 'avvail-client',
  clientSecret: SECRET,
  audience: AUDIENCE,
  ...extra,
});

let signing: { privateKey: CryptoKey; jwk: JWK };
let otherKey: CryptoKey;
beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signing = {
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
  };
  otherKey = (await generateKeyPair('RS256')).privateKey;
});

async function accessToken(
  options: { iss?: string; aud?: string; scope?: string; key?: CryptoKey; expSeconds?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    azp: 'avvail-client',
    gty: 'client-credentials',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k1' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject('avvail-client@clients')
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expSeconds ?? 86_400))
    .sign(options.key ?? signing.privateKey);
}

let agent: MockAgent;
mockNetworkPerTest((fresh) => (agent = fresh));

const localJwks = () => createLocalJWKSet({ keys: [signing.jwk] });
const reply = async (body: Record<string, unknown>) =>
  capture(agent, ORIGIN, '/oauth/token', { status: 200, json: { token_type: 'Bearer', expires_in: 86_400, ...body } });

describe('Avvail token request', () => {
  it('posts a JSON body with grant_type, client id, secret and audience, and no Authorization header', async () => {
    const seen = await reply({
      access_token: await accessToken({ scope: 'reservations:create' }),
      scope: 'reservations:create',
    });
    await createAvvailTokenSource(credential(), { dispatcher: agent, jwks: localJwks() }).getToken();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(JSON.parse(seen[0]!.body)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'avvail-client',
      client_secret: SECRET,
      audience: AUDIENCE,
    });
  });

  it('hands out a verified token with the granted scope from the response', async () => {
    await reply({
      access_token: await accessToken({ scope: 'reservations:create reservations:read' }),
      scope: 'reservations:create reservations:read',
    });
    const source = createAvvailTokenSource(
      credential({ requiredScopes: ['reservations:create', 'reservations:read'] }),
      { dispatcher: agent, jwks: localJwks() },
    );
    const token = await source.getToken();
    expect(token.scope).toBe('reservations:create reservations:read');
    expect(token.value.split('.')).toHaveLength(3);
  });

  it("falls back to the token's scope claim when the response carries no scope", async () => {
    await reply({ access_token: await accessToken({ scope: 'availability:read reservations:create' }) });
    const source = createAvvailTokenSource(credential({ requiredScopes: ['reservations:create'] }), {
      dispatcher: agent,
      jwks: localJwks(),
    });
    expect((await source.getToken()).scope).toBe('availability:read reservations:create');
  });

  it('fails fast, naming every missing scope, when the credential lacks a required one', async () => {
    await reply({ access_token: await accessToken({ scope: 'availability:read' }), scope: 'availability:read' });
    const source = createAvvailTokenSource(
      credential({ requiredScopes: ['availability:read', 'reservations:create', 'holds:delete'] }),
      { dispatcher: agent, jwks: localJwks() },
    );
    const failure = await failureOf(source.getToken());
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('reservations:create, holds:delete');
    expect(failure.message).not.toContain('availability:read,');
    expect(failure.message).not.toContain(SECRET);
  });

  it('checks the required scopes against the token claim when the response has none', async () => {
    await reply({ access_token: await accessToken({ scope: 'availability:read' }) });
    const source = createAvvailTokenSource(credential({ requiredScopes: ['reservations:create'] }), {
      dispatcher: agent,
      jwks: localJwks(),
    });
    const failure = await failureOf(source.getToken());
    expect(failure.message).toContain('lacks reservations:create');
  });
});

describe('Avvail access-token verification', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['another issuer', () => accessToken({ iss: 'https://evil.example/' }), /iss/],
    ['an audience without the trailing slash', () => accessToken({ aud: 'https://api.avvail.com' }), /aud/],
    ['a key that is not in the JWKS', () => accessToken({ key: otherKey }), /ERR_J/],
    ['an expired token', () => accessToken({ expSeconds: -60 }), /exp|ERR_JWT_EXPIRED/],
    [
      'an HS256 token',
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode('k'.repeat(32))),
      /ERR_JOSE_ALG_NOT_ALLOWED/,
    ],
  ];
  it.each(cases)(
    'refuses %s with a non-retryable ContractViolation that does not contain the token',
    async (_name, make, reason) => {
      const token = await make();
      await reply({ access_token: token, scope: 'reservations:create' });
      const source = createAvvailTokenSource(credential({ issuer: ISSUER }), {
        dispatcher: agent,
        jwks: localJwks(),
        anomalyRetryDelaysMs: [],
      });
      const failure = await failureOf(source.getToken());
      expect(failure).toMatchObject({ type: FailureType.ContractViolation, nonRetryable: true });
      expect(failure.message).toMatch(/failed verification/);
      expect(failure.message).toMatch(reason);
      expect(failure.message).not.toContain(token);
    },
  );

  it('fetches the JWKS from the configured URL through the same dispatcher', async () => {
    await reply({ access_token: await accessToken({ scope: 'reservations:create' }), scope: 'reservations:create' });
    const jwksRequests = capture(
      agent,
      ORIGIN,
      '/keys/jwks.json',
      { status: 200, json: { keys: [signing.jwk] } },
      'GET',
    );
    const source = createAvvailTokenSource(credential({ jwksUrl: `${ORIGIN}/keys/jwks.json` }), { dispatcher: agent });
    expect((await source.getToken()).scope).toBe('reservations:create');
    expect(jwksRequests).toHaveLength(1);
  });

  it('defaults the JWKS to <issuer>.well-known/jwks.json next to the token URL', async () => {
    await reply({ access_token: await accessToken({ scope: 'reservations:create' }), scope: 'reservations:create' });
    const jwksRequests = capture(
      agent,
      ORIGIN,
      '/.well-known/jwks.json',
      { status: 200, json: { keys: [signing.jwk] } },
      'GET',
    );
    await createAvvailTokenSource(credential(), { dispatcher: agent }).getToken();
    expect(jwksRequests).toHaveLength(1);
  });

  it('treats a failing JWKS endpoint as a retryable Unavailable, not a bad token', async () => {
    await reply({ access_token: await accessToken({ scope: 'reservations:create' }), scope: 'reservations:create' });
    capture(agent, ORIGIN, '/.well-known/jwks.json', { status: 503, text: 'down' }, 'GET');
    const failure = await failureOf(createAvvailTokenSource(credential(), { dispatcher: agent }).getToken());
    expect(failure).toMatchObject({ type: FailureType.Unavailable, nonRetryable: false });
    expect(failure.message).toContain('JWKS');
  });

  it('maps a 401 access_denied for bad client credentials to a non-retryable TokenEndpointRejected', async () => {
    capture(agent, ORIGIN, '/oauth/token', {
      status: 401,
      json: { error: 'access_denied', error_description: 'Unauthorized' },
    });
    const failure = await failureOf(
      createAvvailTokenSource(credential(), { dispatcher: agent, jwks: localJwks() }).getToken(),
    );
    expect(failure).toMatchObject({ type: FailureType.TokenEndpointRejected, nonRetryable: true });
    expect(failure.message).toContain('access_denied');
    expect(failure.message).not.toContain(SECRET);
  });
});
