// Request shapes of the partner token flows (oauth-providers.md §7 vectors 8 and 9) with the network disabled.
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  avionteTokenRequest,
  buildAuthorizeUrl,
  createAvionteTokenSource,
  createPkcePair,
  pkceChallengeOf,
} from '../../../activities/auth/index.ts';

let agent: MockAgent | undefined;
afterEach(async () => {
  agent?.assertNoPendingInterceptors();
  await agent?.close();
  agent = undefined;
});

describe('Avionté token request', () => {
  it('form-encodes a secret with + & = % exactly as vector 8 says', () => {
    const { body, headers } = avionteTokenRequest({
      tokenUrl: 'https://api.avionte.com/authorize/token',
      clientId: 'id',
      clientSecret: 'a+b&c=d%e',
      apiKey: 'k',
      scope: 'avionte.aero.compasintegrationservice',
    });
    expect(body).toBe(
      'grant_type=client_credentials&client_id=id&client_secret=a%2Bb%26c%3Dd%25e&scope=avionte.aero.compasintegrationservice',
    );
    expect(headers['x-api-key']).toBe('k');
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('sends that body and the gateway key to the token endpoint', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    let seen: { body?: string; apiKey?: string } = {};
    agent
      .get('https://api.avionte.com')
      .intercept({ path: '/authorize/token', method: 'POST' })
      .reply((options) => {
        const headers = options.headers as Record<string, string>;
        seen = { body: String(options.body), apiKey: headers['x-api-key'] };
        return {
          statusCode: 200,
          data: JSON.stringify({ access_token: 'avionte-token-value', token_type: 'Bearer', expires_in: 3600 }),
        };
      });
    const source = createAvionteTokenSource(
      {
        tokenUrl: 'https://api.avionte.com/authorize/token',
        clientId: 'id',
        clientSecret: 'a+b&c=d%e',
        apiKey: 'gateway',
        scope: 'avionte.aero.compasintegrationservice',
      },
      { dispatcher: agent },
    );
    expect((await source.getToken()).value).toBe('avionte-token-value');
    expect(seen).toEqual({
      body: 'grant_type=client_credentials&client_id=id&client_secret=a%2Bb%26c%3Dd%25e&scope=avionte.aero.compasintegrationservice',
      apiKey: 'gateway',
    });
  });
});

describe('AirVantage PKCE', () => {
  it('derives the RFC 7636 Appendix B challenge (vector 9)', () => {
    expect(pkceChallengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes 43-character verifiers whose challenge matches', () => {
    const pair = createPkcePair();
    expect(pair.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pair.challenge).toBe(pkceChallengeOf(pair.verifier));
    expect(createPkcePair().verifier).not.toBe(pair.verifier);
  });

  it('always asks for S256 and carries the state, since AirVantage defaults to plain', () => {
    const url = new URL(
      buildAuthorizeUrl({
        baseUrl: 'https://eu.airvantage.net/',
        clientId: 'my_client',
        redirectUri: 'https://app.example.test/cb',
        codeChallenge: 'abc',
        state: 'xyz',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://eu.airvantage.net/api/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'my_client',
      redirect_uri: 'https://app.example.test/cb',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
      state: 'xyz',
    });
  });
});
