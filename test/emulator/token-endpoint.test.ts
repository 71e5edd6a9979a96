import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { startHarness, type Harness } from './support.ts';

const JWT_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
let h: Harness | undefined;
afterEach(async () => {
  await h?.emu.close();
  h = undefined;
});

async function postToken(url: string, body: string | URLSearchParams, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      ...(typeof body === 'string' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
const basicForm = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`, 'utf8').toString('base64')}`;

describe('Avinode token endpoint', () => {
  it('issues an opaque bearer token for client_secret_post with expires_in = minutes*60-1 (default 30 min)', async () => {
    h = await startHarness();
    const { clientId, clientSecret } = h.emu.credentials;
    const res = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 1799 });
    expect(res.json.access_token).toMatch(/^[A-Za-z0-9_-]{30,}$/);
    expect(res.json.refresh_token).toBeUndefined();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('honours expiresInMinutes 1..120 and rejects anything else with 400 invalid_request', async () => {
    h = await startHarness();
    const { clientId, clientSecret } = h.emu.credentials;
    const ask = (minutes: string) =>
      postToken(
        h!.emu.tokenUrl,
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
          expiresInMinutes: minutes,
        }),
      );
    expect((await ask('1')).json.expires_in).toBe(59);
    expect((await ask('120')).json.expires_in).toBe(7199);
    for (const bad of ['0', '121', '-5', '2.5', 'ten', '']) {
      const res = await ask(bad);
      expect(res.status, bad).toBe(400);
      expect(res.json.error).toBe('invalid_request');
    }
  });

  it('answers a wrong Content-Type with 400', async () => {
    h = await startHarness();
    const { clientId, clientSecret } = h.emu.credentials;
    const res = await postToken(
      h.emu.tokenUrl,
      JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_request');
  });

  it('rejects grants other than client_credentials with unsupported_grant_type', async () => {
    h = await startHarness();
    const { clientId, clientSecret } = h.emu.credentials;
    const res = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({ grant_type: 'password', client_id: clientId, client_secret: clientSecret }),
    );
    expect(res).toMatchObject({ status: 400, json: { error: 'unsupported_grant_type' } });
  });

  it('answers a bad secret with 401 invalid_client and errorDetails naming client_secret_post (the observed body)', async () => {
    h = await startHarness();
    const res = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: h.emu.credentials.clientId,
        client_secret: 'wrong',
      }),
    );
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      error: 'invalid_client',
      error_description: 'The provided client credentials are invalid.',
      errorDetails: [
        { code: 'invalid_client_secret_post', description: 'The provided client credentials are invalid.' },
      ],
    });
  });

  it('accepts only the registered method: a correct secret sent with another method is invalid_client naming the method tried', async () => {
    h = await startHarness({
      credentials: {
        authMethod: 'client_secret_jwt',
        clientId: 'jwt-client',
        clientSecret: 'jwt-secret-0123456789abcdef0123456789',
      },
    });
    const { clientId, clientSecret } = h.emu.credentials;
    const post = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    );
    expect(post.status).toBe(401);
    expect(post.json.errorDetails[0].code).toBe('invalid_client_secret_post');
    const basicRes = await postToken(h.emu.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials' }), {
      authorization: basicForm(clientId, clientSecret),
    });
    expect(basicRes.status).toBe(401);
    expect(basicRes.json.errorDetails[0].code).toBe('invalid_client_secret_basic');
  });

  it('rejects two client authentication methods in one request (RFC 6749 §2.3)', async () => {
    h = await startHarness({ credentials: { authMethod: 'client_secret_basic' } });
    const { clientId, clientSecret } = h.emu.credentials;
    const res = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({ grant_type: 'client_credentials', client_secret: clientSecret }),
      { authorization: basicForm(clientId, clientSecret) },
    );
    expect(res).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
  });

  describe('client_secret_basic decodes id and secret with the form encoding (RFC 6749 §2.3.1, oauth-providers §7)', () => {
    const vectors: { n: number; id: string; secret: string; header: string }[] = [
      { n: 1, id: 'my_client', secret: 'the_secret', header: 'bXlfY2xpZW50OnRoZV9zZWNyZXQ=' },
      {
        n: 2,
        id: 's6BhdRkqt3',
        secret: '7Fjfp0ZBr1KtDRbnfVdmIw',
        header: 'czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3',
      },
      { n: 3, id: 'client:id', secret: 'p@ss:w%rd', header: 'Y2xpZW50JTNBaWQ6cCU0MHNzJTNBdyUyNXJk' },
      { n: 4, id: 'kunde', secret: 'pässwörd', header: 'a3VuZGU6cCVDMyVBNHNzdyVDMyVCNnJk' },
      { n: 5, id: 'abc4ba37-4ab8-49b5', secret: 'a+b/c=', header: 'YWJjNGJhMzctNGFiOC00OWI1OmElMkJiJTJGYyUzRA==' },
      {
        n: 6,
        id: '1PpG/Q 1',
        secret: 'z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=',
        header: 'MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA==',
      },
    ];
    for (const v of vectors) {
      it(`vector ${v.n}: accepts the form-encoded header for id ${JSON.stringify(v.id)}`, async () => {
        h = await startHarness({
          credentials: { authMethod: 'client_secret_basic', clientId: v.id, clientSecret: v.secret },
        });
        expect(basicForm(v.id, v.secret)).toBe(`Basic ${v.header}`);
        const res = await postToken(h.emu.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials' }), {
          authorization: `Basic ${v.header}`,
        });
        expect(res.status).toBe(200);
      });
    }

    it('vector 3: the raw (unencoded) header is ambiguous and rejected as invalid_client_secret_basic', async () => {
      h = await startHarness({
        credentials: { authMethod: 'client_secret_basic', clientId: 'client:id', clientSecret: 'p@ss:w%rd' },
      });
      const res = await postToken(h.emu.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials' }), {
        authorization: 'Basic Y2xpZW50OmlkOnBAc3M6dyVyZA==',
      });
      expect(res.status).toBe(401);
      expect(res.json.errorDetails[0].code).toBe('invalid_client_secret_basic');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    });

    it('vector 5: the raw header fails because "+" form-decodes to a space', async () => {
      h = await startHarness({
        credentials: { authMethod: 'client_secret_basic', clientId: 'abc4ba37-4ab8-49b5', clientSecret: 'a+b/c=' },
      });
      const raw = await postToken(h.emu.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials' }), {
        authorization: 'Basic YWJjNGJhMzctNGFiOC00OWI1OmErYi9jPQ==',
      });
      expect(raw.status).toBe(401);
      const strict = await postToken(h.emu.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials' }), {
        authorization: 'Basic YWJjNGJhMzclMkQ0YWI4JTJENDliNTphJTJCYiUyRmMlM0Q=',
      });
      expect(strict.status).toBe(200);
    });
  });

  it('vector 7: a client_secret_post secret with space % & + £ € survives URLSearchParams form encoding', async () => {
    const secret = ' %&+£€';
    h = await startHarness({ credentials: { clientSecret: secret } });
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: h.emu.credentials.clientId,
      client_secret: secret,
    });
    expect(body.toString()).toContain('client_secret=+%25%26%2B%C2%A3%E2%82%AC');
    expect((await postToken(h.emu.tokenUrl, body)).status).toBe(200);
  });

  describe('client_secret_jwt', () => {
    it('vector 10: verifies the reference HS256 assertion at its date, then refuses the replayed jti', async () => {
      h = await startHarness({
        publicBaseUrl: 'https://sandbox.avinode.com',
        credentials: {
          authMethod: 'client_secret_jwt',
          clientId: 'my-client-id',
          clientSecret: 'test-secret-do-not-use',
        },
      });
      h.clock.ms = 1_700_000_030_000;
      const assertion =
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1jbGllbnQtaWQiLCJzdWIiOiJteS1jbGllbnQtaWQiLCJhdWQiOiJodHRwczovL3NhbmRib3guYXZpbm9kZS5jb20vYXBpL29hdXRoL3Rva2VuIiwianRpIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAxIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAwNjB9.KYVBd2aTIIFk9VmlRwU2W1zt3oM0fzzeCCuBHVQrL_s';
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_TYPE,
        client_assertion: assertion,
      });
      const first = await postToken(h.emu.tokenUrl, form);
      expect(first.status).toBe(200);
      const replay = await postToken(h.emu.tokenUrl, form);
      expect(replay.status).toBe(401);
      expect(replay.json.errorDetails[0].code).toBe('invalid_client_secret_jwt');
    });

    async function assertion(
      secret: string,
      claims: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string | null },
      nowMs: number,
    ) {
      const jwt = new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(Math.floor(nowMs / 1000));
      if (claims.iss) jwt.setIssuer(claims.iss);
      if (claims.sub) jwt.setSubject(claims.sub);
      if (claims.aud) jwt.setAudience(claims.aud);
      if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
      if (claims.jti !== null) jwt.setJti(claims.jti ?? randomUUID());
      return jwt.sign(new TextEncoder().encode(secret));
    }

    it('checks iss = sub = client id, aud = token endpoint (or origin), exp in the future and a jti', async () => {
      const secret = 'jwt-secret-0123456789abcdef0123456789';
      h = await startHarness({
        credentials: { authMethod: 'client_secret_jwt', clientId: 'jwt-client', clientSecret: secret },
      });
      const now = h.clock.ms;
      const exp = Math.floor(now / 1000) + 60;
      const good = { iss: 'jwt-client', sub: 'jwt-client', aud: h.emu.tokenUrl, exp };
      const send = async (claims: Parameters<typeof assertion>[1], key = secret) =>
        (
          await postToken(
            h!.emu.tokenUrl,
            new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: JWT_TYPE,
              client_assertion: await assertion(key, claims, now),
            }),
          )
        ).status;
      expect(await send(good)).toBe(200);
      expect(await send({ ...good, aud: h.emu.url })).toBe(200);
      expect(await send({ ...good, iss: 'someone-else' })).toBe(401);
      expect(await send({ ...good, sub: 'someone-else' })).toBe(401);
      expect(await send({ ...good, aud: 'https://elsewhere.example/api/oauth/token' })).toBe(401);
      expect(await send({ ...good, exp: Math.floor(now / 1000) - 120 })).toBe(401);
      expect(await send({ ...good, jti: null })).toBe(401);
      expect(await send({ iss: 'jwt-client', sub: 'jwt-client', aud: h.emu.tokenUrl })).toBe(401); // no exp
      expect(await send(good, 'another-secret-0123456789abcdef0123')).toBe(401);
    });
  });

  it('answers 429 with Retry-After past the per-minute threshold and recovers a minute later on the clock', async () => {
    h = await startHarness({ tokenRequestsPerMinute: 3 });
    for (let i = 0; i < 3; i++) await h.token();
    const { clientId, clientSecret } = h.emu.credentials;
    const limited = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    );
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    h.clock.advance(61_000);
    expect(await h.token()).toBeTruthy();
    const stats = (await h.admin('GET', '/stats')).json.data;
    expect(stats.tokenRequests).toMatchObject({ total: 5, issued: 4, rateLimited: 1 });
  });

  it('tokens really expire on the clock: the API then answers 401 with WWW-Authenticate invalid_token', async () => {
    h = await startHarness();
    const token = await h.token({ expiresInMinutes: '1' });
    expect((await h.api('GET', '/trips?externalTripId=x', { token })).status).toBe(200);
    h.clock.advance(60_000);
    const res = await h.api('GET', '/trips?externalTripId=x', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect(res.json.meta.errors[0].code).toBe('invalid_token');
    expect(res.json.data).toBeUndefined();
  });

  it('revokes all tokens or one token through the admin API', async () => {
    h = await startHarness();
    const a = await h.token();
    const b = await h.token();
    expect((await h.admin('POST', '/tokens/revoke', { token: a })).json.data.revoked).toBe(1);
    expect((await h.api('GET', '/trips?externalTripId=x', { token: a })).status).toBe(401);
    expect((await h.api('GET', '/trips?externalTripId=x', { token: b })).status).toBe(200);
    expect((await h.admin('POST', '/tokens/revoke')).json.data.revoked).toBe(1);
    const res = await h.api('GET', '/trips?externalTripId=x', { token: b });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('accepts a configured static bearer token next to OAuth tokens', async () => {
    h = await startHarness({ credentials: { staticBearerToken: 'static-jwt-looking-token' } });
    expect((await h.api('GET', '/trips?externalTripId=x', { token: 'static-jwt-looking-token' })).status).toBe(200);
    expect((await h.api('GET', '/trips?externalTripId=x', { token: 'static-jwt-looking-tokeX' })).status).toBe(401);
  });

  it('rotated credentials make the old secret invalid_client and the new one work (PUT /_emulator/credentials)', async () => {
    h = await startHarness();
    const old = h.emu.credentials;
    const rotated = (await h.admin('PUT', '/credentials', { rotate: true })).json.data;
    expect(rotated.clientSecret).not.toBe(old.clientSecret);
    expect(rotated.apiToken).not.toBe(old.apiToken);
    const res = await postToken(
      h.emu.tokenUrl,
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: old.clientId,
        client_secret: old.clientSecret,
      }),
    );
    expect(res).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    expect(await h.token()).toBeTruthy(); // h.token reads the current credentials
    const switched = (
      await h.admin('PUT', '/credentials', { authMethod: 'client_secret_basic', clientSecret: old.clientSecret })
    ).json.data;
    expect(switched).toMatchObject({ authMethod: 'client_secret_basic', clientSecret: old.clientSecret });
    expect(
      (
        await postToken(h.emu.tokenUrl, new URLSearchParams({ grant_type: 'client_credentials' }), {
          authorization: basicForm(old.clientId, old.clientSecret),
        })
      ).status,
    ).toBe(200);
    expect((await h.admin('PUT', '/credentials', { authMethod: 'client_secret_magic' })).status).toBe(400);
  });
});

describe('OAuth not enabled', () => {
  it('answers 401 unauthorized_client when the company has no OAuth (settable at runtime)', async () => {
    h = await startHarness();
    await h.admin('PUT', '/credentials', { oauthEnabled: false });
    await expect(h.token()).rejects.toThrow(/401.*unauthorized_client/);
    await h.admin('PUT', '/credentials', { oauthEnabled: true });
    expect(await h.token()).toBeTruthy();
  });
});
