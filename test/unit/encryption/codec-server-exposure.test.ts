// The codec endpoint beyond loopback: an origin allow-list and the Temporal UI's bearer token,
// checked against a JWKS served over real HTTP, or it refuses to listen at all.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codecExposureProblem,
  CodecExposureRefused,
  startCodecServer,
  type RunningCodecServer,
} from '../../../workers/codec-server.ts';
import { EncryptionCodec } from '../../../platform/payload-codec.ts';
import { loadCommandConfig } from '../../../platform/config.ts';
import { configErrorOf } from '../../support.ts';

const UI = 'https://temporal-ui.example.com';
const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'temporal-ui';
const codec = new EncryptionCodec({ current: { keyId: 'k1', key: randomBytes(32) } });

let jwks: Server;
let jwksUrl: string;
let signingKey: CryptoKey;
let exposed: RunningCodecServer;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'ui-1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
  exposed = await startCodecServer({
    codec,
    allowedOrigins: [UI],
    host: '0.0.0.0',
    port: 0,
    auth: { kind: 'bearer', issuer: ISSUER, jwksUrl, audience: AUDIENCE },
  });
});
afterAll(async () => {
  await exposed?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

const tokenOf = (claims: { iss?: string; aud?: string; exp?: number }, key: CryptoKey = signingKey) =>
  new SignJWT({ sub: 'broker@example.com' })
    .setProtectedHeader({ alg: 'RS256', kid: 'ui-1' })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300)
    .sign(key);

const endpointOf = (server: RunningCodecServer) => server.endpoint.replace('0.0.0.0', '127.0.0.1');
const decode = (authorization?: string) =>
  fetch(`${endpointOf(exposed)}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: UI, ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ payloads: [] }),
  });

describe('the codec endpoint beyond loopback', () => {
  it('refuses to listen on a non-loopback host without a bearer check', async () => {
    await expect(startCodecServer({ codec, allowedOrigins: [UI], host: '0.0.0.0', port: 0 })).rejects.toThrow(
      CodecExposureRefused,
    );
    expect(codecExposureProblem('0.0.0.0', { allowedOriginsConfigured: false })).toMatch(/set CODEC_ALLOWED_ORIGINS/);
    expect(codecExposureProblem('0.0.0.0', { allowedOriginsConfigured: true })).toMatch(
      /CODEC_AUTH_ISSUER and CODEC_AUTH_JWKS_URL/,
    );
    expect(codecExposureProblem('0.0.0.0', { allowedOriginsConfigured: true, auth: { kind: 'none' } })).toBeUndefined();
    for (const host of ['127.0.0.1', 'localhost', '::1'])
      expect(codecExposureProblem(host, { allowedOriginsConfigured: false })).toBeUndefined();
  });

  it('answers 401 without a token, with a token of another issuer, audience or key, and with an expired one', async () => {
    const other = await generateKeyPair('RS256');
    const cases = [
      undefined,
      'Basic dXNlcjpwYXNz',
      `Bearer ${await tokenOf({ iss: 'https://elsewhere.example.com/' })}`,
      `Bearer ${await tokenOf({ aud: 'another-app' })}`,
      `Bearer ${await tokenOf({}, other.privateKey)}`,
      `Bearer ${await tokenOf({ exp: Math.floor(Date.now() / 1000) - 600 })}`,
      'Bearer not-a-jwt',
    ];
    for (const authorization of cases) {
      const response = await decode(authorization);
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(((await response.json()) as { error: string }).error).toMatch(
        /bearer token of the Temporal UI login is required/,
      );
    }
  });

  it('decodes for the allowed origin with the UI login bearer token, and still answers the preflight without one', async () => {
    const response = await decode(`Bearer ${await tokenOf({})}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ payloads: [] });
    const preflight = await fetch(`${endpointOf(exposed)}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const foreign = await fetch(`${endpointOf(exposed)}/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://evil.example',
        authorization: `Bearer ${await tokenOf({})}`,
      },
      body: '{"payloads":[]}',
    });
    expect(foreign.status).toBe(403);
  });

  it('reads the bearer check from CODEC_AUTH_* and names what is missing', () => {
    expect(
      loadCommandConfig({
        CODEC_AUTH_ISSUER: ISSUER,
        CODEC_AUTH_JWKS_URL: 'https://login.example.com/jwks',
        CODEC_AUTH_AUDIENCE: AUDIENCE,
      }).codecServer.auth,
    ).toEqual({
      kind: 'bearer',
      issuer: ISSUER,
      jwksUrl: 'https://login.example.com/jwks',
      audience: AUDIENCE,
    });
    expect(loadCommandConfig({ CODEC_AUTH: 'none' }).codecServer.auth).toEqual({ kind: 'none' });
    expect(loadCommandConfig({}).codecServer.auth).toBeUndefined();
    expect(configErrorOf({ CODEC_AUTH_ISSUER: ISSUER }).message).toContain('CODEC_AUTH_JWKS_URL: required');
    expect(configErrorOf({ CODEC_AUTH: 'bearer' }).message).toContain('CODEC_AUTH_ISSUER: required');
    expect(configErrorOf({ CODEC_AUTH: 'none', CODEC_AUTH_ISSUER: ISSUER }).message).toContain('CODEC_AUTH: is none');
    expect(
      configErrorOf({ CODEC_AUTH_ISSUER: ISSUER, CODEC_AUTH_JWKS_URL: 'http://login.example.com/jwks' }).message,
    ).toContain('CODEC_AUTH_JWKS_URL: must use https://');
  });
});
