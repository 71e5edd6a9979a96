import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodecServer, uiOrigins, type RunningCodecServer } from '../../../workers/codec-server.ts';
import { EncryptionCodec } from '../../../platform/payload-codec.ts';

const UI = 'http://127.0.0.1:8233';
const codec = new EncryptionCodec({ current: { keyId: 'k1', key: randomBytes(32) } });
let server: RunningCodecServer;

beforeAll(async () => {
  server = await startCodecServer({ codec, allowedOrigins: uiOrigins(8233) });
});
afterAll(async () => {
  await server?.close();
});

const post = (operation: string, body: unknown, origin = UI) =>
  fetch(`${server.endpoint}/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin },
    body: JSON.stringify(body),
  });

function jsonPayload(value: unknown) {
  const payload = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(payload.data!).toString('base64'),
  };
}

describe('the remote codec endpoint for the Web UI', () => {
  it('answers the CORS preflight of the UI origin with the headers the UI sends', async () => {
    const response = await fetch(`${server.endpoint}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI);
    expect(response.headers.get('access-control-allow-headers')).toContain('x-namespace');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('encodes and decodes payloads in the remote codec JSON format', async () => {
    const plain = jsonPayload({ notes: 'vegan meal, wheelchair' });
    const encoded = await post('encode', { payloads: [plain] });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(payloads[0]!.data, 'base64').toString()).not.toContain('wheelchair');

    const decoded = await post('decode', { payloads });
    expect(decoded.status).toBe(200);
    expect(await decoded.json()).toEqual({ payloads: [plain] });
  });

  it('refuses other browser origins and malformed bodies, and reports codec errors with the key id', async () => {
    const foreign = await post('decode', { payloads: [] }, 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    expect((await post('decode', { nope: true })).status).toBe(400);
    const unknownKey = await post('decode', {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from('binary/encrypted').toString('base64'),
            'encryption-key-id': Buffer.from('k0').toString('base64'),
          },
          data: '',
        },
      ],
    });
    expect(unknownKey.status).toBe(400);
    expect(((await unknownKey.json()) as { error: string }).error).toContain('unknown key id "k0"');
    expect((await fetch(`${server.endpoint.replace(/\/codec$/, '')}/other`, { method: 'POST' })).status).toBe(404);
    // A protocol-relative request target (new URL() throws on it): 404, not a crash.
    const raw = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(server.endpoint);
      const req = httpRequest({ host: hostname, port, path: '//', method: 'POST' }, (res) =>
        resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(raw).toBe(404);
  });
});
