import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { EMULATOR_PARTNER_DEFAULTS } from '../../emulator/index.ts';
import { startHarness, type Harness } from './support.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
const basicForm = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`, 'utf8').toString('base64')}`;

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

describe('Avionté token endpoint', () => {
  const a = EMULATOR_PARTNER_DEFAULTS.avionte;
  const form = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: a.clientId,
      client_secret: a.clientSecret,
      scope: a.scope,
      ...overrides,
    });

  it('issues a token for the form body with x-api-key and the required scope; the token opens the ping resource', async () => {
    h = await startHarness();
    const res = await call(`${h.emu.url}/avionte/authorize/token`, {
      method: 'POST',
      headers: { 'x-api-key': a.apiKey },
      body: form(),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const ping = await call(`${h.emu.url}/avionte/ping`, {
      headers: { authorization: `Bearer ${res.json.access_token}`, 'x-api-key': a.apiKey },
    });
    expect(ping).toMatchObject({ status: 200, json: { ok: true } });
    expect(
      (await call(`${h.emu.url}/avionte/ping`, { headers: { authorization: 'Bearer nope', 'x-api-key': a.apiKey } }))
        .status,
    ).toBe(401);
  });

  it('rejects a missing x-api-key (gateway 403), a missing scope (400) and bad client credentials (400 invalid_client)', async () => {
    h = await startHarness();
    const url = `${h.emu.url}/avionte/authorize/token`;
    expect((await call(url, { method: 'POST', body: form() })).status).toBe(403);
    const noScope = form();
    noScope.delete('scope');
    expect((await call(url, { method: 'POST', headers: { 'x-api-key': a.apiKey }, body: noScope })).json.error).toBe(
      'invalid_request',
    );
    expect(
      (await call(url, { method: 'POST', headers: { 'x-api-key': a.apiKey }, body: form({ scope: 'everything' }) }))
        .json.error,
    ).toBe('invalid_scope');
    const bad = await call(url, {
      method: 'POST',
      headers: { 'x-api-key': a.apiKey },
      body: form({ client_secret: 'wrong' }),
    });
    expect(bad).toMatchObject({ status: 400, json: { error: 'invalid_client' } });
  });

  it('vector 8: decodes the form body with a secret full of reserved characters', async () => {
    h = await startHarness({ partners: { avionte: { clientId: 'id', clientSecret: 'a+b&c=d%e' } } });
    const body =
      'grant_type=client_credentials&client_id=id&client_secret=a%2Bb%26c%3Dd%25e&scope=avionte.aero.compasintegrationservice';
    const res = await call(`${h.emu.url}/avionte/authorize/token`, {
      method: 'POST',
      headers: { 'x-api-key': a.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(200);
  });
});

describe('Avvail token endpoint', () => {
  const v = EMULATOR_PARTNER_DEFAULTS.avvail;
  const body = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      grant_type: 'client_credentials',
      client_id: v.clientId,
      client_secret: v.clientSecret,
      audience: v.audience,
      ...overrides,
    });

  it('issues an RS256 JWT verifiable with the JWKS, with the granted scope and Auth0-style claims', async () => {
    h = await startHarness();
    const res = await call(`${h.emu.url}/avvail/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 86_400, scope: v.scopes.join(' ') });
    const jwks = createRemoteJWKSet(new URL(`${h.emu.url}/avvail/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(res.json.access_token, jwks, {
      algorithms: ['RS256'],
      issuer: `${h.emu.url}/avvail/`,
      audience: v.audience,
      currentDate: new Date(h.clock.ms),
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: `${v.clientId}@clients`,
      azp: v.clientId,
      gty: 'client-credentials',
      scope: v.scopes.join(' '),
    });
    expect(payload.exp! - payload.iat!).toBe(86_400);
    const ping = await call(`${h.emu.url}/avvail/v2/ping`, {
      headers: { authorization: `Bearer ${res.json.access_token}` },
    });
    expect(ping).toMatchObject({ status: 200, json: { scope: v.scopes } });
  });

  it('vector 13: a missing scope on the resource is 403 insufficient_scope naming it; an expired token is 401', async () => {
    h = await startHarness();
    const token = (
      await call(`${h.emu.url}/avvail/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(),
      })
    ).json.access_token;
    const denied = await call(`${h.emu.url}/avvail/v2/ping?requireScope=holds:create`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="holds:create"');
    expect(
      (
        await call(`${h.emu.url}/avvail/v2/ping?requireScope=reservations:create`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(200);
    h.clock.advance(86_401_000);
    const expired = await call(`${h.emu.url}/avvail/v2/ping`, { headers: { authorization: `Bearer ${token}` } });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('requires a JSON body, the right audience and client credentials', async () => {
    h = await startHarness();
    const url = `${h.emu.url}/avvail/oauth/token`;
    expect(
      (await call(url, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) })).status,
    ).toBe(400);
    expect(
      (await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' })).status,
    ).toBe(400);
    expect(
      (
        await call(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body({ audience: 'https://other/' }),
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body({ client_secret: 'x' }),
        })
      ).json.error,
    ).toBe('access_denied');
    expect(
      decodeJwt(
        (await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() })).json
          .access_token,
      ).aud,
    ).toBe(v.audience);
  });
});

describe('AirVantage OAuth', () => {
  const av = EMULATOR_PARTNER_DEFAULTS.airvantage;
  const redirectUri = av.redirectUris[0]!;
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  const auth = { authorization: basicForm(av.clientId, av.clientSecret) };

  async function authorize(harness: Harness, params: Record<string, string>) {
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: av.clientId,
      redirect_uri: redirectUri,
      state: 'st-1',
      ...params,
    });
    const res = await call(`${harness.emu.url}/airvantage/api/oauth/authorize?${q}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st-1');
    return location.searchParams.get('code')!;
  }
  const token = (harness: Harness, form: Record<string, string>, headers: Record<string, string> = auth) =>
    call(`${harness.emu.url}/airvantage/api/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(form) });

  it('vector 9: an S256 code exchange succeeds with the RFC 7636 verifier, and the code is single-use', async () => {
    h = await startHarness();
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
    const code = await authorize(h, { code_challenge: challenge, code_challenge_method: 'S256' });
    const res = await token(h, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 43_199, refresh_token: expect.any(String) });
    expect(
      (
        await call(`${h.emu.url}/airvantage/api/v1/users/current`, {
          headers: { authorization: `Bearer ${res.json.access_token}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (await token(h, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }))
        .json.error,
    ).toBe('invalid_grant');
  });

  it('treats the challenge as plain when no method is sent, so an S256 verifier then fails', async () => {
    h = await startHarness();
    const code = await authorize(h, { code_challenge: challenge });
    expect(
      (await token(h, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }))
        .json.error,
    ).toBe('invalid_grant');
    const plainCode = await authorize(h, { code_challenge: verifier });
    expect(
      (
        await token(h, {
          grant_type: 'authorization_code',
          code: plainCode,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        })
      ).status,
    ).toBe(200);
  });

  it('checks redirect_uri at authorize and exchange, and client credentials (400 invalid_client)', async () => {
    h = await startHarness();
    expect(
      (
        await call(
          `${h.emu.url}/airvantage/api/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: av.clientId, redirect_uri: 'https://evil.test/cb' })}`,
        )
      ).status,
    ).toBe(400);
    const code = await authorize(h, { code_challenge: challenge, code_challenge_method: 'S256' });
    expect(
      (
        await token(h, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: `${redirectUri}/`,
          code_verifier: verifier,
        })
      ).json.error,
    ).toBe('invalid_grant');
    const bad = await token(
      h,
      { grant_type: 'password', username: av.username, password: av.password },
      { authorization: basicForm(av.clientId, 'nope') },
    );
    expect(bad).toMatchObject({ status: 400, json: { error: 'invalid_client' } });
  });

  it('password grant: bad user credentials are 400 invalid_grant', async () => {
    h = await startHarness();
    expect((await token(h, { grant_type: 'password', username: av.username, password: av.password })).status).toBe(200);
    expect((await token(h, { grant_type: 'password', username: av.username, password: 'wrong' })).json.error).toBe(
      'invalid_grant',
    );
  });

  it('rotates refresh tokens on every use; a reused refresh token is 400 invalid_grant', async () => {
    h = await startHarness();
    const first = (await token(h, { grant_type: 'password', username: av.username, password: av.password })).json;
    const second = await token(h, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.refresh_token);
    expect(second.json.access_token).not.toBe(first.access_token);
    const reused = await token(h, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(reused).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect((await token(h, { grant_type: 'refresh_token', refresh_token: second.json.refresh_token })).status).toBe(
      200,
    );
  });

  it('refresh tokens expire after their lifetime on the clock', async () => {
    h = await startHarness({ partners: { airvantage: { refreshTokenSeconds: 60 } } });
    const first = (await token(h, { grant_type: 'password', username: av.username, password: av.password })).json;
    h.clock.advance(61_000);
    expect((await token(h, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).json.error).toBe(
      'invalid_grant',
    );
  });

  it('the expire endpoint kills the access token and its whole grant; a second call is 401', async () => {
    h = await startHarness();
    const granted = (await token(h, { grant_type: 'password', username: av.username, password: av.password })).json;
    const expire = await call(
      `${h.emu.url}/airvantage/api/oauth/expire?access_token=${encodeURIComponent(granted.access_token)}`,
    );
    expect(expire.status).toBe(200);
    expect(expire.json).toBeUndefined();
    expect(
      (
        await call(`${h.emu.url}/airvantage/api/v1/users/current`, {
          headers: { authorization: `Bearer ${granted.access_token}` },
        })
      ).status,
    ).toBe(401);
    expect((await token(h, { grant_type: 'refresh_token', refresh_token: granted.refresh_token })).json.error).toBe(
      'invalid_grant',
    );
    expect(
      (await call(`${h.emu.url}/airvantage/api/oauth/expire?access_token=${encodeURIComponent(granted.access_token)}`))
        .status,
    ).toBe(401);
  });

  it('counts every partner token request in the stats by provider', async () => {
    h = await startHarness();
    await token(h, { grant_type: 'password', username: av.username, password: av.password });
    await token(h, { grant_type: 'password', username: av.username, password: 'wrong' });
    const stats = (await h.admin('GET', '/stats')).json.data.tokenRequests;
    expect(stats).toMatchObject({ total: 2, issued: 1, rejected: 1, byProvider: { airvantage: 2 } });
  });

  it('accepts only one client authentication method per request', async () => {
    h = await startHarness();
    const res = await token(h, {
      grant_type: 'password',
      username: av.username,
      password: av.password,
      client_secret: av.clientSecret,
    });
    expect(res.json.error).toBe('invalid_request');
  });
});
